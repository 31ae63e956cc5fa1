"""Issue 14, done-when: arbitrary Unicode through the WeChat parser and callback and the chat API:
no exception escapes (only the protocol's own refusals), never a 5xx."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.wechat.crypto import WeChatError, signature
from connectors.wechat.messages import parse_xml, split_text, to_message
from tests.nlu.test_properties import TEXT

FEW = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), TEXT))
def test_the_wechat_parser_only_ever_refuses_with_a_protocol_code(body):
    try:
        message = to_message(parse_xml(body))
    except WeChatError as exc:
        assert exc.code in (-40002,)
    else:
        assert message.msg_type is not None


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_split_replies_stay_within_the_limit_and_lose_nothing(text):
    parts = split_text(text)
    assert all(len(p.encode("utf-8", "replace")) <= 2048 for p in parts) and parts


@pytest.fixture(scope="module")
def client(tmp_path_factory, sample_entries):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings

    app = create_app(Settings(var_dir=tmp_path_factory.mktemp("props"), search_enabled=False, rasa_url="",
                              wechat_token="tok", wechat_appid="wx1", rate_limit_per_minute=1e9,
                              rate_limit_burst=1_000_000))  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as c:
        c.app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        yield c


@pytest.mark.slow
@FEW
@given(TEXT)
def test_the_chat_api_never_answers_5xx(client, text):
    body = json.dumps({"sender": "prop", "text": text[:1000] or "x"})  # surrogates travel as \\ud800 escapes
    resp = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert resp.status_code < 500, resp.text
    resp.json()


@pytest.mark.slow
@FEW
@given(TEXT)
def test_the_wechat_callback_never_answers_5xx(client, text):
    ts, nonce = str(int(time.time())), "n"
    content = text[:600].replace("]]>", "")
    xml = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>oProp</FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{abs(hash(text))}</MsgId></xml>"
    )
    params = {"signature": signature("tok", ts, nonce), "timestamp": ts, "nonce": nonce}
    resp = client.post("/wechat", params=params, content=xml.encode("utf-8", "surrogatepass"))
    assert resp.status_code < 500, resp.text
