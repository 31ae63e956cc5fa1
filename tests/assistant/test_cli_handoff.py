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
