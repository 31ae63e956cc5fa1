"""/api/chat without the dialogue server: the conversation the app holds on its own."""

from __future__ import annotations

import json

import pytest

from assistant.replies import payload
from assistant.retrieval_dialogue import parse_payload

RESTAURANT = "YJS-370199-002"


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


def say(client, text, sender="u1"):
    resp = client.post("/api/chat", json={"sender": sender, "text": text})
    assert resp.status_code == 200
    return resp.json()["messages"]


def test_payloads_parse():
    assert parse_payload('/choose{"code": "X"}') == ("choose", {"code": "X"})
    assert parse_payload("/human_handoff") == ("human_handoff", {})
    assert parse_payload("/broken{") is None and parse_payload("身份证") is None


def test_question_then_follow_up_in_context(client):
    first = say(client, "驾照丢了怎么办")[0]
    assert "机动车驾驶证遗失补证" in first["text"] and "需要带的材料" in first["text"]
    assert any(b["title"] == "在哪办" for b in first["buttons"])
    follow = say(client, "那要多少钱")[0]
    assert follow["text"].startswith("【机动车驾驶证遗失补证】收费")
    place = say(client, "在哪办")[0]
    assert "车辆管理所" in place["text"]


def test_clarify_then_button_answers(client):
    msg = say(client, "身份证丢了")[0]
    assert msg["text"] == "您是不是想问：" and len(msg["buttons"]) == 4
    chosen = next(b for b in msg["buttons"] if b["title"] == "居民身份证补领")
    answer = say(client, chosen["payload"])[0]
    assert answer["text"].startswith("【居民身份证补领】")


def test_bundle_walk_through_changes_the_checklist(client):
    def walk(sender, choices):
        msg = say(client, json.dumps({"kind": "bundle", "code": RESTAURANT}).join(["/choose", ""]), sender)[0]
        while msg.get("checklist") is None:
            title = choices.get(msg["text"].split("\n")[-1], "否")
            button = next(b for b in msg["buttons"] if b["title"] == title)
            msg = say(client, button["payload"], sender)[0]
        return [g["name"] for g in msg["checklist"]["guides"]]

    small = walk(
        "a",
        {
            "打算以什么形式经营？": "个体工商户",
            "经营面积是否在 50 平方米以下、只做简单小吃（小餐饮）？": "是",
        },
    )
    big = walk(
        "b",
        {
            "打算以什么形式经营？": "有限责任公司",
            "经营面积是否超过 300 平方米？": "是",
            "是否设置户外招牌？": "是",
        },
    )
    assert small == ["个体工商户设立登记", "小餐饮经营登记"]
    assert (
        "公众聚集场所投入使用营业前消防安全检查" in big
        and "户外招牌设置" in big
        and "小餐饮经营登记" not in big
    )


def test_follow_ups_about_a_bundle_in_context_answer_for_its_guides(client):
    opened = "/choose" + json.dumps({"kind": "bundle", "code": RESTAURANT})
    say(client, opened, "c")
    say(client, payload("bundle_answer", code=RESTAURANT, question="entity", answer="个体工商户"), "c")
    fee = say(client, "那要多少钱", "c")[0]
    assert fee["text"].startswith("【开办餐饮店一件事】各事项的收费") and "个体工商户设立登记：" in fee["text"]
    assert fee["about"]["code"] == RESTAURANT
    assert "统一窗口" in say(client, "在哪办", "c")[0]["text"]
    assert "工作日" in say(client, "要多久", "c")[0]["text"]
    # answered from context, so nothing lands in the editors' unanswered queue
    assert client.app.state.services.unanswered.items() == []


def test_handoff_off_topic_and_forms_without_dialogue_server(client):
    # a real hand-off (queued, or told it is after hours) holds the conversation: its own sender
    handoff = say(client, "我要转人工", sender="web:handoff-0000001")[-1]
    assert "人工客服" in handoff["text"] and {"title": "拨打 12345", "payload": "tel:12345"} in handoff["buttons"]
    assert "没有找到" in say(client, "喂喂喂 xyz")[0]["text"]
    # forms run in the app itself (the same actions Rasa calls): the first question, not "unavailable"
    assert "暂时无法" not in say(client, "我想预约办身份证", "f1")[-1]["text"]
    assert "哪一类" in say(client, "/complain", "f2")[-1]["text"]


def test_chat_misses_reach_the_editors_queue_without_pii(client):
    say(client, "喂喂喂 xyz 13812345678", sender="wechat:oUser")
    (item,) = client.app.state.services.unanswered.items()
    assert item.source == "wechat" and "13812345678" not in item.text and "138****5678" in item.text


def test_bad_request_is_polite(client):
    resp = client.post("/api/chat", json={"sender": "u1", "text": ""})
    assert resp.status_code == 422 and "请求内容不正确" in resp.json()["detail"]


@pytest.mark.slow
@pytest.mark.integration
def test_real_model_follow_up(app_client, real_retriever):
    c = app_client(real_retriever)
    first = say(c, "宝宝刚出生 要上户口")[0]
    follow = say(c, "那要带什么材料")[0]
    assert "出生" in first["text"]
    assert "需要带的材料" in follow["text"] and "出生医学证明" in follow["text"]
