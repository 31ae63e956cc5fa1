"""Issue 14 item 10: log-in back-off per account and per client, password policy, audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.auth import Accounts, AuthError
from assistant.login_guard import LoginGuard, password_problem
from foundation.db import session_factory
from knowledge.store.tables import AuditRow


@pytest.mark.parametrize("weak", ["short pw 1", "aaaaaaaaaaaaaaaa", "123456789012345", "hotline1-secret-99", "Password1234"])
def test_weak_passwords_are_refused(weak):
    assert password_problem(weak, "hotline1") is not None


def test_reasonable_passwords_pass():
    for good in ("correct horse battery", "editor password 1", "一窗导办窗口2026年春天"):
        assert password_problem(good, "hotline1") is None, good


def test_accounts_refuse_a_weak_password(store):
    with pytest.raises(AuthError, match="至少 12"):
        Accounts(store.engine).add("u1", "0123456789", "staff")


def test_back_off_doubles_per_account_and_clears_on_success():
    guard = LoginGuard(free_per_account=3, free_per_client=100, first_wait=10, longest=60)
    for _ in range(2):
        guard.failed("a", "1.1.1.1", now=0)
    assert guard.wait("a", "1.1.1.1", now=0) == 0
    guard.failed("a", "1.1.1.1", now=0)
    assert guard.wait("a", "9.9.9.9", now=0) == 10  # the account waits, from any address
    guard.failed("a", "1.1.1.1", now=11)
    assert guard.wait("a", "1.1.1.1", now=11) == 20
    for _ in range(5):
        guard.failed("a", "1.1.1.1", now=40)
    assert guard.wait("a", "1.1.1.1", now=40) == 60  # capped
    guard.succeeded("a")
    assert guard.wait("a", "2.2.2.2", now=40) == 0


def test_one_client_guessing_many_accounts_is_slowed_too():
    guard = LoginGuard(free_per_account=100, free_per_client=5, first_wait=10)
    for i in range(5):
        guard.failed(f"user{i}", "6.6.6.6", now=0)
    assert guard.wait("someone-else", "6.6.6.6", now=0) == 10 and guard.wait("someone-else", "7.7.7.7", now=0) == 0


def test_log_in_api_locks_after_repeated_failures_and_audits(staffed_client):
    client = staffed_client
    for _ in range(5):
        resp = client.post("/api/auth/login", json={"username": "hotline1", "password": "wrong password 0"})
        assert resp.status_code == 401
    locked = client.post("/api/auth/login", json={"username": "hotline1", "password": "hotline password 1"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "分钟后再试" in locked.json()["detail"]
    ok = client.post("/api/auth/login", json={"username": "editor1", "password": "editor password 1"})
    assert ok.status_code == 200  # another account from the same client is not locked yet
    with session_factory(client.app.state.services.store.engine)() as s:
        actions = [(r.action, r.code) for r in s.scalars(select(AuditRow).where(AuditRow.kind == "account"))]
    assert actions.count(("login_failed", "hotline1")) == 5
    assert ("login_locked", "hotline1") in actions and ("login", "editor1") in actions
    assert all("password" not in str(r) for r in actions)
