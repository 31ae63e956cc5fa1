"""好差评: citizens rate answers; 👎 reach editors with the guide, and become 相似问 from there."""

from __future__ import annotations

import pytest
from sqlalchemy import text

HUKOU = "户口簿补领"


@pytest.fixture
def client(staffed_client):
    return staffed_client


def _code(client, name=HUKOU):
    return client.get("/api/guides", params={"q": name}).json()[0]["code"]


def test_thumbs_down_with_reason_reaches_editors_masked(client, ed):
    code = _code(client)
    answer = client.post("/api/chat", json={"sender": "web:r1", "text": "户口本丢了怎么补"}).json()["messages"][0]
    assert answer["about"]["code"] == code  # the page rates what the reply says it was about
    resp = client.post(
        "/api/ratings",
        json={
            "helpful": False,
            "answer": answer["text"],
            "question": "户口本丢了怎么补，我电话13812345678",
            "reason": "没说要不要本人去，身份证110101199003071233",
            "about": {"kind": "guide", "code": code},
        },
    )
    assert resp.status_code == 201 and "谢谢" in resp.json()["message"]
    items = client.get("/api/admin/ratings", headers=ed).json()
    assert len(items) == 1
    item = items[0]
    assert item["about"] == {"kind": "guide", "code": code, "name": HUKOU}
    assert "13812345678" not in item["question"] and "110101199003071233" not in item["reason"]
    assert "没说要不要本人去" in item["reason"]
    summary = client.get("/api/admin/ratings/summary", headers=ed).json()
    assert summary == [{"code": code, "name": HUKOU, "up": 0, "down": 1}]
    with client.app.state.services.store.engine.connect() as conn:  # not just masked on the way out
        raw = " ".join(str(v) for v in conn.execute(text("select question, reason from answer_ratings")).one())
    assert "13812345678" not in raw and "110101199003071233" not in raw


def test_thumbs_up_needs_no_editor_and_unknown_guides_are_not_trusted(client, ed):
    body = {"helpful": True, "answer": "……", "about": {"kind": "guide", "code": "NOPE-1"}}
    assert client.post("/api/ratings", json=body).status_code == 201
    assert client.get("/api/admin/ratings", headers=ed).json() == []
    ups = client.get("/api/admin/ratings", params={"helpful": True, "status": "dismissed"}, headers=ed).json()
    assert len(ups) == 1 and ups[0]["about"] is None  # a code the store does not know is dropped


def test_bad_rating_input_is_refused_politely_and_nothing_is_stored(client, ed):
    resp = client.post("/api/ratings", json={"helpful": "很差", "answer": ""})
    assert resp.status_code == 422 and "请求内容不正确" in resp.json()["detail"]
    assert client.app.state.services.ratings.count(status=None) == 0
    assert client.post("/api/admin/ratings/1/dismiss").status_code == 401


def test_editor_links_a_bad_rating_as_a_similar_question_and_search_finds_it(client, ed):
    code = _code(client)
    phrase = "红本本被狗叼走了咋整"
    client.post("/api/ratings", json={"helpful": False, "answer": "抱歉……", "question": phrase})
    [item] = client.get("/api/admin/ratings", headers=ed).json()
    linked = client.post(
        f"/api/admin/ratings/{item['id']}/link", json={"code": code, "publish": True}, headers=ed
    ).json()
    assert phrase in linked["content"]["similar_questions"]
    assert client.get("/api/admin/ratings", headers=ed).json() == []
    done = client.get("/api/admin/ratings", params={"status": "linked"}, headers=ed).json()
    assert done[0]["linked_code"] == code
    hits = client.post("/api/search", json={"q": phrase}).json()["results"]
    assert hits and hits[0]["code"] == code
    # a rating without the citizen's words cannot become a 相似问
    client.post("/api/ratings", json={"helpful": False, "answer": "……"})
    [empty] = client.get("/api/admin/ratings", headers=ed).json()
    resp = client.post(f"/api/admin/ratings/{empty['id']}/link", json={"code": code}, headers=ed)
    assert resp.status_code == 422
    assert client.get("/api/admin/ratings", headers=ed).json()[0]["status"] == "open"


def test_bad_ratings_are_grouped_with_a_deadline_and_closed_with_a_note(client, ed):
    ratings = client.app.state.services.ratings
    about = {"kind": "guide", "code": "370199-000101003000-QR-003-01", "name": "居民身份证补领"}
    for _ in range(2):
        ratings.record(helpful=False, answer="【居民身份证补领】…", question="补身份证带什么", reason="材料不全或有误，没说照片尺寸", about=about)
    ratings.record(helpful=False, answer="【居民身份证补领】…", question="身份证在哪补", reason="地点不对", about=about)
    items = client.get("/api/admin/ratings", headers=ed).json()
    by_question = {i["question"]: i for i in items}
    assert len(items) == 2 and by_question["补身份证带什么"]["count"] == 2
    dup = by_question["补身份证带什么"]
    assert dup["field"] == "materials" and by_question["身份证在哪补"]["field"] == "halls"  # where 修改内容 opens
    from datetime import date

    from connectors.calendar import WorkCalendar

    assert dup["due"] == WorkCalendar.load().add_workdays(date.today(), 5).isoformat() and not dup["overdue"]
    short = client.post(f"/api/admin/ratings/{dup['id']}/handled", json={"note": ""}, headers=ed)
    assert short.status_code == 422
    done = client.post(
        f"/api/admin/ratings/{dup['id']}/handled", json={"note": "补充了照片尺寸：白底 358×441 像素", "code": about["code"]}, headers=ed
    ).json()
    assert done == {"ok": True, "closed": 2}  # the duplicate goes with it
    assert [i["question"] for i in client.get("/api/admin/ratings", headers=ed).json()] == ["身份证在哪补"]
    closed = client.get("/api/admin/ratings", params={"status": "linked"}, headers=ed).json()
    assert {c["note"] for c in closed} == {"补充了照片尺寸：白底 358×441 像素"} and closed[0]["handled_by"] == "editor1"


def test_an_old_bad_rating_is_overdue(client, ed):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from knowledge.store.tables import RatingRow

    ratings = client.app.state.services.ratings
    item = ratings.record(helpful=False, answer="…", question="护照怎么办", reason="看不懂")
    with ratings._sessions.begin() as s:
        s.execute(update(RatingRow).where(RatingRow.id == item).values(at=datetime.now(UTC) - timedelta(days=30)))
    [row] = client.get("/api/admin/ratings", headers=ed).json()
    assert row["overdue"] and row["due"] < datetime.now(UTC).date().isoformat()
