"""The editor API: roles, inline validation, drafts vs published, diff, restore, import, unanswered queue."""

from __future__ import annotations

import pytest

from knowledge.formats import write_path

HUKOU = "户口簿补领"


@pytest.fixture
def client(staffed_client):
    return staffed_client


def _code(client, name=HUKOU):
    return client.get("/api/guides", params={"q": name}).json()[0]["code"]


def test_editor_role_required(bearer, client):
    assert client.get("/api/admin/entries").status_code == 401
    staff = bearer(client, "hotline1", "hotline password 1")
    assert client.get("/api/admin/entries", headers=staff).status_code == 403


def test_inline_validation_names_the_field(bearer, client):
    ed = bearer(client, "editor1", "editor password 1")
    entry = client.get(f"/api/admin/entries/{_code(client)}", headers=ed).json()
    content = {**entry["content"], "promised_limit_days": 99}
    content["materials"][0] = {**content["materials"][0], "exempt": True, "e_licence": None}
    body = client.post("/api/admin/validate", json={"kind": "guide", "content": content}, headers=ed).json()
    fields = {p["field"] for p in body["problems"]}
    assert not body["ok"] and {"promised_limit_days", "materials[0].e_licence"} <= fields
    saved = client.put(
        f"/api/admin/entries/{entry['code']}", json={"kind": "guide", "content": content}, headers=ed
    )
    assert saved.status_code == 422 and saved.json()["detail"]["message"] == "内容有问题，未保存"


def test_draft_publish_diff_restore_and_search_in_place(bearer, client):
    ed = bearer(client, "editor1", "editor password 1")
    code = _code(client)
    entry = client.get(f"/api/admin/entries/{code}", headers=ed).json()
    phrase = "家里那本红皮的簿子被狗啃了"
    content = {**entry["content"], "similar_questions": [*entry["content"]["similar_questions"], phrase]}
    draft = client.put(
        f"/api/admin/entries/{code}",
        json={"kind": "guide", "content": content, "note": "加相似问"},
        headers=ed,
    ).json()
    assert draft["latest_version"] == 2 and draft["published_version"] == 1
    assert (
        client.post("/api/search", json={"q": phrase}).json()["results"][0]["name"] != HUKOU
    )  # not yet public
    preview = client.get(f"/api/admin/entries/{code}/preview", headers=ed).json()
    assert preview["text"].startswith(f"【{HUKOU}】")
    client.post(f"/api/admin/entries/{code}/publish", json={}, headers=ed)
    assert client.post("/api/search", json={"q": phrase}).json()["results"][0]["name"] == HUKOU
    changes = client.get(f"/api/admin/entries/{code}/diff", params={"from": 1, "to": 2}, headers=ed).json()[
        "changes"
    ]
    assert [c["change"] for c in changes] == ["added"] and changes[0]["to"] == phrase
    restored = client.post(
        f"/api/admin/entries/{code}/restore", json={"version": 1, "publish": True}, headers=ed
    ).json()
    assert restored["published_version"] == 3 and phrase not in restored["content"]["similar_questions"]
    history = client.get(f"/api/admin/entries/{code}", headers=ed).json()["versions"]
    assert [v["author"] for v in history] == ["seed", "editor1", "editor1"]


