"""Issue 14 item 1: one bad request never breaks the service nor leaks what it carried."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.logs import flush_logs
from assistant.settings import Settings

SURROGATE_BODIES = {
    "/api/search": '{"q": "\\ud800"}',
    "/api/chat": '{"sender": "s1", "text": "\\ud800办护照"}',
    "/api/tickets": '{"description": "\\udfff路灯坏了"}',
    "/api/ratings": '{"helpful": false, "answer": "\\ud800", "reason": "x"}',
    "/api/bookings/lookup": '{"number": "YY261124ABCDEFGHJK", "phone": "1381234567\\ud800"}',
    "/api/auth/login": '{"username": "\\ud800", "password": "x"}',
}


@pytest.mark.parametrize("path", sorted(SURROGATE_BODIES))
def test_a_lone_surrogate_is_cleaned_or_refused_never_a_500(app_client, stub_retriever, path):
    client = app_client(stub_retriever)
    resp = client.post(path, content=SURROGATE_BODIES[path], headers={"content-type": "application/json"})
    assert resp.status_code < 500, resp.text  # typed text is cleaned where it enters; the rest is a 422
    body = resp.json()
    if resp.status_code == 422 and "errors" in body:
        assert body["detail"].startswith("请求内容不正确")
        assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])  # no "input" echoed
    assert "\ud800" not in resp.text.encode("utf-8", "backslashreplace").decode()
    assert client.get("/health").status_code == 200  # and the service still answers


def test_a_surrogate_in_a_field_that_is_not_cleaned_is_a_422_not_a_500(app_client, stub_retriever):
    client = app_client(stub_retriever)
    resp = client.post("/api/search", content='{"q": "办护照", "region": "\\ud800"}', headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "region"]


def test_validation_errors_never_echo_the_input(app_client, stub_retriever):
    resp = app_client(stub_retriever).post("/api/search", json={"q": "我的手机13812345678", "top_k": "13912345678"})
    assert resp.status_code == 422
    assert "13912345678" not in resp.text and "13812345678" not in resp.text


def _boom_app(tmp_path, fmt: str) -> TestClient:
    app = create_app(Settings(var_dir=tmp_path, search_enabled=False, rasa_url="", log_format=fmt))

    def boom() -> dict:
        admin_token = "tok-SECRET-abcdef123456"  # noqa: F841 — a local the old traceback printed
        contact = {"name": "张三", "phone": "13812345678"}
        raise RuntimeError(f"could not forward ticket for {contact['phone']} token={admin_token}")

    app.add_api_route("/api/boom", boom)
    return TestClient(app)


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_a_server_error_is_logged_once_without_locals_or_secrets(tmp_path, capsys, fmt):
    with _boom_app(tmp_path, fmt) as client:
        capsys.readouterr()
        resp = client.get("/api/boom", headers={"Authorization": "Bearer tok-SECRET-abcdef123456"})
        flush_logs()
    err = capsys.readouterr().err
    assert resp.status_code == 500
    body = resp.json()
    assert "12345" in body["detail"] and body["error_id"] in body["detail"]
    assert err.count("request failed") == 1
    assert body["error_id"] in err  # the operator finds the line from the reply
    assert "RuntimeError" in err and "in boom" in err.replace('"', "")  # still diagnosable
    assert "tok-SECRET" not in err and "13812345678" not in err and "张三" not in err
    assert "admin_token =" not in err and "contact =" not in err  # no local variables
    if fmt == "json":
        line = next(json.loads(x) for x in err.splitlines() if "request failed" in x)
        assert "RuntimeError" in line["exception"]


def test_log_lines_are_rendered_off_the_callers_thread(tmp_path):
    from logging.handlers import QueueHandler

    with TestClient(create_app(Settings(var_dir=tmp_path, search_enabled=False, rasa_url=""))):
        assert all(isinstance(h, QueueHandler) for h in logging.getLogger().handlers)
