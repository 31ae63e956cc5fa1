"""The 公众号 callback end to end: real XML, real AES, a fake WeChat API on loopback."""

from __future__ import annotations

import base64
import os
import threading
import time

import pytest
from fastapi import FastAPI, Request

from connectors.wechat.crypto import MessageCrypto, signature
from connectors.wechat.messages import parse_xml
from tests.connectors.fakes import serve

TOKEN, APPID = "tok", "wxappid0000000000"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")


class FakeWeChatApi:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.tokens = 0
        self.expire_next = False
        self.app = FastAPI()

        @self.app.get("/cgi-bin/token")
        def token(appid: str, secret: str):
            self.tokens += 1
            return {"access_token": f"T{self.tokens}", "expires_in": 7200}

        @self.app.post("/cgi-bin/message/custom/send")
        async def send(request: Request, access_token: str):
            if self.expire_next:
                self.expire_next = False
                return {"errcode": 42001, "errmsg": "access_token expired"}
            self.sent.append({"token": access_token, **(await request.json())})
            return {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def fake_api():
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def client(app_client, stub_retriever, fake_api):
    return app_client(
        stub_retriever,
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="s",
        wechat_aes_key=AES_KEY,
        wechat_api_base=fake_api.url,
        wechat_reply_budget=1.0,
    )


def _query(ts="1763700000", nonce="n1"):
    return {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def _text(content, msg_id="1001", user="oUser"):
    return (
        f"<xml><ToUserName><![CDATA[gh_acct]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>1763700000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def test_url_verification(client):
    assert client.get("/wechat", params={**_query(), "echostr": "abc123"}).text == "abc123"
    bad = client.get("/wechat", params={"signature": "x", "timestamp": "1", "nonce": "n", "echostr": "abc"})
    assert bad.status_code == 403 and bad.text == "-40001"


def test_bad_signature_is_refused_before_reading_the_body(client):
    resp = client.post(
        "/wechat", params={"signature": "bad", "timestamp": "1", "nonce": "n"}, content="not xml"
    )
    assert resp.status_code == 403 and resp.text == "-40001"


def test_text_answer_with_numbered_choices(client):
    reply = parse_xml(client.post("/wechat", params=_query(), content=_text("身份证丢了")).text)
    assert reply["ToUserName"] == "oUser" and reply["FromUserName"] == "gh_acct"
    assert "您是不是想问" in reply["Content"] and "回复 1：" in reply["Content"]
    lines = [x for x in reply["Content"].splitlines() if x.startswith("回复 ") and "居民身份证补领" in x]
    number = lines[0].split("：")[0].removeprefix("回复 ")
    chosen = parse_xml(client.post("/wechat", params=_query(), content=_text(number, msg_id="1002")).text)
    assert chosen["Content"].startswith("【居民身份证补领】")


def test_retry_of_the_same_message_is_not_answered_twice(client):
    first = client.post("/wechat", params=_query(), content=_text("驾照丢了怎么办", msg_id="2001"))
    assert "机动车驾驶证遗失补证" in parse_xml(first.text)["Content"]
    assert (
        client.post("/wechat", params=_query(), content=_text("驾照丢了怎么办", msg_id="2001")).text
        == "success"
    )


def test_subscribe_menu_click_and_unknown_types(client):
    def event(kind, key=""):
        xml = (
            f"<xml><ToUserName>gh</ToUserName><FromUserName>oU2</FromUserName><CreateTime>{time.time_ns()}</CreateTime>"
            f"<MsgType>event</MsgType><Event>{kind}</Event><EventKey>{key}</EventKey></xml>"
        )
        return client.post("/wechat", params=_query(), content=xml)

    assert "欢迎关注" in parse_xml(event("subscribe").text)["Content"]
    assert "开办餐饮店一件事" in parse_xml(event("CLICK", "BUNDLE_RESTAURANT").text)["Content"]
    assert "12345" in parse_xml(event("CLICK", "HUMAN").text)["Content"]
    image = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>oU2</FromUserName><CreateTime>7</CreateTime>"
        "<MsgType>image</MsgType><PicUrl>http://x</PicUrl><MsgId>3001</MsgId></xml>"
    )
    assert "文字" in parse_xml(client.post("/wechat", params=_query(), content=image).text)["Content"]


def test_safe_mode_round_trip(client):
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    encrypted, msg_sig = crypto.encrypt(_text("户口本丢了怎么补", msg_id="4001"), "n9", "1763700000")
    envelope = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    resp = client.post(
        "/wechat",
        params={**_query(nonce="n9"), "encrypt_type": "aes", "msg_signature": msg_sig},
        content=envelope,
    )
    out = parse_xml(resp.text)
    inner = parse_xml(crypto.decrypt(out["Encrypt"], out["MsgSignature"], out["TimeStamp"], out["Nonce"]))
    assert "户口簿补领" in inner["Content"]
    tampered = client.post(
        "/wechat",
        params={**_query(nonce="n9"), "encrypt_type": "aes", "msg_signature": "0" * 40},
        content=envelope,
    )
    assert tampered.status_code == 403


def test_slow_answer_goes_out_later_through_the_customer_service_api(client, fake_api):
    channel = client.app.state.services.channels.wechat
    gate = threading.Event()
    real = channel.dialogue.respond

    def slow(sender, text):
        gate.wait(5)
        return real(sender, text)

    channel.dialogue.respond = slow
    fake_api.expire_next = True  # the first send finds an expired token and must refresh it
    try:
        resp = client.post(
            "/wechat", params=_query(), content=_text("驾照到期了怎么换", msg_id="5001", user="oSlow")
        )
        assert resp.text == "success"
        gate.set()
        deadline = time.time() + 10
        while not fake_api.sent and time.time() < deadline:
            time.sleep(0.05)
    finally:
        channel.dialogue.respond = real
    (sent,) = fake_api.sent
    assert sent["touser"] == "oSlow" and "机动车驾驶证" in sent["text"]["content"]
    assert sent["token"] == "T2" and fake_api.tokens == 2


def test_safe_mode_message_without_a_configured_key_is_refused_not_a_500(app_client, stub_retriever):
    plain = app_client(stub_retriever, wechat_token=TOKEN, wechat_appid=APPID)  # no EncodingAESKey
    envelope = "<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>"
    resp = plain.post(
        "/wechat", params={**_query(), "encrypt_type": "aes", "msg_signature": "0" * 40}, content=envelope
    )
    assert resp.status_code == 400 and resp.text == "-40004"
