"""The conversation suite's data and its checks: well-formed, tied to the knowledge base, and
able to fail (every expectation is shown failing on a reply that misses it)."""

from __future__ import annotations

import json

import pytest

from tests.assistant.conversation_runner import Report, run_conversation
from tests.assistant.conversation_suite import (
    Conversation,
    SuiteError,
    Turn,
    asked,
    check_turn,
    kb_names,
    load_suite,
)

CATEGORIES = {
    "follow_up", "context", "bundle", "booking", "complaint", "emergency", "false_alarm",
    "out_of_scope", "small_talk", "robustness",
}  # fmt: skip
RENEW = "370199-000101002000-QR-002-01"


@pytest.fixture(scope="module")
def suite(sample_entries):
    return load_suite(names=kb_names(sample_entries))


def test_suite_covers_issue_12(suite, sample_entries):
    assert len(suite) >= 150
    assert {c.category for c in suite} == CATEGORIES
    holdout = sum(c.holdout for c in suite) / len(suite)
    assert 0.25 <= holdout <= 0.35, holdout
    for category in CATEGORIES:  # both parts see every category
        assert {c.holdout for c in suite if c.category == category} == {True, False}, category
    turns = [t for c in suite for t in c.turns]
    assert sum(t.expect.get("emergency") is False for t in turns) >= 40
    assert sum(isinstance(t.expect.get("emergency"), list) for t in turns) >= 20
    assert all(len(t.value) <= 1000 for t in turns if t.kind == "say")  # the chat API's limit
    questions = {q.id for e in sample_entries if hasattr(e, "questions") for q in e.questions}
    for t in turns:
        if t.kind == "walk":
            assert set(t.value["answers"]) <= questions, t.value


def test_names_must_exist_in_the_knowledge_base(tmp_path, sample_entries):
    (tmp_path / "x.yaml").write_text(
        "category: follow_up\nconversations:\n  - id: a\n    turns:\n      - say: 你好\n"
        "        expect: {about: 不存在的事项}\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match="不存在的事项"):
        load_suite(tmp_path, kb_names(sample_entries))
    (tmp_path / "x.yaml").write_text(
        "category: follow_up\nconversations:\n  - id: a\n    turns:\n      - say: 你好\n        expect: {abuot: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match="abuot"):
        load_suite(tmp_path)


def msg(text, **extra):
    return {"text": text, "buttons": [], **extra}


def test_each_expectation_can_fail():
    guide = {"kind": "guide", "code": RENEW, "name": "居民身份证换领"}
    fee = [msg("【居民身份证换领】收费：工本费20元。", about=guide)]
    assert check_turn({"about": RENEW, "contains": ["20元"], "not_contains": ["40元"]}, fee) == []
    assert check_turn({"about": "other"}, fee)
    assert check_turn({"contains": [["40元", "免费"]]}, fee)
    assert check_turn({"not_contains": ["20 元"]}, fee)  # compared without spaces
    assert check_turn({"no_wrong_service": True}, fee)
    assert check_turn({"no_wrong_service": {"allowed": [RENEW]}}, fee) == []
    assert check_turn({"receipt": "booking"}, fee)
    assert check_turn({"handoff": True}, fee)
    assert check_turn({"checklist": True}, fee)
    assert check_turn({}, []) == ["没有回复"]


def test_emergency_checks_the_first_message_both_ways():
    form = [msg("事情发生在哪里？请说区和具体地址。")]
    right = [msg("请立即拨打 119，开窗通风，关闭燃气阀门。"), msg("需要的话我可以帮您记录到 12345。")]
    late = [msg("燃气报装的办理流程如下……"), msg("如遇泄漏请拨打 119。")]
    groups = [["119", "抢修"], ["开窗", "通风"]]
    assert check_turn({"emergency": groups}, right) == []
    assert check_turn({"emergency": groups}, late)  # the numbers must come first
    assert check_turn({"emergency": groups}, form)
    assert check_turn({"emergency": False}, right) == ["误报为紧急情况"]
    # a fee of 120元 or a 0000-86012119 office number is no emergency number
    assert check_turn({"emergency": False}, [msg("每本120元，咨询电话 0000-86012119")]) == []


def test_form_questions_are_read_from_the_closing_line():
    assert asked(msg("请选择办理大厅（告诉我您在哪个区）")) == "hall"
    assert asked(msg("请选择办理日期（只列出还有空位的工作日）：")) == "date"
    assert asked(msg("请核对预约信息：\n地点：东城区政务服务中心\n确认提交吗？")) == "confirm"
    assert asked(msg("事情发生在哪里？请说区和具体地址")) == "location"
    assert asked(msg("【普通护照申领】收费：每本120元。")) is None
    reply = [msg("请留下办事人的 11 位手机号。")]
    assert check_turn({"asks": "phone"}, reply) == []
    assert check_turn({"asks": "name"}, reply)
    assert check_turn({"not_asks": ["phone"]}, reply)


def scripted(replies):
    """A fake chat endpoint answering with ``replies(text)``; records what it was sent."""
    sent = []

    def send(sender, text):
        sent.append(text)
        return "rasa", replies(text)

    return send, sent


def bundle_msg(question, options=("是", "否")):
    buttons = [
        {"title": o, "payload": "/bundle_answer" + json.dumps({"code": "B", "question": question, "answer": o})}
        for o in options
    ]
    return {"text": f"问题 {question}？", "buttons": buttons}


def test_a_walk_fails_when_a_typed_answer_is_not_understood():
    walk = Turn("walk", {"by": "words", "answers": {"q1": "还没办呢", "q2": "要"}}, {"checklist": True})
    conv = Conversation("c", "bundle", [Turn("say", "开店", {}), walk])
    stuck, _ = scripted(lambda text: [bundle_msg("q1")])
    result = run_conversation(conv, stuck, "web:t")
    assert not result.ok and any("没有被理解" in r for r in result.turns[1].reasons)

    def understood(text):
        if text == "开店":
            return [bundle_msg("q1")]
        if text == "还没办呢":
            return [bundle_msg("q2")]
        return [{"text": "清单", "checklist": {"guides": [], "materials": []}}]

    send, sent = scripted(understood)
    assert run_conversation(conv, send, "web:t").ok and sent == ["开店", "还没办呢", "要"]


def test_a_fill_fails_when_the_form_asks_again_what_was_said():
    fill = Turn("fill", {"name": "张三", "phone": "13800000000", "confirm": "确认", "never_asks": ["date"]}, {"receipt": "booking"})
    conv = Conversation("c", "booking", [Turn("say", "下周三预约换身份证", {}), fill])

    def form(text):
        return {
            "下周三预约换身份证": [msg("请选择办理日期：")],
            "张三": [msg("请留下 11 位手机号")],
            "13800000000": [msg("请核对：\n确认提交吗？")],
            "确认": [msg("预约成功", receipt={"kind": "booking", "number": "YY1"})],
        }.get(text, [msg("请告诉我办事人的姓名")])

    send, _ = scripted(form)
    result = run_conversation(conv, send, "web:t")
    assert any("不应追问 date" in r for r in result.turns[1].reasons)
    report = Report("fake", [result])
    assert report.rate() == (0.0, 0, 1) and "不应追问 date" in report.text()
