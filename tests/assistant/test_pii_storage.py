"""Issue 14 item 3: what editors and operators see is masked, wherever it was stored."""

from __future__ import annotations

import logging

from sqlalchemy import select

from assistant.logs import flush_logs, setup_logging
from assistant.question_log import QuestionRow

RAW = "我叫王小明，身份证110105194912310021，座机010-12345678，手机１３９１２３４５６７８"
SECRETS = ("王小明", "110105194912310021", "12345678", "１３９１２３４５６７８", "13912345678")


def _clean(text: str) -> bool:
    return not any(s in text for s in SECRETS)


def test_ticket_descriptions_events_and_ratings_are_masked_for_staff(staffed_client, bearer):
    client = staffed_client
    ticket = client.post("/api/tickets", json={"description": "路灯坏了。" + RAW, "district": "东城区", "anonymous": True})
    assert ticket.status_code == 201, ticket.text
    number = ticket.json()["number"]
    assert client.post(f"/api/tickets/{number}/followups", json={"text": "补充：" + RAW}).status_code == 200
    assert client.post("/api/ratings", json={"helpful": False, "answer": "答复", "question": RAW, "reason": RAW}).status_code == 201
    staff = bearer(client, "hotline1", "hotline password 1")
    editor = bearer(client, "editor1", "editor password 1")
    tickets = client.get("/api/staff/tickets", headers=staff)
    assert tickets.status_code == 200 and number in tickets.text
    assert _clean(tickets.text), tickets.text
    assert "王**" in tickets.text
    ratings = client.get("/api/admin/ratings", headers=editor)
    assert ratings.status_code == 200 and ratings.json()
    assert _clean(ratings.text), ratings.text


def test_the_question_log_its_export_and_the_queues_context_are_masked(staffed_client, bearer):
    client = staffed_client
    for text in (RAW, "驾照丢了怎么办"):
        assert client.post("/api/chat", json={"sender": "web:pii", "text": text}).status_code == 200
    client.app.state.services.unanswered.record("要多少钱", "要多少钱", source="web", sender="web:pii")
    editor = bearer(client, "editor1", "editor password 1")
    with client.app.state.services.store.engine.connect() as conn:
        stored = " ".join(f"{t} {r} {c}" for t, r, c in conn.execute(select(QuestionRow.text, QuestionRow.reply, QuestionRow.conversation)))
    assert _clean(stored) and "web:pii" not in stored, stored
    for path in ("/api/admin/stats", "/api/admin/stats.csv", "/api/admin/unanswered"):
        resp = client.get(path, headers=editor)
        assert resp.status_code == 200 and "王**" in resp.content.decode("utf-8-sig") and _clean(resp.content.decode("utf-8-sig")), path


def test_the_action_token_never_reaches_the_access_log(capsys, monkeypatch):
    setup_logging("INFO", "console")
    access = logging.getLogger("uvicorn.access")
    # as `yichuang serve` runs uvicorn (log_config=None): access lines go through the root handler
    # (earlier tests may have started servers with uvicorn's own config on the parent logger)
    for name in ("uvicorn", "uvicorn.access"):
        for attr, value in (("handlers", []), ("propagate", True), ("disabled", False), ("level", logging.INFO)):
            monkeypatch.setattr(logging.getLogger(name), attr, value)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5001", "POST", "/webhook?token=s3cr3t-action-token", "1.1", 200)
    flush_logs()
    err = capsys.readouterr().err
    assert "/webhook?token=" in err and "s3cr3t-action-token" not in err


def test_the_action_token_is_masked_even_by_uvicorns_own_handler(monkeypatch):
    """A server started with uvicorn's log config prints access lines through its own handler on
    the ``uvicorn`` logger (not ours): the token is masked on the logger, before any handler."""
    setup_logging("INFO", "console")
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    parent = logging.getLogger("uvicorn")
    monkeypatch.setattr(parent, "handlers", [Collect()])
    monkeypatch.setattr(parent, "propagate", False)
    access = logging.getLogger("uvicorn.access")
    for attr, value in (("handlers", []), ("propagate", True), ("disabled", False), ("level", logging.INFO)):
        monkeypatch.setattr(access, attr, value)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5001", "POST", "/webhook?token=s3cr3t-action-token", "1.1", 200)
    assert seen and "/webhook?token=" in seen[0] and "s3cr3t-action-token" not in seen[0]
