"""公众号 protocol pieces: signatures, safe-mode AES round trips, XML parsing."""

from __future__ import annotations

import base64
import os

import pytest

from connectors.wechat.crypto import (
    DECRYPT_AES,
    INVALID_APPID,
    INVALID_SIGNATURE,
    MessageCrypto,
    WeChatError,
    check_signature,
    signature,
)
from connectors.wechat.messages import (
    EventMessage,
    TextMessage,
    UnknownMessage,
    parse_xml,
    text_reply,
    to_message,
)

TOKEN = "testtoken"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")  # 43 characters, as WeChat gives it
APPID = "wx1234567890abcdef"
TEXT = (
    "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser123]]></FromUserName>"
    "<CreateTime>1763700000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[身份证丢了]]></Content>"
    "<MsgId>24567890123456789</MsgId></xml>"
)


def test_signature_is_sha1_of_sorted_parts():
    import hashlib

    assert signature("b", "a", "c") == hashlib.sha1(b"abc").hexdigest()
    check_signature(TOKEN, signature(TOKEN, "1", "n"), "1", "n")
    with pytest.raises(WeChatError) as err:
        check_signature(TOKEN, "0" * 40, "1", "n")
    assert err.value.code == INVALID_SIGNATURE == -40001


def test_aes_round_trip_and_tampering():
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    encrypted, sig = crypto.encrypt(TEXT, "nonce1", "1763700000")
    assert crypto.decrypt(encrypted, sig, "1763700000", "nonce1") == TEXT
    with pytest.raises(WeChatError) as err:
        crypto.decrypt(encrypted, sig, "1763700001", "nonce1")
    assert err.value.code == INVALID_SIGNATURE
    other = MessageCrypto(TOKEN, AES_KEY, "wx_other_app")
    enc2, sig2 = other.encrypt(TEXT, "n", "1")
    with pytest.raises(WeChatError) as err:
        crypto.decrypt(enc2, sig2, "1", "n")
    assert err.value.code == INVALID_APPID
    broken = base64.b64encode(b"x" * 48).decode()
    with pytest.raises(WeChatError) as err:
        crypto.decrypt(broken, signature(TOKEN, "1", "n", broken), "1", "n")
    assert err.value.code == DECRYPT_AES


def test_message_types_and_fallback():
    msg = to_message(parse_xml(TEXT))
    assert (
        isinstance(msg, TextMessage) and msg.content == "身份证丢了" and msg.dedupe_key == "24567890123456789"
    )
    event = to_message(
        parse_xml(
            "<xml><ToUserName>a</ToUserName><FromUserName>u</FromUserName><CreateTime>5</CreateTime>"
            "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>HUMAN</EventKey></xml>"
        )
    )
    assert isinstance(event, EventMessage) and event.event_key == "HUMAN" and event.dedupe_key == "u:5"
    image = to_message(parse_xml("<xml><MsgType>image</MsgType><FromUserName>u</FromUserName></xml>"))
    assert isinstance(image, UnknownMessage)
    with pytest.raises(WeChatError):
        parse_xml('<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>')
    reply = parse_xml(text_reply("u", "a", "回复 1：居民身份证补领 ]]> 结束"))
    assert reply["Content"] == "回复 1：居民身份证补领 ]]&gt; 结束" and reply["MsgType"] == "text"
