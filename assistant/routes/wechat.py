"""The 公众号 callback: GET for URL verification, POST for messages (plaintext or safe mode).

The signature is checked before the body is read; a bad one is refused with the protocol's
code (-40001) and a log line.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.deps import ChannelsDep, SettingsDep
from assistant.logs import get_logger
from connectors.wechat.crypto import (
    ILLEGAL_AES_KEY,
    INVALID_SIGNATURE,
    WeChatError,
    check_fresh,
    check_signature,
)
from connectors.wechat.messages import encrypted_envelope, parse_xml, text_reply, to_message

router = APIRouter(tags=["wechat"])
log = get_logger(__name__)


def _refuse(exc: WeChatError) -> Response:
    log.warning("wechat callback refused", code=exc.code, reason=str(exc))
    return PlainTextResponse(str(exc.code), status_code=403 if exc.code == -40001 else 400)


@router.get("/wechat", response_class=PlainTextResponse)
def verify(settings: SettingsDep, signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""):
    """URL verification: echo ``echostr`` when the signature is right."""
    try:
        check_signature(settings.wechat_token, signature, timestamp, nonce)
        check_fresh(timestamp, settings.wechat_max_clock_skew)
    except WeChatError as exc:
        return _refuse(exc)
    return PlainTextResponse(echostr)


@router.post("/wechat")
async def receive(
    request: Request,
    settings: SettingsDep,
    channels: ChannelsDep,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    encrypt_type: str = "raw",
    msg_signature: str = "",
) -> Response:
    """A citizen's message or event; answered within the 5-second budget or later by 客服消息."""
    crypto = channels.wechat_crypto
    try:
        check_signature(settings.wechat_token, signature, timestamp, nonce)
        check_fresh(timestamp, settings.wechat_max_clock_skew)
        if encrypt_type == "aes" and crypto is None:
            raise WeChatError(ILLEGAL_AES_KEY, "未配置 EncodingAESKey，不能解密安全模式的消息")
        if encrypt_type != "aes" and crypto is not None:  # safe mode configured: no plaintext
            raise WeChatError(INVALID_SIGNATURE, "已配置安全模式，拒绝明文消息")
        body = await request.body()
        if encrypt_type == "aes":
            envelope = parse_xml(body)
            body = crypto.decrypt(envelope.get("Encrypt", ""), msg_signature, timestamp, nonce)
        message = to_message(parse_xml(body))
    except WeChatError as exc:
        return _refuse(exc)
    content = await run_in_threadpool(channels.wechat.handle, message)
    if content is None:
        return PlainTextResponse("success")
    reply = text_reply(message.from_user, message.to_user, content)
    if encrypt_type == "aes":
        stamp = str(int(time.time()))
        encrypted, sig = crypto.encrypt(reply, nonce, stamp)
        reply = encrypted_envelope(encrypted, sig, stamp, nonce)
    return Response(reply, media_type="application/xml")
