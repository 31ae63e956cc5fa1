"""Issue 14 item 6: tickets only go to districts the knowledge base knows."""

from __future__ import annotations


def test_an_unknown_district_is_refused_with_the_known_ones(app_client):
    client = app_client()
    resp = client.post("/api/tickets", json={"description": "小区门口路灯坏了", "district": "火星区", "anonymous": True})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert "火星区" in detail and "东城区" in detail and "不清楚可以不填" in detail
    assert "火星区城市管理局" not in resp.text


def test_known_district_short_form_and_none_route_sensibly(app_client):
    client = app_client()
    full = client.post("/api/tickets", json={"description": "小区门口路灯坏了", "district": "东城区", "anonymous": True})
    short = client.post("/api/tickets", json={"description": "小区门口路灯坏了", "district": "东城", "anonymous": True})
    none = client.post("/api/tickets", json={"description": "小区门口路灯坏了", "anonymous": True})
    assert full.status_code == short.status_code == none.status_code == 201, (full.text, short.text, none.text)
    assert full.json()["department"].startswith("东城区") and short.json()["department"] == full.json()["department"]
    assert none.json()["department"].startswith("示例市")
