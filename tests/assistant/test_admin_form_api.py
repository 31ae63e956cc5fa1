"""The editor form API: every field labelled in Chinese, problems named the way the form shows
them, unsaved content previewed, YAML both ways with syntax errors in Chinese."""

from __future__ import annotations

import re

import pytest

from assistant.editor_form import describe, field_label

ID_CARD = "居民身份证补领"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def ed(staffed_client, bearer):
    return staffed_client, bearer(staffed_client, "editor1", "editor password 1")


def _walk(fields):
    for f in fields:
        yield f
        yield from _walk(f.get("fields", []))


@pytest.mark.parametrize("kind", ["guide", "bundle"])
def test_every_field_has_a_chinese_label_and_no_english_remark(kind):
    fields = [f for g in describe(kind)["groups"] for f in _walk(g["fields"])]
    assert len(fields) > 20
    for f in fields:
        assert HAN.search(f["label"]), f
        assert not re.search(r"[A-Za-z]{3,}", f["label"]), f  # "see condition", "fetched from…" stay out


def test_the_guide_form_has_the_parts_an_editor_edits():
    groups = describe("guide")["groups"]
    keys = {f["key"] for g in groups for f in g["fields"]}
    assert {"materials", "steps", "halls", "faqs", "fee"} <= keys
    material = next(f for g in groups for f in g["fields"] if f["key"] == "materials")
    by_key = {f["key"]: f for f in material["fields"]}
    assert by_key["can_defer"]["type"] == "bool" and by_key["can_defer"]["label"].startswith("容缺")
    assert by_key["forms"]["type"] == "multi" and {o["value"] for o in by_key["forms"]["options"]} == {"原件", "复印件", "电子"}
    assert by_key["copies"] == {**by_key["copies"], "type": "int", "ge": 0, "le": 20, "default": 1}
    hall = next(f for g in groups for f in g["fields"] if f["key"] == "halls")
    assert {f["key"] for f in hall["fields"]} >= {"district", "hours", "phone"}


def test_bundle_options_pick_the_guides_they_add():
    questions = next(f for g in describe("bundle")["groups"] for f in g["fields"] if f["key"] == "questions")
    options = next(f for f in questions["fields"] if f["key"] == "options")
    assert {f["key"]: f["type"] for f in options["fields"]}["adds"] == "guides"


def test_field_paths_read_as_chinese():
    assert field_label("guide", "materials[2].e_licence") == "申请材料 第3项 · 免提交时对应的电子证照名称"
    assert field_label("guide", "halls[0].hours") == "办理地点 第1项 · 办理时间"
    assert field_label("bundle", "questions[0].options[1].adds[0]").startswith("询问办事人的问题 第1项 · 选项 第2项")
    assert field_label("guide", "x_fee") == "x_fee"  # unknown: shown as typed, beside 未知字段


def _id_card(client, headers):
    code = client.get("/api/guides", params={"q": ID_CARD}).json()[0]["code"]
    return client.get(f"/api/admin/entries/{code}", headers=headers).json()


def test_problems_carry_the_label_of_the_field(ed):
    client, headers = ed
    content = _id_card(client, headers)["content"]
    content["halls"][0]["hours"] = ""
    content["x_fee"] = "5"
    body = client.post("/api/admin/validate", json={"kind": "guide", "content": content}, headers=headers).json()
    labels = {p["field"]: (p["label"], p["message"]) for p in body["problems"]}
    assert labels["halls[0].hours"] == ("办理地点 第1项 · 办理时间", "不能为空")
    assert labels["x_fee"][1] == "未知字段（检查拼写）"


def test_preview_shows_unsaved_content_and_refuses_broken_content(ed):
    client, headers = ed
    entry = _id_card(client, headers)
    content = {**entry["content"], "fee": "工本费 20 元"}
    reply = client.post("/api/admin/preview", json={"kind": "guide", "content": content}, headers=headers).json()
    assert "工本费 20 元" in reply["text"]
    assert client.get(f"/api/admin/entries/{entry['code']}", headers=headers).json()["latest_version"] == 1
    broken = client.post("/api/admin/preview", json={"kind": "guide", "content": {**content, "name": ""}}, headers=headers)
    assert broken.status_code == 422 and broken.json()["detail"]["problems"][0]["label"] == "事项名称"


def test_yaml_round_trip_and_syntax_errors_in_chinese(ed):
    client, headers = ed
    content = _id_card(client, headers)["content"]
    text = client.post("/api/admin/yaml/dump", json={"kind": "guide", "content": content}, headers=headers).json()["text"]
    assert f"name: {ID_CARD}" in text
    back = client.post("/api/admin/yaml/parse", json={"kind": "guide", "text": text}, headers=headers).json()
    assert back["ok"] and back["content"] == content
    broken = text.replace(f"name: {ID_CARD}", f"name: {ID_CARD}: 丢了补办", 1)
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if t.startswith("name:"))
    out = client.post("/api/admin/yaml/parse", json={"kind": "guide", "text": broken}, headers=headers).json()
    assert not out["ok"] and out["problem"].startswith("YAML 语法错误")
    assert f"第 {line} 行" in out["problem"] and "冒号" in out["problem"]
    assert not re.search(r"[A-Za-z]{5,}", out["problem"])  # no PyYAML English
    listed = client.post("/api/admin/yaml/parse", json={"kind": "guide", "text": "- a\n- b"}, headers=headers).json()
    assert not listed["ok"] and "映射" in listed["problem"]


def test_form_api_is_for_editors_only(staffed_client, bearer):
    staff = bearer(staffed_client, "hotline1", "hotline password 1")
    assert staffed_client.get("/api/admin/form/guide").status_code == 401
    assert staffed_client.get("/api/admin/form/guide", headers=staff).status_code == 403
