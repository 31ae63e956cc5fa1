"""Whole conversations through /api/chat with a live Rasa server and the app as its action server."""

from __future__ import annotations

import json
import re
import time

import pytest

from assistant import dialogue_server as ds

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LICENCE = "机动车驾驶证遗失补证"
RESTAURANT = "YJS-370199-002"
NLU_TARGET = 0.93  # intent macro-F1 on the held-out split


def test_intents_on_the_held_out_split(model, capsys):
    scores = ds.evaluate_nlu(*model)
    with capsys.disabled():
        print(
            f"\n意图识别（留出集 {scores.examples} 句）：macro-F1 {scores.macro_f1:.3f}，准确率 {scores.accuracy:.3f}"
            + "".join(f"\n  错判：{t}  应为 {e}，识别为 {p}" for t, e, p in scores.confusions)
        )
    assert scores.macro_f1 >= NLU_TARGET, scores.per_intent


def test_rasa_test_stories_pass(model):
    ds.test_stories(*model)  # raises with Rasa's report when a story's actions differ


def say(live, text, sender):
    import httpx

    resp = httpx.post(f"{live[0]}/api/chat", json={"sender": sender, "text": text}, timeout=10)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    return data["mode"], data["messages"]


def rasa_say(live, text, sender):
    mode, messages = say(live, text, sender)
    assert mode == "rasa" and messages, (text, mode, messages)
    return messages


def test_service_question_with_follow_up_in_context(live):
    first = rasa_say(live, "驾照丢了怎么办", "web:e1")
    assert LICENCE in first[0]["text"]
    fee = rasa_say(live, "那要多少钱", "web:e1")
    assert fee[0]["text"].startswith(f"【{LICENCE}】收费")
    place = rasa_say(live, "在哪办", "web:e1")
    assert "车辆管理所" in place[0]["text"]


def test_clarify_then_button(live):
    msg = rasa_say(live, "身份证的事", "web:e2")[0]
    assert msg["text"] == "您是不是想问：", msg
    button = msg["buttons"][0]
    answer = rasa_say(live, button["payload"], "web:e2")[0]
    assert answer["text"].startswith(f"【{button['title']}】")


def test_restaurant_walk_through_checklist_changes_with_answers(live):
    def walk(sender, pick):
        payload = "/choose" + json.dumps({"kind": "bundle", "code": RESTAURANT}, ensure_ascii=False)
        msg = rasa_say(live, payload, sender)[-1]
        while msg.get("checklist") is None:
            msg = rasa_say(live, pick(msg["buttons"])["payload"], sender)[-1]
        return msg["checklist"]

    few = walk("web:e3a", lambda buttons: buttons[-1])
    many = walk("web:e3b", lambda buttons: buttons[0])
    assert [g["code"] for g in few["guides"]] != [g["code"] for g in many["guides"]]
    name = next(m["name"] for m in many["materials"] if not m["exempt"])
    ticked = rasa_say(live, f"{name}我已经有了", "web:e3b")[-1]
    assert any(m["done"] and m["name"] == name for m in ticked["checklist"]["materials"])


def _bookable(app):
    return next(g for g in app.state.services.store.published("guide") if g.bookable and app.state.services.booking.halls(g.code))


def test_booking_made_queried_and_cancelled(live):
    guide, s = _bookable(live[2]), "web:e4"
    msg = rasa_say(live, "/book" + json.dumps({"code": guide.code}), s)[-1]
    for _ in range(3):  # hall, day, time: the first offered button each time
        msg = rasa_say(live, msg["buttons"][0]["payload"], s)[-1]
    assert "姓名" in msg["text"]
    msg = rasa_say(live, "张三", s)[-1]
    msg = rasa_say(live, "13812345678", s)[-1]
    assert "138****5678" in msg["text"] and "确认" in msg["text"]
    done = rasa_say(live, "/affirm", s)[-1]["text"]
    number = re.search(r"YY\d{6}[A-Z2-9]{10}", done).group(0)
    rasa_say(live, "/query_booking", s)
    rasa_say(live, number, s)
    found = rasa_say(live, "13812345678", s)[-1]["text"]
    assert number in found and "有效" in found
    rasa_say(live, "/cancel_booking", s)
    rasa_say(live, number, s)
    cancelled = rasa_say(live, "13812345678", s)[-1]["text"]
    assert "已为您取消" in cancelled


