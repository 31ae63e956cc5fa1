"""Issue 14 item 9: the editor's upload has its own limit, large enough for the KB's own export."""

from __future__ import annotations


def test_the_sample_knowledge_base_export_imports_back(staffed_client, bearer):
    client = staffed_client
    ed = bearer(client, "editor1", "editor password 1")
    for fmt in ("yaml", "xlsx"):
        exported = client.get("/api/admin/export", params={"format": fmt, "latest": True}, headers=ed)
        assert exported.status_code == 200 and len(exported.content) > 64 * 1024  # over the public cap
        resp = client.post("/api/admin/import", files={"file": (f"kb.{fmt}", exported.content)}, headers=ed)
        assert resp.status_code == 200, (fmt, resp.status_code, resp.text[:300])
        assert resp.json()["created"] == []  # the same content: nothing new


def test_the_import_limit_still_holds_and_public_routes_keep_theirs(staffed_client, bearer):
    client = staffed_client
    ed = bearer(client, "editor1", "editor password 1")
    huge = b"x" * (client.app.state.services.settings.import_max_bytes + 1)
    resp = client.post("/api/admin/import", files={"file": ("kb.yaml", huge)}, headers=ed)
    assert resp.status_code == 413 and "请求内容太大" in resp.json()["detail"]
    big = client.post("/api/chat", json={"sender": "s", "text": "x" * (70 * 1024)})
    assert big.status_code == 413
