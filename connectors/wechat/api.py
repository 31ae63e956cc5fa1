"""The 公众号 server API the channel needs: access token (cached, refreshed) and 客服消息."""

from __future__ import annotations

import threading
import time

import httpx

from connectors.wechat.crypto import WeChatError
from foundation.logs import get_logger

log = get_logger(__name__)
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access token: refresh once and retry
WINDOW_CLOSED = 45015  # 客服消息 only within 48 hours of the citizen's last message


class WeChatApi:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float = 5.0) -> None:
        self.appid, self.secret = appid, secret
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def access_token(self, *, force: bool = False) -> str:
        with self._lock:
            if not force and self._token and time.monotonic() < self._expires_at:
                return self._token
            resp = self._client.get(
                "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )
            data = resp.json()
            if "access_token" not in data:
                raise WeChatError(
                    int(data.get("errcode", -1)), f"获取 access_token 失败：{data.get('errmsg', '')}"
                )
            self._token = data["access_token"]
            # refresh five minutes early; WeChat's tokens live 7200 s
            self._expires_at = time.monotonic() + max(int(data.get("expires_in", 7200)) - 300, 60)
            return self._token

    def send_text(self, openid: str, content: str) -> None:
        """客服消息: a text reply sent after the 5-second window of the callback."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in (1, 2):
            token = self.access_token(force=attempt == 2)
            data = self._client.post(
                "/cgi-bin/message/custom/send", params={"access_token": token}, json=body
            ).json()
            code = int(data.get("errcode", 0))
            if code == 0:
                return
            if code not in TOKEN_ERRORS or attempt == 2:
                raise WeChatError(code, f"客服消息发送失败：{data.get('errmsg', '')}")
            log.info("wechat access token refused, refreshing", errcode=code)

    def close(self) -> None:
        self._client.close()
