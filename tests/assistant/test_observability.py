"""What operators see: /ready tells the truth, /metrics counts turns, one request id per turn."""

from __future__ import annotations

import socket
import time


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def test_ready_when_the_database_answers_and_no_dialogue_server_is_configured(app_client):
    resp = app_client().get("/ready")
    assert resp.status_code == 200 and resp.json()["checks"] == {"database": True}


def test_not_ready_while_the_dialogue_server_does_not_answer(app_client):
    client = app_client(rasa_url=f"http://127.0.0.1:{_dead_port()}")
    resp = client.get("/ready")
    assert resp.status_code == 503
    assert resp.json()["checks"] == {"database": True, "dialogue_server": False}
    assert client.get("/health").json()["dialogue_server"]["state"] == "external"


def test_not_ready_while_search_models_are_missing(app_client, stub_retriever):
    client = app_client(stub_retriever, search_enabled=True)
    assert client.get("/ready").status_code == 200
    client.app.state.services.retriever = None  # as while the index is still being built
    resp = client.get("/ready")
    assert resp.status_code == 503 and resp.json()["checks"]["search_models"] is False


def test_metrics_count_turns_by_mode_and_read_the_store(app_client, stub_retriever):
    client = app_client(stub_retriever)
    assert client.post("/api/chat", json={"sender": "web:m1", "text": "驾照丢了怎么办"}).status_code == 200
    text = client.get("/metrics").text
    assert 'yichuang_chat_turns_total{mode="retrieval"} 1.0' in text
    assert 'yichuang_chat_turn_seconds_count{mode="retrieval"} 1.0' in text
    assert "yichuang_outbox_depth 0.0" in text and "yichuang_rasa_restarts_total 0.0" in text


def test_one_request_id_from_the_chat_turn_to_the_action_webhook(app_client, stub_retriever, capsys):
    client = app_client(stub_retriever)
    resp = client.post("/api/chat", json={"sender": "web:m2", "text": "你好"}, headers={"X-Request-ID": "turn-0001"})
    assert resp.headers["x-request-id"] == "turn-0001"
    assert client.get("/health").headers["x-request-id"] != "turn-0001"  # each request its own
    body = {
        "next_action": "action_that_does_not_exist",
        "sender_id": "web:m2",
        "tracker": {"sender_id": "web:m2", "latest_message": {"text": "你好", "metadata": {"request_id": "turn-0001"}}},
    }  # what Rasa sends back for that turn: the id travelled in the message's metadata
    assert client.post("/webhook", json=body).status_code == 404

    def seen(logged: list[str]) -> bool:
        return all(any(what in line and "request_id=turn-0001" in line for line in logged)
                   for what in ("chat turn", "unknown action"))  # fmt: skip

    logged: list[str] = []
    deadline = time.monotonic() + 5  # lines are written by the log queue's thread, a moment later
    while not seen(logged) and time.monotonic() < deadline:
        logged += capsys.readouterr().err.splitlines()
        time.sleep(0.05)
    assert seen(logged), logged[-20:]
