"""The built-in 12345 ticket system."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from connectors.complaint.protocol import InvalidTicketError, TicketRequest, TicketStateError
from connectors.complaint.rules import TicketRules

CASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "complaints.yaml").read_text(encoding="utf-8")
)


def _req(**kw):
    base = {
        "description": "楼上邻居每天半夜唱歌，吵得睡不着",
        "district": "东城区",
        "contact_name": "李四",
        "contact_phone": "13812345678",
    }
    base.update(kw)
    return TicketRequest(**base)


def test_rules_on_sixty_realistic_texts():
    rules = TicketRules.load()
    assert len(CASES) >= 60
    cat_ok = sum(rules.classify(c["text"]) == c["category"] for c in CASES)
    dep_ok = sum(rules.route(c["text"], c["category"], c["district"]) == c["department"] for c in CASES)
    misses = [
        (c["text"], rules.classify(c["text"]), rules.route(c["text"], c["category"], c["district"]))
        for c in CASES
        if rules.classify(c["text"]) != c["category"]
        or rules.route(c["text"], c["category"], c["district"]) != c["department"]
    ]
    print(
        f"\nclassification {cat_ok}/{len(CASES)} = {cat_ok / len(CASES):.3f}; "
        f"routing {dep_ok}/{len(CASES)} = {dep_ok / len(CASES):.3f}"
    )
    for m in misses:
        print("  miss:", m)
    assert cat_ok / len(CASES) >= 0.85 and dep_ok / len(CASES) >= 0.85


def test_file_classifies_routes_and_sets_deadlines(complaints):
    t = complaints.file(_req())
    assert (t.category, t.category_source, t.urgency) == ("投诉", "rules", "一般")
    assert t.department == "东城区公安分局" and t.status == "派单"
    assert [e.status for e in t.history] == ["受理", "派单"]
    assert t.resolve_by == date(2026, 12, 10)  # 13 working days after Monday 2026-11-23
    assert t.contact_masked == "李*，138****5678"


def test_explicit_category_wins_and_urgent_is_same_day(complaints):
    t = complaints.file(_req(description="楼道里有很浓的煤气味，快来人看看", category="求助"))
    assert (t.category, t.category_source, t.urgency) == ("求助", "form", "紧急")
    assert t.resolve_by == t.respond_by == date(2026, 11, 23)
    assert t.department == "示例市燃气有限公司"


def test_lifecycle_follow_up_and_rating(complaints):
    t = complaints.file(_req())
    with pytest.raises(TicketStateError):
        complaints.rate(t.number, "满意")
    complaints.follow_up(t.number, "今晚又在唱，电话13900001111")
    complaints.advance(t.number, "办理", actor="东城区公安分局")
    complaints.advance(t.number, "办结", actor="东城区公安分局", note="已上门劝导")
    done = complaints.rate(t.number, "满意", "处理很快")
    assert done.status == "评价" and done.satisfaction == "满意"
    assert [e.status for e in done.history] == ["受理", "派单", "派单", "办理", "办结", "回访", "评价"]
    assert all("13900001111" not in e.note for e in done.history)
    with pytest.raises(TicketStateError):
        complaints.advance(t.number, "办理", actor="x")


def test_anonymous_and_invalid_requests(complaints):
    t = complaints.file(_req(anonymous=True, contact_phone=None, contact_name=None))
    assert t.contact_masked == "匿名"
    with pytest.raises(InvalidTicketError):
        complaints.file(_req(description="吵"))
    with pytest.raises(InvalidTicketError) as err:
        complaints.file(_req(contact_phone="123"))
    assert "匿名" in err.value.user_message


def test_idempotent_filing(complaints):
    a = complaints.file(_req(idempotency_key="chat-1"))
    b = complaints.file(_req(idempotency_key="chat-1"))
    assert a.number == b.number and len(complaints.find()) == 1


def test_contact_is_ciphertext_and_description_masked(complaints, engine):
    t = complaints.file(_req(description="我的身份证号11010519491231002X，邻居半夜太吵了"))
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT contact, description FROM tickets WHERE number = :n"), {"n": t.number}
        ).one()
    assert "13812345678" not in row.contact and "李四" not in row.contact
    assert "11010519491231002X" not in row.description


def test_export_shape(complaints):
    t = complaints.file(_req())
    masked = complaints.export([t])
    assert (
        masked["format"] == "yichuang-12345-tickets"
        and masked["tickets"][0]["contact_masked"] == "李*，138****5678"
    )
    full = complaints.export([t], include_contact=True)
    assert full["tickets"][0]["contact"] == {"name": "李四", "phone": "13812345678"}
