"""Editors' statistics: the figures match the tickets, ratings and questions created here, and
the exports carry the same numbers."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook


@pytest.fixture
def client(staffed_client):
    return staffed_client


@pytest.fixture
def ed(client, bearer):
    return bearer(client, "editor1", "editor password 1")


def _seed(client, st):
    for text, district in (("小区路灯坏了一周没人修", "东城区"), ("楼下餐馆油烟太大熏得没法开窗", "东城区"), ("建设街井盖松动车一过就响", "西城区")):
        assert client.post("/api/staff/tickets", json={"description": f"来电人反映{text}", "district": district, "anonymous": True}, headers=st).status_code == 201
    services = client.app.state.services
    guide = next(g for g in services.store.published("guide") if g.name == "户口簿补领")
    about = {"kind": "guide", "code": guide.code, "name": guide.name}
    services.ratings.record(helpful=True, answer="…", question="户口本丢了", about=about)
    for _ in range(2):
        services.ratings.record(helpful=False, answer="…", question="户口本丢了怎么办", reason="看不懂", about=about)
    return guide


def test_stats_count_what_was_created(client, ed, bearer):
    guide = _seed(client, bearer(client, "hotline1", "hotline password 1"))
    s = client.get("/api/admin/stats", headers=ed).json()
    t = s["tickets"]
    assert t["total"] == 3 and {r["key"]: r["count"] for r in t["by_district"]} == {"东城区": 2, "西城区": 1}
    assert sum(r["count"] for r in t["by_category"]) == 3
    assert t["deadlines"] == {"kept": 0, "missed": 0, "overdue": 0, "open": 3}
    row = next(r for r in s["ratings"]["per_guide"] if r["code"] == guide.code)
    assert (row["up"], row["down"]) == (1, 2)
    dept = next(r for r in s["ratings"]["per_department"] if r["department"] == guide.department)
    assert (dept["up"], dept["down"]) == (1, 2)
    assert s["not_recorded"]  # says plainly what is not counted yet

    sheets = load_workbook(io.BytesIO(client.get("/api/admin/stats.xlsx", headers=ed).content))
    by_district = {r[0]: r[1] for r in sheets["工单按区"].iter_rows(min_row=2, values_only=True)}
    assert by_district == {"东城区": 2, "西城区": 1}
    text = client.get("/api/admin/stats.csv", headers=ed).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["各条目好差评"] in rows and [guide.code, guide.name, "1", "2"] in rows


def test_stats_are_for_editors(client, bearer):
    staff = bearer(client, "hotline1", "hotline password 1")
    assert client.get("/api/admin/stats").status_code == 401
    assert client.get("/api/admin/stats", headers=staff).status_code == 403
