"""The review queues with their conversations: an unanswered question shows the turns before it
(masked) and a follow-up is offered to the guide it followed; questions of the same meaning are
one item and one decision; a 差评 shows the turns before and after the rated answer."""

from __future__ import annotations

import pytest

DRIVING = "370199-000103002000-XK-002-01"  # 机动车驾驶证遗失补证


@pytest.fixture
def client(staffed_client):
    return staffed_client


def say(client, sender: str, text: str) -> list[dict]:
    resp = client.post("/api/chat", json={"sender": sender, "text": text})
    assert resp.status_code == 200, resp.text
    return resp.json()["messages"]


def test_an_unanswered_question_comes_with_the_turns_before_it(client, ed):
    say(client, "web:ctx", "驾照丢了怎么补，我手机13812345678")
    assert say(client, "web:ctx", "zzqx qqzv")[0]["miss"]  # the core's miss, filed under this conversation
    say(client, "web:other", "火星移民签证")  # another citizen's turns are not this one's context
    items = client.get("/api/admin/unanswered", headers=ed).json()
    [item] = [i for i in items if i["text"] == "zzqx qqzv"]
    assert [(t["text"], t["decision"], t["code"], t["name"]) for t in item["context"]] == [
        ("驾照丢了怎么补，我手机138****5678", "answer", DRIVING, "机动车驾驶证遗失补证"),
    ]
    assert item["suggested"] == "zzqx qqzv"  # no follow-up words: its own words, tidied


def test_a_follow_up_is_offered_to_the_guide_it_followed(client, ed):
    say(client, "web:f", "驾照丢了怎么办")
    # what the core files when the guide in focus was lost (another worker, a long pause…)
    client.app.state.services.unanswered.record(
        "要花多少钱呀？", "要花多少钱呀?", source="web", sender="web:f"
    )
    [item] = client.get("/api/admin/unanswered", headers=ed).json()
    assert item["context"][-1]["code"] == DRIVING
    assert (item["suggested"], item["suggested_code"]) == ("机动车驾驶证遗失补证要花多少钱", DRIVING)


def test_questions_of_the_same_meaning_are_one_item_and_one_decision(client, ed):
    unanswered = client.app.state.services.unanswered
    for sender, text in (
        ("web:1", "狗证在哪办"), ("web:2", "你好，请问狗证在哪办？"), ("web:3", "火星移民签证"), ("web:4", "狗证在哪儿办"),
    ):  # fmt: skip
        unanswered.record(text, text, source="web", sender=sender)
    items = client.get("/api/admin/unanswered", headers=ed).json()
    assert [(i["text"], i["count"], sorted(i["variants"])) for i in items] == [
        ("狗证在哪儿办", 3, ["你好，请问狗证在哪办？", "狗证在哪办"]),  # the same tidied words, or this close
        ("火星移民签证", 1, []),
    ]
    dogs = items[0]
    linked = client.post(
        f"/api/admin/unanswered/{dogs['id']}/link",
        json={"code": DRIVING, "question": "狗证在哪办", "also": dogs["ids"]}, headers=ed,
    )  # fmt: skip
    assert linked.status_code == 200, linked.text
    assert [i["text"] for i in client.get("/api/admin/unanswered", headers=ed).json()] == ["火星移民签证"]
    assert len(unanswered.items(status="linked")) == 3


def test_without_search_only_the_same_tidied_words_are_one_item(app_client, bearer):
    client = app_client()  # search off: no embeddings to compare
    client.app.state.services.accounts.add("editor1", "editor password 1", "editor")
    ed = bearer(client, "editor1", "editor password 1")
    for text in ("狗证在哪办", "你好，请问狗证在哪办？", "狗证在哪儿办"):
        client.app.state.services.unanswered.record(text, text, source="web")
    items = client.get("/api/admin/unanswered", headers=ed).json()
    assert [(i["text"], i["count"]) for i in items] == [("狗证在哪儿办", 1), ("你好，请问狗证在哪办？", 2)]
    dismissed = client.post(
        f"/api/admin/unanswered/{items[1]['id']}/dismiss", json={"also": items[1]["ids"]}, headers=ed
    )
    assert dismissed.json() == {"ok": True}
    assert len(client.get("/api/admin/unanswered", headers=ed).json()) == 1


def test_a_bad_rating_shows_the_conversation_around_the_rated_answer(client, ed):
    say(client, "web:r", "你好")
    answer = say(client, "web:r", "驾照丢了怎么办")[0]
    say(client, "web:r", "那要多少钱")
    rated = client.post("/api/ratings", json={
        "helpful": False, "answer": answer["text"], "question": "驾照丢了怎么办", "reason": "材料不全或有误",
        "about": {"kind": "guide", "code": DRIVING}, "sender": "web:r",
    })  # fmt: skip
    assert rated.status_code == 201, rated.text
    say(client, "web:r", "身份证的事")  # after the rating: still around the rated answer
    [item] = client.get("/api/admin/ratings", headers=ed).json()
    assert [(t["text"], t["rated"]) for t in item["context"]] == [
        ("你好", False),
        ("驾照丢了怎么办", True),
        ("那要多少钱", False),
        ("身份证的事", False),
    ]
    assert item["context"][1]["name"] == "机动车驾驶证遗失补证"
    client.post(
        "/api/ratings", json={"helpful": False, "answer": "…", "question": "q"}
    )  # no conversation given
    assert [
        i["context"] for i in client.get("/api/admin/ratings", headers=ed).json() if i["question"] == "q"
    ] == [[]]
