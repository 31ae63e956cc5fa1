"""Issue 14 item 8: 20-digit integers in paths, queries and bodies are a 422, not a 500."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.fixture
def client(staffed_client):
    staffed_client.app.state.services.accounts.add("admin1", "admin password 1", "admin")
    return staffed_client


def test_huge_integers_are_refused_politely(client, bearer):
    admin = bearer(client, "admin1", "admin password 1")
    code = client.get("/api/admin/entries", params={"kind": "guide"}, headers=admin).json()[0]["code"]
    calls = [
        ("get", f"/api/admin/entries/{code}/diff", {"params": {"from": HUGE, "to": 1}}),
        ("post", f"/api/admin/entries/{code}/publish", {"json": {"version": int(HUGE)}}),
        ("post", f"/api/admin/entries/{code}/restore", {"json": {"version": int(HUGE)}}),
        ("post", f"/api/admin/unanswered/{HUGE}/dismiss", {}),
        ("post", f"/api/admin/ratings/{HUGE}/dismiss", {}),
        ("post", f"/api/admin/unanswered/{HUGE}/link", {"json": {"code": code}}),
        ("get", "/api/staff/tickets", {"params": {"limit": HUGE}}),
        ("get", "/api/staff/tickets", {"params": {"limit": -1}}),
        ("post", "/api/staff/outbox/retry", {"params": {"item_id": HUGE}}),
    ]
    for method, path, kw in calls:
        resp = getattr(client, method)(path, headers=admin, **kw)
        assert resp.status_code == 422, (path, resp.status_code, resp.text)
        assert resp.json()["detail"].startswith("请求内容不正确")
