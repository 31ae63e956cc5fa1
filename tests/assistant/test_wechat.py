"""The 公众号 callback end to end: real XML, real AES, a fake WeChat API on loopback."""

from __future__ import annotations

import base64
import os
import threading
import time

import pytest

from connectors.wechat.crypto import MessageCrypto, signature
from connectors.wechat.messages import parse_xml
from tests.connectors.fakes import FakeWeChatApi, serve

TOKEN, APPID = "tok", "wxappid0000000000"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")


@pytest.fixture
def fake_api():
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def client(app_client, stub_retriever, fake_api):
    """Plaintext mode (no EncodingAESKey)."""
    return app_client(
        stub_retriever,
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="s",
        wechat_api_base=fake_api.url,
        wechat_reply_budget=1.0,
    )


@pytest.fixture
def safe_client(app_client, stub_retriever, fake_api):
    """Safe mode: an EncodingAESKey is configured, so only encrypted messages are accepted."""
    return app_client(
        stub_retriever,
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="s",
        wechat_aes_key=AES_KEY,
        wechat_api_base=fake_api.url,
        wechat_reply_budget=1.0,
    )


def _now() -> str:
    return str(int(time.time()))


def _query(ts=None, nonce="n1"):
    ts = ts or _now()
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


def test_safe_mode_round_trip(safe_client):
    client = safe_client
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    ts = _now()
    encrypted, msg_sig = crypto.encrypt(_text("户口本丢了怎么补", msg_id="4001"), "n9", ts)
    envelope = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    resp = client.post(
        "/wechat",
        params={**_query(ts, nonce="n9"), "encrypt_type": "aes", "msg_signature": msg_sig},
        content=envelope,
    )
    out = parse_xml(resp.text)
    inner = parse_xml(crypto.decrypt(out["Encrypt"], out["MsgSignature"], out["TimeStamp"], out["Nonce"]))
    assert "户口簿补领" in inner["Content"]
    tampered = client.post(
        "/wechat",
        params={**_query(ts, nonce="n9"), "encrypt_type": "aes", "msg_signature": "0" * 40},
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


# --- issue 14 item 4: what a careless or hostile caller sends ---------------------------------


@pytest.mark.parametrize("typed", ["①", "²", "１", "一"])
def test_choices_typed_in_other_digits_pick_or_fall_through_never_500(client, typed):
    reply = client.post("/wechat", params=_query(), content=_text("身份证丢了", msg_id=f"c{typed}"))
    assert "回复 1：" in parse_xml(reply.text)["Content"]
    chosen = client.post("/wechat", params=_query(), content=_text(typed, msg_id=f"d{typed}"))
    assert chosen.status_code == 200
    content = parse_xml(chosen.text)["Content"]
    if typed != "²":
        assert content.startswith("【"), content  # "①" is choice 1, like "1"


def test_aes_message_without_a_configured_key_is_refused_not_a_500(client):
    resp = client.post(
        "/wechat", params={**_query(), "encrypt_type": "aes", "msg_signature": "x"}, content="<xml/>"
    )
    assert resp.status_code == 400 and resp.text == "-40004"


def test_a_body_that_is_not_utf8_is_refused(client):
    resp = client.post("/wechat", params=_query(), content="<xml><Content>办证</Content></xml>".encode("gbk"))
    assert resp.status_code == 400 and resp.text == "-40002"


def test_an_old_timestamp_is_refused_even_with_a_right_signature(client):
    old = str(int(time.time()) - 365 * 86400)
    assert client.post("/wechat", params=_query(old), content=_text("驾照丢了")).status_code == 403
    assert client.get("/wechat", params={**_query(old), "echostr": "e"}).status_code == 403
    assert client.post("/wechat", params=_query("abc"), content=_text("驾照丢了")).status_code == 403


def test_plaintext_is_refused_once_safe_mode_is_configured(safe_client):
    resp = safe_client.post("/wechat", params=_query(), content=_text("驾照丢了怎么办", msg_id="p1"))
    assert resp.status_code == 403 and resp.text == "-40001"


def test_a_long_answer_is_split_within_the_limit_and_the_rest_sent_as_customer_messages(client, fake_api):
    channel = client.app.state.services.channels.wechat
    channel.follow_delay = 0
    long_answer = "\n".join(f"第{i}条：请携带居民身份证原件及复印件到办事大厅窗口办理。" for i in range(120))
    real = channel._run
    channel._run = lambda openid, text: long_answer
    try:
        resp = client.post("/wechat", params=_query(), content=_text("材料", msg_id="L1", user="oLong"))
        deadline = time.time() + 10
        while len("".join(m["text"]["content"] for m in fake_api.sent)) < len(long_answer) - 2000:
            assert time.time() < deadline, "the rest never went out"
            time.sleep(0.05)
    finally:
        channel._run = real
    first = parse_xml(resp.text)["Content"]
    assert len(first.encode("utf-8")) <= 2048 and first.startswith("第0条")
    parts = [first] + [m["text"]["content"] for m in fake_api.sent]
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert "\n".join(parts) == long_answer  # nothing lost, in order


def test_without_the_api_a_long_answer_is_cut_with_a_pointer_to_12345(client):
    channel = client.app.state.services.channels.wechat
    api, real = channel.api, channel._run
    channel.api, channel._run = None, (lambda openid, text: "很长的答复。" * 1000)
    try:
        resp = client.post("/wechat", params=_query(), content=_text("材料", msg_id="L2"))
    finally:
        channel.api, channel._run = api, real
    content = parse_xml(resp.text)["Content"]
    assert len(content.encode("utf-8")) <= 2048 and "12345" in content


def test_a_closed_48_hour_window_stops_the_customer_messages_without_retrying(client, fake_api, capsys):
    from assistant.logs import flush_logs

    channel = client.app.state.services.channels.wechat
    channel.follow_delay = 0
    fake_api.window_closed = True
    real = channel._run
    channel._run = lambda openid, text: "很长的答复。\n" * 800  # needs several messages
    try:
        resp = client.post("/wechat", params=_query(), content=_text("材料", msg_id="W1", user="oGone"))
        deadline = time.time() + 10
        while not fake_api.attempts and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        channel._run = real
    flush_logs()
    assert resp.status_code == 200 and len(parse_xml(resp.text)["Content"].encode("utf-8")) <= 2048
    assert fake_api.attempts == 1 and not fake_api.sent  # the other parts are not tried
    assert "48-hour window closed" in capsys.readouterr().err
