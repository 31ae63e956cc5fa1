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
    assert "not_recorded" not in s  # every figure the tab shows is recorded now

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


def _ask(client, sender, text):
    assert client.post("/api/chat", json={"sender": sender, "text": text}).status_code == 200


def test_questions_per_day_channel_and_decision(client, ed):
    for sender, text in (
        ("web:1", "驾照丢了怎么办"), ("web:1", "那要多少钱"), ("web:2", "驾照丢了怎么办"), ("wechat:o2", "身份证的事"),
        ("cli:3", "zzqx qqzv"), ("web:stats-fire", "楼下着火了"), ("web:5", "我要预约"),
    ):  # fmt: skip
        _ask(client, sender, text)
    q = client.get("/api/admin/stats", headers=ed).json()["questions"]
    today = client.app.state.services.questions.today().isoformat()
    assert q["per_day"] == [
        {"day": today, "channel": "cli", "count": 1},
        {"day": today, "channel": "web", "count": 5},
        {"day": today, "channel": "wechat", "count": 1},
    ]
    assert q["decisions"] == {
        "answer": 3,
        "clarify": 1,
        "none": 1,
        "emergency": 1,
        "form": 1,
        "handoff": 0,
        "other": 0,
    }
    assert q["typed"] == 5 and q["rates"] == {"answer": 0.6, "clarify": 0.2, "none": 0.2}
    assert q["top"][0] == {
        "text": "驾照丢了怎么办",
        "count": 2,
        "decision": "answer",
        "code": "370199-000103002000-XK-002-01",
    }
    assert q["emergencies"] == [{"kind": "fire", "count": 1, "name": "火情"}]
    assert q["names"]["channels"]["wechat"] == "微信"

    sheets = load_workbook(io.BytesIO(client.get("/api/admin/stats.xlsx", headers=ed).content))
    per_day = list(sheets["每天提问量"].iter_rows(values_only=True))
    assert per_day == [("日期", "网页", "微信", "终端", "其他接口", "合计"), (today, 5, 1, 1, 0, 7)]
    assert list(sheets["打字提问回答率"].iter_rows(values_only=True))[1] == (5, 0.6, 0.2, 0.2)
    log = list(sheets["问题记录"].iter_rows(values_only=True))
    assert len(log) == 8 and log[1][1:3] == ("网页", "预约/反映表单") and log[1][5] == "我要预约"
    text = client.get("/api/admin/stats.csv", headers=ed).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["紧急情况"] in rows and ["火情", "1"] in rows and ["问题记录"] in rows