def test_import_upload_is_all_or_nothing(bearer, client, tmp_path, sample_entries):
    ed = bearer(client, "editor1", "editor password 1")
    guide = next(e for e in sample_entries if e.name == HUKOU)
    good = tmp_path / "one.yaml"
    write_path([guide.model_copy(update={"fee": "不收费（示例修改）"})], good)
    resp = client.post("/api/admin/import", files={"file": ("one.yaml", good.read_bytes())}, headers=ed)
    assert resp.status_code == 200 and resp.json()["updated"] == [guide.code]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        good.read_text(encoding="utf-8").replace("promised_limit_days: 0", "promised_limit_days: 99"),
        encoding="utf-8",
    )
    resp = client.post("/api/admin/import", files={"file": ("bad.yaml", bad.read_bytes())}, headers=ed)
    assert resp.status_code == 422
    problem = resp.json()["detail"]["problems"][0]
    assert problem["file"] == "bad.yaml" and problem["where"].startswith("line ")
    xlsx = client.get("/api/admin/export", params={"format": "xlsx"}, headers=ed)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_unanswered_question_becomes_a_similar_question(bearer, client):
    ed = bearer(client, "editor1", "editor password 1")
    assert client.post("/api/search", json={"q": "喂喂喂 xyz 13812345678"}).json()["decision"] == "none"
    (item,) = client.get("/api/admin/unanswered", headers=ed).json()
    assert "13812345678" not in item["text"]
    code = _code(client)
    linked = client.post(
        f"/api/admin/unanswered/{item['id']}/link", json={"code": code, "publish": True}, headers=ed
    ).json()
    assert item["text"] in linked["content"]["similar_questions"] and linked["published_version"] == 2
    assert client.get("/api/admin/unanswered", headers=ed).json() == []
    client.post("/api/chat", json={"sender": "u", "text": "簿子被狗啃烂了 电话13812345678"})
    (item,) = client.get("/api/admin/unanswered", headers=ed).json()
    tidied = client.post(
        f"/api/admin/unanswered/{item['id']}/link",
        json={"code": code, "question": "簿子被狗啃烂了", "publish": True},
        headers=ed,
    ).json()
    assert "簿子被狗啃烂了" in tidied["content"]["similar_questions"]
    assert item["text"] not in tidied["content"]["similar_questions"]  # the raw text (masked phone) stays out


def test_the_same_question_asked_often_is_one_item_and_one_decision(bearer, client):
    ed = bearer(client, "editor1", "editor password 1")
    for _ in range(3):
        client.post("/api/search", json={"q": "呜啦啦 qwe"})
    client.post("/api/search", json={"q": "喂喂喂 xyz"})
    items = client.get("/api/admin/unanswered", headers=ed).json()
    assert [(i["text"], i["count"]) for i in items] == [("喂喂喂 xyz", 1), ("呜啦啦 qwe", 3)]
    assert client.post(f"/api/admin/unanswered/{items[1]['id']}/dismiss", headers=ed).json() == {"ok": True}
    assert [i["text"] for i in client.get("/api/admin/unanswered", headers=ed).json()] == ["喂喂喂 xyz"]
    assert len(client.app.state.services.unanswered.items(status="dismissed")) == 3


def test_publish_stands_when_search_fails_and_health_says_it_is_catching_up(bearer, client, monkeypatch):
    ed = bearer(client, "editor1", "editor password 1")
    code = _code(client)
    entry = client.get(f"/api/admin/entries/{code}", headers=ed).json()
    phrase = "家里那本红皮的簿子被狗啃了"
    content = {**entry["content"], "similar_questions": [*entry["content"]["similar_questions"], phrase]}
    client.put(f"/api/admin/entries/{code}", json={"kind": "guide", "content": content}, headers=ed)
    services = client.app.state.services
    embedder = services.retriever.embedder

    def broken(texts):
        raise RuntimeError("model crashed")

    monkeypatch.setattr(embedder, "embed_passages", broken)
    published = client.post(f"/api/admin/entries/{code}/publish", json={}, headers=ed)
    assert published.status_code == 200 and published.json()["published_version"] == 2
    health = client.get("/health").json()
    assert health["search"]["state"] == "catching up" and health["catching_up"] == {"search": 1}
    assert client.get(f"/api/guides/{code}").json()["version"] == 2  # citizens see the new version
    monkeypatch.undo()
    assert services.store.listeners.catch_up() == {}
    assert client.get("/health").json()["search"]["state"] == "current"
    assert client.post("/api/search", json={"q": phrase}).json()["results"][0]["name"] == HUKOU


@pytest.mark.parametrize(
    ("said", "tidy"),
    [
        ("你好，请问一下护照怎么办啊？", "护照怎么办"),
        ("我的电话是138****1234，社保卡丢了怎么补呢", "社保卡丢了怎么补"),
        ("您好 身份证号370***********1234 补办身份证要多久呀？？", "补办身份证要多久"),
        ("娃本人得去不", "娃本人得去不"),  # nothing to drop: the citizen's own words stay
    ],
)
def test_unanswered_questions_come_with_a_tidied_similar_question(said, tidy):
    from knowledge.unanswered import tidy_question

    assert tidy_question(said) == tidy
