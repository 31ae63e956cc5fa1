"""Citizens' booking and 12345 routes through the app (built-in connectors, SQLite)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

SERVICE_NAME = "居民身份证补领"


@pytest.fixture
def client(app_client):
    return app_client()


def _code(client, name=SERVICE_NAME):
    return client.get("/api/guides", params={"q": name}).json()[0]["code"]


def _next_open_slot(client, code):
    hall = client.get("/api/halls", params={"service": code, "district": "西城区"}).json()[0]
    slots = client.get(
        f"/api/halls/{hall['id']}/slots",
        params={"service": code, "days": 10, "first": (date.today() + timedelta(days=1)).isoformat()},
    ).json()
    return hall, slots[0]


def test_halls_nearest_district_first(client):
    halls = client.get("/api/halls", params={"service": _code(client), "district": "西城区"}).json()
    assert halls[0]["district"] == "西城区"


def test_book_lookup_cancel_through_the_api(client):
    code = _code(client)
    hall, slot = _next_open_slot(client, code)
    body = {
        "service_code": code,
        "hall_id": hall["id"],
        "day": slot["day"],
        "start": slot["start"],
        "name": "赵六",
        "phone": "13812345678",
        "idempotency_key": "web-1",
    }
    made = client.post("/api/bookings", json=body)
    assert made.status_code == 201
    booking = made.json()
    assert booking["service_name"] == SERVICE_NAME and booking["phone_masked"] == "138****5678"
    assert client.post("/api/bookings", json=body).json()["number"] == booking["number"]  # retried request
    again = client.post("/api/bookings", json={**body, "idempotency_key": "web-2"})
    assert again.status_code == 409 and "只能预约一次" in again.json()["detail"]
    found = client.post("/api/bookings/lookup", json={"number": booking["number"], "phone": "13812345678"}).json()
    assert [b["number"] for b in found] == [booking["number"]]
    # issue 14 item 11: a phone number alone lists nothing (anyone may know it)
    alone = client.post("/api/bookings/lookup", json={"phone": "13812345678"})
    assert alone.status_code == 422 and booking["number"] not in alone.text
    other = client.post("/api/bookings/lookup", json={"number": booking["number"], "phone": "13900000000"})
    assert other.status_code == 200 and other.json() == []
    wrong = client.post(f"/api/bookings/{booking['number']}/cancel", json={"phone": "13900000000"})
    assert wrong.status_code == 404
    assert (
        client.post(f"/api/bookings/{booking['number']}/cancel", json={"phone": "13812345678"}).json()[
            "status"
        ]
        == "cancelled"
    )


def test_not_bookable_service_is_refused(client):
    code = _code(client, "个人所得税综合所得年度汇算")  # 不可预约
    assert client.get("/api/halls", params={"service": code}).json() == []


def test_file_and_follow_a_ticket(client):
    made = client.post(
        "/api/tickets",
        json={
            "description": "小区门口的路灯坏了一个多月了",
            "district": "西城区",
            "contact_name": "孙七",
            "contact_phone": "13812345678",
        },
    )
    assert made.status_code == 201
    t = made.json()
    assert t["department"] == "西城区城市管理局" and t["contact_masked"] == "孙*，138****5678"
    assert client.get(f"/api/tickets/{t['number']}").json()["status"] == "派单"
    rated = client.post(f"/api/tickets/{t['number']}/rating", json={"satisfaction": "满意"})
    assert rated.status_code == 409 and "办结后" in rated.json()["detail"]
    bad = client.post("/api/tickets", json={"description": "坏了", "contact_phone": "123"})
    assert bad.status_code == 422 and "具体" in bad.json()["detail"]
    assert client.get("/api/tickets/GD000000XXXX").status_code == 404


def test_staff_routes_refuse_anonymous_requests(client):
    assert client.get("/api/staff/tickets").status_code == 401
    assert client.post("/api/staff/outbox/retry").status_code == 401


def test_staff_routes_with_log_in_roles_and_csrf(client):
    accounts = client.app.state.services.accounts
    accounts.add("hotline1", "correct horse battery", "staff")
    assert (
        client.post(
            "/api/auth/login", json={"username": "hotline1", "password": "wrong password!"}
        ).status_code
        == 401
    )
    login = client.post(
        "/api/auth/login", json={"username": "hotline1", "password": "correct horse battery"}
    ).json()
    made = client.post(
        "/api/tickets", json={"description": "楼下烧烤店油烟太大了", "district": "东城区", "anonymous": True}
    ).json()
    listed = client.get("/api/staff/tickets").json()  # the session cookie set by the log-in
    assert [t["number"] for t in listed] == [made["number"]]
    path = f"/api/staff/tickets/{made['number']}/advance"
    assert (
        client.post(path, json={"status": "办结", "actor": "东城区"}).status_code == 403
    )  # cookie without CSRF
    moved = client.post(
        path, json={"status": "办结", "actor": "东城区"}, headers={"X-CSRF-Token": login["csrf"]}
    )
    assert moved.json()["status"] == "办结"
    bearer = {"Authorization": f"Bearer {login['token']}"}
    client.cookies.clear()
    assert client.post(path, json={"status": "办理", "actor": "x"}, headers=bearer).status_code == 409
    assert client.get("/api/staff/outbox", headers=bearer).json()["counts"] == {}
    assert client.post("/api/auth/logout", headers=bearer).json() == {"ok": True}
    assert client.get("/api/staff/bookings", headers=bearer).status_code == 401


def test_staff_page_lists_dead_hand_offs(staffed_client, bearer):
    """Issue 14 item 12: what the outbox gave up on is visible to operators and can be requeued."""
    from datetime import timedelta

    from connectors.outbox import OutboxWorker
    from foundation.db import session_factory

    services = staffed_client.app.state.services
    with session_factory(services.store.engine).begin() as s:
        services.outbox.add(s, "ticket.forward", "GD000000TEST0001", {"x": 1})

    def refuse(payload, key):
        raise ValueError("平台返回缺少 number 字段")

    OutboxWorker(services.store.engine, services.outbox.sealer, {"ticket.forward": refuse},
                 base_delay=0, lease=timedelta(0), max_attempts=1).run_once()  # fmt: skip
    staff = bearer(staffed_client, "hotline1", "hotline password 1")
    box = staffed_client.get("/api/staff/outbox", headers=staff).json()
    assert box["counts"] == {"dead": 1} and box["pending"] == []
    assert box["dead"][0]["ref"] == "GD000000TEST0001" and "number" in box["dead"][0]["last_error"]
    assert staffed_client.post("/api/staff/outbox/retry", headers=staff).json() == {"retried": 1}
