"""Operator commands for tickets, bookings and the outbox."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.settings import get_settings
from connectors.complaint.protocol import TicketRequest


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("YICHUANG_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_tickets_list_show_export_and_outbox_status(settings, tmp_path, capsys):
    from assistant.database import open_store
    from assistant.handoff import build_complaints

    complaints = build_complaints(settings, open_store(settings.database_url).engine)
    t = complaints.file(TicketRequest("楼下烧烤店油烟太大了", district="东城区", contact_phone="13812345678"))
    capsys.readouterr()
    assert cli.main(["tickets", "list"]) == 0
    out = capsys.readouterr().out
    assert t.number in out and "13812345678" not in out
    assert cli.main(["tickets", "show", t.number]) == 0
    assert "东城区生态环境分局" in capsys.readouterr().out
    target = tmp_path / "export.json"
    assert cli.main(["tickets", "export", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["tickets"][0]["number"] == t.number
    assert cli.main(["outbox", "status"]) == 0
    assert "待投递 0" in capsys.readouterr().out
    assert cli.main(["outbox", "run"]) == 1  # nothing configured to forward to
    assert cli.main(["tickets", "show", "GD-NOPE"]) == 1


def test_unanswered_list_link_dismiss(settings, capsys):
    from assistant.database import open_store
    from knowledge.unanswered import UnansweredLog

    log = UnansweredLog(open_store(settings.database_url).engine)
    first = log.record(
        "我的电话13812345678 怎么领那个补贴", "x", source="web", candidates=[{"name": "高龄津贴申领"}]
    )
    second = log.record("天气怎么样", "x", source="web")
    capsys.readouterr()
    assert cli.main(["unanswered", "list"]) == 0
    out = capsys.readouterr().out
    assert "138****5678" in out and "13812345678" not in out and "高龄津贴申领" in out
    assert (
        cli.main(["unanswered", "link", "--id", str(first), "--code", "370199-000701007000-JF-007-01"]) == 0
    )
    assert cli.main(["unanswered", "dismiss", "--id", str(second)]) == 0
    assert log.count() == 0 and log.items(status="linked")[0].linked_code.endswith("-JF-007-01")
    assert cli.main(["unanswered", "dismiss", "--id", "999"]) == 1


def test_users_add(settings, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["users", "add", "editor1", "--role", "editor", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["users", "add", "editor2", "--password-stdin"]) == 1
    assert "至少 12" in capsys.readouterr().err