def test_complaint_filed_and_queried(live):
    s = "web:e5"
    msg = rasa_say(live, "/complain", s)[-1]
    msg = rasa_say(live, "投诉", s)[-1] if msg.get("buttons") else msg
    msg = rasa_say(live, "楼下饭店油烟太大了，晚上都不停", s)[-1]
    msg = rasa_say(live, "西城区建设街12号", s)[-1]
    msg = rasa_say(live, "13900001111", s)[-1]
    assert "139****1111" in msg["text"]
    filed = rasa_say(live, "/affirm", s)[-1]["text"]
    number = re.search(r"GD\d{6}[A-Z2-9]{8}", filed).group(0)
    assert "生态环境" in filed
    rasa_say(live, "/query_ticket", s)
    status = rasa_say(live, number, s)[-1]["text"]
    assert number in status and "派单" in status


def test_handoff_and_off_topic(live):
    assert rasa_say(live, "转人工", "web:e6")[-1]["handoff"] is True
    assert "没有找到" in rasa_say(live, "帮我订一张去上海的机票", "web:e6")[-1]["text"]


def test_rasa_stopped_mid_conversation_then_back(live):
    _, rasa, _ = live
    rasa_say(live, "驾照丢了怎么办", "web:e7")
    rasa.stop()
    try:
        # the app runs the booking form itself, for the service Rasa's conversation was about
        mode, msgs = say(live, "我要预约", "web:e7")
        assert mode == "retrieval" and LICENCE in msgs[0]["text"] and "大厅" in msgs[-1]["text"]
        mode, msgs = say(live, "算了", "web:e7")
        assert mode == "retrieval" and "停止" in msgs[-1]["text"]
        mode, msgs = say(live, "驾照丢了怎么办", "web:e7")
        assert mode == "retrieval" and LICENCE in msgs[0]["text"]
    finally:
        rasa.start()  # the other tests of the module need it, whatever happened here
    time.sleep(1.1)  # the app tries Rasa again after rasa_retry_after
    assert say(live, "你好", "web:e7")[0] == "rasa"


# -- issue 12: the dialogue core through Rasa -----------------------------------------------------


def test_emergency_answered_before_rasa(live):
    mode, messages = say(live, "家里一股煤气味，好像燃气泄漏了", "web:e8")
    assert mode == "safety" and "阀门" in messages[0]["text"] and "119" in messages[0]["text"]


def test_follow_ups_from_the_whole_guide_and_negative_questions(live):
    s = "web:e9"
    rasa_say(live, "无犯罪证明怎么开", s)
    assert "不设有效期" in rasa_say(live, "有效期多久", s)[-1]["text"]
    rasa_say(live, "我想换身份证", s)
    fee = rasa_say(live, "不收钱吧", s)[-1]["text"]
    assert "工本费" in fee and "还有别的" not in fee
    assert "祝您办事顺利" in rasa_say(live, "谢谢，没别的了", s)[-1]["text"]


def test_bundle_question_answered_in_words(live):
    s = "web:e10"
    rasa_say(live, "我想开个小饭馆", s)
    assert "50 平方米" in rasa_say(live, "个体户", s)[-1]["text"]
    assert "招牌" in rasa_say(live, "面积不大，大概50平", s)[-1]["text"]  # the 300 平方米 question is skipped


def test_booking_the_service_named_with_a_counter_question(live):
    s = "web:e11"
    msg = rasa_say(live, "我要预约办结婚登记", s)[-1]
    assert "大厅" in msg["text"]  # the service was taken from the message
    for _ in range(3):  # hall, day, time
        msg = rasa_say(live, msg["buttons"][0]["payload"], s)[-1]
    msg = rasa_say(live, "张三", s)[-1]
    why = rasa_say(live, "为啥要手机号？会不会泄露", s)
    assert "加密" in why[0]["text"] and "格式不对" not in why[0]["text"]
    msg = rasa_say(live, "13812345678", s)[-1]
    assert "内地居民结婚登记" in msg["text"] and "离婚" not in msg["text"]
    rasa_say(live, "/deny", s)


def test_rasa_turns_are_in_the_question_log(live):
    """The question log in Rasa mode: each decision as Rasa's actions made it, a form turn by its actions."""
    from datetime import UTC, datetime, timedelta

    app, s = live[2], "web:e-qlog"
    rasa_say(live, "身份证的事", s)  # first: after an answer it is read in that guide's context
    rasa_say(live, "驾照丢了怎么办", s)
    rasa_say(live, "帮我订一张去上海的机票", s)
    rasa_say(live, "/book" + json.dumps({"code": _bookable(app).code}), s)  # the booking form asks for a hall
    questions = app.state.services.questions
    rows = questions.around(questions.conversation_of(s), datetime.now(UTC) + timedelta(seconds=1), before=10)
    assert [(r.mode, r.decision) for r in rows] == [("rasa", "clarify"), ("rasa", "answer"), ("rasa", "none"), ("rasa", "form")]
    assert rows[1].code == "370199-000103002000-XK-002-01" and rows[1].channel == "web"
