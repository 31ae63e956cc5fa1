"""The 12345 ticket desk: take, note, hand back to 派单, finish with the reply, 回访 with 满意度;
each step a ticket event by the logged-in user; deadlines kept, missed or overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.routes.desk import desk_out


@pytest.fixture
def client(staffed_client):
    return staffed_client


@pytest.fixture
def st(client, bearer):
    return bearer(client, "hotline1", "hotline password 1")


def _ticket(client, st, text="来电人反映小区路灯坏了一周没人修"):
    resp = client.post("/api/staff/tickets", json={"description": text, "district": "东城区", "contact_phone": "13812345678"}, headers=st)
    assert resp.status_code == 201
    return resp.json()


def test_a_department_works_a_ticket_to_the_end(client, st):
    t = _ticket(client, st)
    assert t["status"] == "派单"
    base = f"/api/desk/tickets/{t['number']}"
    assert client.post(f"{base}/finish", json={"reply": "已修好"}, headers=st).status_code == 422  # too short a reply
    taken = client.post(f"{base}/take", headers=st).json()
    assert taken["status"] == "办理" and taken["history"][-1]["actor"] == "hotline1"
    noted = client.post(f"{base}/note", json={"note": "已派维修班组现场查看"}, headers=st).json()
    assert noted["status"] == "办理" and noted["history"][-1]["note"] == "已派维修班组现场查看"
    done = client.post(f"{base}/finish", json={"reply": "路灯线路老化，已更换，今晚恢复照明"}, headers=st).json()
    assert done["status"] == "办结" and done["deadline_kept"] is True and not done["overdue"]
    assert client.post(f"{base}/take", headers=st).status_code == 409  # not from 办结
    visited = client.post(f"{base}/visit", json={"satisfaction": "满意", "note": "市民表示灯已经亮了"}, headers=st).json()
    assert visited["status"] == "评价" and visited["satisfaction"] == "满意"
    assert [e["status"] for e in visited["history"]][-4:] == ["办理", "办结", "回访", "评价"]
    assert "13812345678" not in str(visited)


def test_hand_back_to_dispatch_with_a_reason(client, st):
    t = _ticket(client, st)
    base = f"/api/desk/tickets/{t['number']}"
    client.post(f"{base}/take", headers=st)
    back = client.post(f"{base}/return", json={"note": "属于供电公司，非本单位职责"}, headers=st).json()
    assert back["status"] == "派单" and back["history"][-1]["note"] == "退回派单：属于供电公司，非本单位职责"


def test_lists_filter_by_district_and_overdue(client, st):
    t = _ticket(client, st)
    listed = client.get("/api/desk/tickets", params={"district": "东城区"}, headers=st).json()
    assert t["number"] in [r["number"] for r in listed]
    assert client.get("/api/desk/tickets", params={"district": "西城区"}, headers=st).json() == []
    assert client.get("/api/desk/tickets", params={"overdue": True}, headers=st).json() == []
    ticket = client.app.state.services.complaints.get(t["number"])
    late = desk_out(ticket, today=ticket.resolve_by + timedelta(days=1))
    assert late["overdue"] and late["deadline_kept"] is None
    assert not desk_out(ticket, today=date.fromisoformat(t["resolve_by"]))["overdue"]


def test_desk_needs_a_log_in(client):
    assert client.get("/api/desk/tickets").status_code == 401
    assert client.post("/api/desk/tickets/GD1/take").status_code == 401


def test_a_department_account_sees_and_works_only_its_own_tickets(client, st, bearer):
    ours = _ticket(client, st)
    theirs = _ticket(client, st, "来电人反映楼下餐馆油烟太大熏得没法开窗，举报无证经营")
    assert ours["department"] != theirs["department"], (ours["department"], theirs["department"])
    client.app.state.services.accounts.add("dept1", "dept password 1", "staff", ours["department"])
    dept = bearer(client, "dept1", "dept password 1")
    listed = client.get("/api/desk/tickets", params={"department": theirs["department"]}, headers=dept).json()
    assert [t["number"] for t in listed] == [ours["number"]]  # its own department, whatever it asks for
    refused = client.post(f"/api/desk/tickets/{theirs['number']}/take", headers=dept)
    assert refused.status_code == 403 and ours["department"] in refused.json()["detail"]
    assert client.post(f"/api/desk/tickets/{ours['number']}/take", headers=dept).json()["status"] == "办理"
    centre = {t["number"] for t in client.get("/api/desk/tickets", headers=st).json()}  # no department: all
    assert {ours["number"], theirs["number"]} <= centre
