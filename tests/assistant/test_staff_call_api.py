"""What an operator needs on a live call: spoken 答复口径 (no web addresses, a 一件事 following the
caller's answers), only confident search results by default, the caller's tickets and bookings
by phone (masked, logged), a ticket draft from the caller's words."""

from __future__ import annotations

import logging
import re

import pytest

RESTAURANT = "开办餐饮店一件事"


@pytest.fixture
def client(staffed_client):
    return staffed_client


@pytest.fixture
def st(client, bearer):
    return bearer(client, "hotline1", "hotline password 1")


def _code(client, name, kind="guides"):
    return next(e["code"] for e in client.get(f"/api/{kind}", params={"q": name}).json() if e["name"] == name)


def test_guide_script_reads_out_no_web_address(client, st):
    code = _code(client, "居民身份证补领")
    guide = client.get(f"/api/guides/{code}").json()["content"]
    assert guide["online_url"].startswith("http")  # the guide has one …
    text = client.get(f"/api/staff/script/{code}", headers=st).json()["text"]
    assert "http" not in text and "://" not in text  # … the operator is not asked to spell it out
    assert "政务服务网搜索“居民身份证补领”" in text and "需要带的材料" in text


def test_bundle_script_follows_the_operators_answers(client, st):
    code = _code(client, RESTAURANT, "bundles")
    bundle = client.get(f"/api/bundles/{code}").json()["content"]
    first = bundle["questions"][0]
    before = client.post(f"/api/staff/script/{code}", json={}, headers=st).json()
    assert before["ask_next"][0] == first["text"]  # what to ask the caller, not the bot's question as the answer
    assert not before["text"].rstrip().endswith(("？", "?"))
    answers = {q["id"]: q["default"] or q["options"][0]["value"] for q in bundle["questions"]}
    after = client.post(f"/api/staff/script/{code}", json={"answers": answers}, headers=st).json()
    assert after["ask_next"] == [] and "还要问来电人" not in after["text"]
    checklist = client.post(f"/api/bundles/{code}/checklist", json={"answers": answers, "done": []}).json()
    for g in checklist["guides"]:
        assert g["name"] in after["text"]
    for m in checklist["materials"]:
        assert m["name"] in after["text"]
    assert f"{len(checklist['guides'])} 个事项联办" in after["text"]
    wrong = client.post(f"/api/staff/script/{code}", json={"answers": {first["id"]: "nonsense"}}, headers=st)
    assert wrong.status_code == 422


def test_lookup_keeps_only_confident_results_unless_asked(client, st):
    sure = client.get("/api/staff/lookup", params={"q": "驾驶证丢了补办"}, headers=st).json()
    assert sure["results"] and all(h["confident"] for h in sure["results"])
    everything = client.get("/api/staff/lookup", params={"q": "驾驶证丢了补办", "confident": False}, headers=st).json()
    assert len(everything["results"]) == len(sure["results"]) + sure["hidden"]
    assert [h["code"] for h in everything["results"][: len(sure["results"])]] == [h["code"] for h in sure["results"]]
    off = client.get("/api/staff/lookup", params={"q": "今天晚上吃什么火锅好呢"}, headers=st).json()
    if off["decision"] == "none":
        assert off["results"] == [] and off["hidden"] > 0


def test_callers_tickets_and_bookings_by_phone_masked_and_logged(client, st, caplog):
    phone = "13912345678"
    mine = client.post("/api/staff/tickets", headers=st, json={
        "description": "来电人反映小区路灯坏了一周没人修", "district": "东城区", "contact_phone": phone})
    other = client.post("/api/staff/tickets", headers=st, json={
        "description": "来电人反映楼下餐馆油烟很大", "district": "东城区", "contact_phone": "13800000000"})
    assert mine.status_code == other.status_code == 201
    guide = next(g for g in client.app.state.services.store.published("guide") if g.bookable)
    hall = client.get("/api/halls", params={"service": guide.code}).json()[0]
    free = client.get(f"/api/halls/{hall['id']}/slots", params={"service": guide.code, "days": 14}).json()[0]
    booked = client.post("/api/bookings", json={
        "service_code": guide.code, "hall_id": hall["id"], "day": free["day"], "start": free["start"],
        "name": "张三", "phone": phone})
    assert booked.status_code == 201, booked.text
    with caplog.at_level(logging.INFO):
        out = client.get("/api/staff/caller", params={"phone": "139 1234 5678"}, headers=st)
    assert out.status_code == 200
    data = out.json()
    assert [t["number"] for t in data["tickets"]] == [mine.json()["number"]]
    assert phone not in out.text and data["phone_masked"] == "139****5678"
    assert [b["number"] for b in data["bookings"]] == [booked.json()["number"]]
    logged = [r for r in caplog.records if "caller looked up" in r.getMessage()]
    assert logged and phone not in caplog.text
    [entry] = client.app.state.services.audit.entries(kind="caller")  # the audit trail, not only the log
    assert (entry["actor"], entry["action"], entry["code"]) == ("hotline1", "caller_lookup", "139****5678")
    assert entry["detail"] == {"tickets": 1, "bookings": 1}
    assert client.get("/api/staff/caller", params={"phone": "12ab"}, headers=st).status_code == 422
    assert client.get("/api/staff/caller", params={"phone": phone}).status_code == 401


def test_ticket_draft_from_the_callers_words(client, st):
    draft = client.post("/api/staff/ticket-draft", json={"text": "  我要投诉   楼下餐馆油烟太大\n熏得没法开窗 "}, headers=st).json()
    assert draft["description"] == "我要投诉 楼下餐馆油烟太大 熏得没法开窗"
    assert draft["category"] == "投诉"
    assert re.fullmatch(r"\S+", draft["category"])
