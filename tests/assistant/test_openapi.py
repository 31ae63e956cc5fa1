"""/openapi.json documents what every JSON route answers (clients build on it)."""

from __future__ import annotations

from assistant.app import create_app
from assistant.settings import Settings

# not JSON: the pages are HTML, WeChat speaks XML/plain text, exports are file downloads, the
# citizen's stream is server-sent events
NOT_JSON = {("get", "/"), ("get", "/staff"), ("get", "/desk"), ("get", "/admin"), ("get", "/wechat"),
            ("post", "/wechat"), ("get", "/api/admin/export"), ("get", "/api/admin/stats.csv"),
            ("get", "/api/admin/stats.xlsx"), ("get", "/api/chat/stream")}  # fmt: skip


def _typed(schema: dict | None, components: dict) -> bool:
    if not schema:
        return False
    if "$ref" in schema:
        ref = components[schema["$ref"].rsplit("/", 1)[-1]]
        return bool(ref.get("properties"))
    if schema.get("type") == "array":
        return _typed(schema.get("items"), components)
    return bool(schema.get("properties"))


def test_every_json_route_declares_its_response_model(tmp_path):
    app = create_app(Settings(var_dir=tmp_path, search_enabled=False, rasa_url="", wechat_token="t"))
    spec = app.openapi()
    components = spec["components"]["schemas"]
    untyped = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if (method, path) in NOT_JSON:
                continue
            status = next(c for c in op["responses"] if c.startswith("2"))
            schema = op["responses"][status].get("content", {}).get("application/json", {}).get("schema")
            if not _typed(schema, components):
                untyped.append(f"{method.upper()} {path}")
    assert untyped == []
    chat = components["ChatOut"]["properties"]
    assert {"mode", "messages"} <= set(chat)  # chat replies, receipts, checklists are documented
    assert {"receipt", "about", "buttons"} <= set(components["ReplyOut"]["properties"])
    assert "materials" in components["ChecklistOut"]["properties"]
