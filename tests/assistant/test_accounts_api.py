"""The admins' accounts API: create, change role, disable (sessions end at once), reset password;
editors cannot reach it and an admin cannot lock themselves out."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(staffed_client):
    staffed_client.app.state.services.accounts.add("admin1", "admin password 1", "admin")
    return staffed_client


@pytest.fixture
def adm(client, bearer):
    return bearer(client, "admin1", "admin password 1")


def test_only_admins_manage_accounts(client, bearer):
    assert client.get("/api/admin/accounts").status_code == 401
    editor = bearer(client, "editor1", "editor password 1")
    assert client.get("/api/admin/accounts", headers=editor).status_code == 403


def test_create_change_role_disable_and_reset(client, adm, bearer):
    made = client.post("/api/admin/accounts", headers=adm, json={"username": "hotline2", "password": "first password 2", "role": "staff"})
    assert made.status_code == 201 and made.json()["role_name"] == "话务员" and made.json()["active"]
    assert "password" not in made.text and "hash" not in made.text
    dup = client.post("/api/admin/accounts", headers=adm, json={"username": "hotline2", "password": "first password 2", "role": "staff"})
    assert dup.status_code == 422 and "已存在" in dup.json()["detail"]

    own = bearer(client, "hotline2", "first password 2")
    assert client.get("/api/staff/facets", headers=own).status_code == 200
    assert client.get("/api/admin/entries", headers=own).status_code == 403
    promoted = client.patch("/api/admin/accounts/hotline2", headers=adm, json={"role": "editor"})
    assert promoted.json()["role"] == "editor"
    assert client.get("/api/admin/entries", headers=own).status_code == 200  # the role counts at once

    off = client.patch("/api/admin/accounts/hotline2", headers=adm, json={"active": False})
    assert off.json()["active"] is False
    assert client.get("/api/staff/facets", headers=own).status_code == 401  # its session ended
    assert client.post("/api/auth/login", json={"username": "hotline2", "password": "first password 2"}).status_code == 401
    client.patch("/api/admin/accounts/hotline2", headers=adm, json={"active": True})

    short = client.post("/api/admin/accounts/hotline2/password", headers=adm, json={"password": "short"})
    assert short.status_code == 422
    again = bearer(client, "hotline2", "first password 2")
    assert client.post("/api/admin/accounts/hotline2/password", headers=adm, json={"password": "second password 2"}).json() == {"ok": True}
    assert client.get("/api/staff/facets", headers=again).status_code == 401
    assert client.post("/api/auth/login", json={"username": "hotline2", "password": "first password 2"}).status_code == 401
    assert client.post("/api/auth/login", json={"username": "hotline2", "password": "second password 2"}).status_code == 200
    listed = {a["username"]: a for a in client.get("/api/admin/accounts", headers=adm).json()}
    assert {"admin1", "editor1", "hotline1", "hotline2"} <= set(listed) and listed["hotline2"]["role"] == "editor"


def test_an_admin_cannot_lock_themselves_out(client, adm):
    for change in ({"active": False}, {"role": "editor"}):
        out = client.patch("/api/admin/accounts/admin1", headers=adm, json=change)
        assert out.status_code == 422 and "自己" in out.json()["detail"]
    assert client.patch("/api/admin/accounts/nobody", headers=adm, json={"active": False}).status_code == 422


def test_an_account_belongs_to_a_department_and_can_leave_it(client, adm, bearer):
    made = client.post("/api/admin/accounts", headers=adm, json={
        "username": "dept1", "password": "first password 3", "role": "staff", "department": " 东城区城市管理局 "})  # fmt: skip
    assert made.status_code == 201 and made.json()["department"] == "东城区城市管理局"
    own = bearer(client, "dept1", "first password 3")
    assert client.get("/api/auth/me", headers=own).json()["department"] == "东城区城市管理局"
    kept = client.patch("/api/admin/accounts/dept1", headers=adm, json={"role": "staff"})
    assert kept.json()["department"] == "东城区城市管理局"  # not given: unchanged
    moved = client.patch("/api/admin/accounts/dept1", headers=adm, json={"department": "示例市市场监督管理局"})
    assert moved.json()["department"] == "示例市市场监督管理局"
    cleared = client.patch("/api/admin/accounts/dept1", headers=adm, json={"department": None})
    assert cleared.json()["department"] is None
    names = client.get("/api/admin/accounts/departments", headers=adm).json()["departments"]
    assert names == sorted(set(names)) and any("公安" in n for n in names)
