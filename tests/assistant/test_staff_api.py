"""The hotline operator's API: search with filters, the read-out script, tickets for callers."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(staffed_client):
    return staffed_client


@pytest.fixture
def st(client, bearer):
    return bearer(client, "hotline1", "hotline password 1")


def test_staff_routes_refuse_anonymous_callers(client):
    for path in ("/api/staff/lookup?q=驾照", "/api/staff/facets", "/api/staff/script/X"):
        assert client.get(path).status_code == 401
    assert client.post("/api/staff/tickets", json={"description": "路灯坏了好几天"}).status_code == 401


def test_lookup_filters_by_department(client, st):
    facets = client.get("/api/staff/facets", headers=st).json()
    assert "市公安局" in " ".join(facets["departments"]) and facets["districts"]
    hits = client.get("/api/staff/lookup", params={"q": "驾驶证丢了补办"}, headers=st).json()["results"]
    assert hits and "驾驶证" in hits[0]["name"]
    department = hits[0]["department"]
    other = next(d for d in facets["departments"] if d != department)
    filtered = client.get(
        "/api/staff/lookup", params={"q": "驾驶证丢了补办", "department": other}, headers=st
    ).json()["results"]
    assert all(h["department"] == other for h in filtered)
    browse = client.get("/api/staff/lookup", params={"department": department}, headers=st).json()
    assert browse["decision"] == "browse" and all(h["department"] == department for h in browse["results"])


def test_script_is_the_guide_answer_with_the_callers_district_first(client, st):
    code = client.get("/api/guides", params={"q": "户口簿补领"}).json()[0]["code"]
    guide = client.get(f"/api/guides/{code}").json()["content"]
    districts = [h["district"] for h in guide["halls"]]
    last = districts[-1]
    script = client.get(f"/api/staff/script/{code}", params={"district": last}, headers=st).json()
    assert script["name"] == "户口簿补领" and "需要带的材料" in script["text"]
    lines = script["text"].splitlines()
    first_hall = lines[lines.index("在哪办：") + 1]  # one hall per line, the caller's district first
    assert first_hall.startswith(f"· {next(h['name'] for h in guide['halls'] if h['district'] == last)}：")
    assert client.get("/api/staff/script/NOPE", headers=st).status_code == 404


def test_operator_opens_a_ticket_for_a_caller(client, st):
    body = {"description": "来电人反映小区路灯坏了一周", "district": "东城区", "contact_phone": "13812345678"}
    ticket = client.post("/api/staff/tickets", json=body, headers=st)
    assert ticket.status_code == 201
    data = ticket.json()
    assert data["number"].startswith("GD") and data["history"][0]["note"] == "hotline 渠道受理"
    assert "13812345678" not in str(data)
    bad = client.post("/api/staff/tickets", json={"description": "坏了"}, headers=st)
    assert bad.status_code == 422 and "具体" in bad.json()["detail"]
