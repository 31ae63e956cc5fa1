"""The question log: every citizen turn, from every channel and in both modes, with its decision,
masked, under a pseudonym of the conversation, forgotten after the retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI

from assistant.actions.protocol import to_rasa
from assistant.conversation import Conversation
from assistant.question_log import QuestionLog, channel_of, decision_of, pseudonym_key
from assistant.replies import Button, Reply, clarify, human_handoff, no_match, payload
from tests.connectors.fakes import serve

DRIVING = "370199-000103002000-XK-002-01"  # 机动车驾驶证遗失补证
EPOCH = date(2000, 1, 1)


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


@pytest.fixture
def log(db_url):
    """The log on SQLite and, where it answers, PostgreSQL."""
    from zoneinfo import ZoneInfo

    from assistant.database import migrate
    from foundation.db import make_engine

    engine = make_engine(db_url)
    migrate(engine)
    yield QuestionLog(engine, pseudonym_key("k" * 40), ZoneInfo("Asia/Shanghai"))
    engine.dispose()


def say(client, sender: str, text: str, shown: str | None = None) -> dict:
    resp = client.post("/api/chat", json={"sender": sender, "text": text, "shown": shown})
    assert resp.status_code == 200, resp.text
    return resp.json()


def logged(client) -> list:
    return list(reversed(client.app.state.services.questions.rows(EPOCH)))


def test_decisions_read_from_the_replies():
    about = {"kind": "guide", "code": DRIVING, "name": "机动车驾驶证遗失补证"}
    assert decision_of("retrieval", [Reply("【…】", about=about)]) == ("answer", DRIVING)
    assert decision_of("rasa", [clarify([("guide", "A", "甲"), ("guide", "B", "乙")])]) == ("clarify", None)
    assert decision_of("retrieval", [no_match()]) == ("none", None)
    assert decision_of("rasa", [human_handoff()]) == ("handoff", None)
    assert decision_of("safety", [Reply("⚠️ …", about=about)]) == ("emergency", None)
    assert decision_of("rasa", [Reply("请告诉我办事人的姓名。")], form=True) == ("form", None)
    assert decision_of("rasa", [Reply("预约成功", receipt={"kind": "booking", "number": "YY1"})]) == (
        "form",
        None,
    )
    assert decision_of("rasa", [Reply("您好", [Button("预约办理", "/book")])]) == ("other", None)
    assert [channel_of(s) for s in ("web:1", "wechat:o", "cli:x", "abc", "evil:1")] == [
        "web",
        "wechat",
        "cli",
        "web",
        "api",
    ]


def test_every_channel_and_decision_is_logged_masked(client):
    say(client, "web:a", "驾照丢了怎么补，我手机13812345678")
    say(client, "web:a", "那要多少钱")
    say(client, "web:b", "身份证的事")
    say(client, "cli:c", "我要预约")
    say(client, "cli:c", "算了")
    say(client, "wechat:openid-1", "转人工")
    say(client, "web:qlog-fire", "楼下着火了")
    say(client, "web:e", payload("choose", kind="guide", code=DRIVING), shown="机动车驾驶证遗失补证")
    rows = logged(client)
    got = [(r.channel, r.mode, r.decision, r.code) for r in rows]
    assert got == [
        ("web", "retrieval", "answer", DRIVING),
        ("web", "retrieval", "answer", DRIVING),  # the follow-up, answered from the guide in focus
        ("web", "retrieval", "clarify", None),
        ("cli", "retrieval", "form", None),
        ("cli", "retrieval", "form", None),  # 算了 ends the form: still the form's turn
        ("wechat", "retrieval", "handoff", None),
        ("web", "safety", "emergency", "fire"),
        ("web", "retrieval", "answer", DRIVING),
    ]
    assert rows[0].text == "驾照丢了怎么补，我手机138****5678" and rows[0].reply.startswith("【机动车驾驶证遗失补证】 办理条件：")
    assert rows[-1].text == "机动车驾驶证遗失补证"  # the button's title, not its payload
    questions = client.app.state.services.questions
    row = questions.around(questions.conversation_of("web:a"), datetime.now(UTC) + timedelta(seconds=1))
    assert [r.text for r in row] == ["驾照丢了怎么补，我手机138****5678", "那要多少钱"]
    from sqlalchemy import select

    from assistant.question_log import QuestionRow

    with client.app.state.services.store.engine.connect() as conn:
        stored = conn.execute(select(QuestionRow.conversation, QuestionRow.text)).all()
    assert all("openid" not in c and "web:" not in c for c, _ in stored)  # a pseudonym, never the sender
    assert not any("13812345678" in t for _, t in stored)


def test_a_miss_is_logged_as_none(client):
    say(client, "web:z", "zzqx qqzv")
    assert [r.decision for r in logged(client)] == ["none"]


def test_figures_count_days_channels_rates_and_emergencies(log):
    # 23:30 UTC on Dec 1 is Dec 2 in the city: days are the city's
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    for sender, text, decision, at in (
        ("web:1", "驾照丢了", "answer", late), ("web:1", "驾照丢了", "answer", late), ("wechat:2", "身份证", "clarify", late),
        ("cli:3", "火星签证", "none", late - timedelta(days=1)), ("web:4", "着火了", "emergency", late),
        ("web:5", "/book", "form", late),
    ):  # fmt: skip
        log.record(
            sender,
            text,
            mode="retrieval",
            decision=decision,
            code="fire" if decision == "emergency" else None,
            at=at,
        )
    f = log.figures(date(2026, 11, 1))
    assert f["per_day"] == [
        {"day": "2026-12-01", "channel": "cli", "count": 1},
        {"day": "2026-12-02", "channel": "web", "count": 4},
        {"day": "2026-12-02", "channel": "wechat", "count": 1},
    ]
    assert f["total"] == 6 and f["decisions"]["answer"] == 2 and f["decisions"]["form"] == 1
    assert f["typed"] == 4  # typed questions that went to search: answer, answer, clarify, none
    assert f["rates"] == {"answer": 0.5, "clarify": 0.25, "none": 0.25}
    assert f["top"][0] == {"text": "驾照丢了", "count": 2, "decision": "answer", "code": None}
    assert "/book" not in [t["text"] for t in f["top"]]  # a button, not a question
    assert f["emergencies"] == [{"kind": "fire", "count": 1}]
    assert f["emergencies_recent"][0]["text"] == "着火了"


def test_old_turns_are_forgotten(log):
    log.retention_days = 30
    now = datetime.now(UTC)
    log.record("web:1", "旧问题", mode="retrieval", decision="none", at=now - timedelta(days=31))
    log.record("web:1", "新问题", mode="retrieval", decision="none", at=now - timedelta(days=29))
    assert log.purge() == 1
    assert [r.text for r in log.rows(EPOCH)] == ["新问题"]


class FormRasa:
    """Rasa's REST channel for one form turn: while answering it "runs" the form's validation
    action, which the app's webhook notes on the turn (as routes/actions.py does)."""

    def __init__(self) -> None:
        self.conversation: Conversation | None = None
        self.app = FastAPI()

        @self.app.post("/webhooks/rest/webhook")
        def webhook(body: dict):
            turn = self.conversation.turn_for(body["sender"])
            if body["message"] == "我要预约":
                turn.actions += [
                    "action_prepare_booking",
                    "validate_booking_form",
                    "action_ask_booking_service",
                ]
                return [{"text": "您要预约办理哪个事项？"}]
            if body["message"] == "能提前预约吗":  # a question before the form: answered, no form opened
                turn.actions += ["action_prepare_booking"]
            return [
                to_rasa(
                    Reply("【机动车驾驶证遗失补证】…", about={"kind": "guide", "code": DRIVING, "name": "…"})
                )
            ]


def test_rasa_turns_are_logged_with_the_form_its_actions_name(log):
    fake = FormRasa()
    with serve(fake.app) as url:
        conv = Conversation(None, url, timeout=2.0, questions=log)
        fake.conversation = conv

        async def main():
            try:
                return [await conv.turn("web:r", t) for t in ("我要预约", "驾照丢了", "能提前预约吗")]
            finally:
                await conv.aclose()

        assert [m for m, _ in asyncio.run(main())] == ["rasa", "rasa", "rasa"]
    assert [(r.mode, r.decision, r.code) for r in reversed(log.rows(EPOCH))] == [
        ("rasa", "form", None), ("rasa", "answer", DRIVING), ("rasa", "answer", DRIVING),
    ]  # fmt: skip


def test_a_logging_failure_never_fails_the_turn(client, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("database gone")

    monkeypatch.setattr(client.app.state.services.questions, "record", broken)
    assert say(client, "web:x", "驾照丢了怎么办")["messages"][0]["about"]["code"] == DRIVING
