"""Issue 14 item 13: an export leaves no folder behind in the temp directory."""

from __future__ import annotations

import tempfile
from pathlib import Path


def test_exports_remove_their_temp_folders(staffed_client, bearer, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # watch only this test's temp files
    ed = bearer(staffed_client, "editor1", "editor password 1")
    before = set(Path(tmp_path).iterdir())
    for fmt in ("xlsx", "yaml"):
        resp = staffed_client.get("/api/admin/export", params={"format": fmt}, headers=ed)
        assert resp.status_code == 200 and len(resp.content) > 1000
    assert set(Path(tmp_path).iterdir()) == before  # no folder left (mkdtemp's used to stay)
