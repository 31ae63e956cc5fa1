"""/api/chat goes to Rasa first and falls back to the app's own conversation."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi import FastAPI

from assistant.actions.protocol import to_rasa
from assistant.conversation import Conversation, condense
from assistant.replies import Reply
from tests.connectors.fakes import serve


class FakeRasa:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | error | slow
        self.seen: list[dict] = []
        self.app = FastAPI()

        @self.app.post("/webhooks/rest/webhook")
        def webhook(body: dict):
            if self.mode == "slow_unsaved":  # Rasa fails late, before saving the turn
                time.sleep(1.5)
                from fastapi import HTTPException

                raise HTTPException(status_code=500)
            self.seen.append(body)
            if self.mode == "error":
                from fastapi import HTTPException

                raise HTTPException(status_code=500)
            if self.mode == "slow":
                time.sleep(1.5)
            return [to_rasa(Reply("来自对话服务", handoff=True)), {"text": "第二条"}]

        @self.app.get("/conversations/{sender}/tracker")
        def tracker(sender: str):  # the last message it got from that sender is its latest
            sent = [b for b in self.seen if b.get("sender") == sender]
            return {"latest_message": {"metadata": sent[-1].get("metadata") if sent else None}}

        @self.app.post("/conversations/{sender}/tracker/events")
        def events(sender: str, body: list[dict]):
            self.seen.append({"rewind": sender, "events": body})
            return {}


@pytest.fixture
def rasa():
    fake = FakeRasa()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def fallback(stub_retriever, loaded_store):
    from assistant.retrieval_dialogue import RetrievalDialogue

    return RetrievalDialogue(stub_retriever, loaded_store)


def run(conv: Conversation, *turns: tuple[str, str]):
    """The turns one after the other on one event loop (the conversation's client lives in it)."""

    async def main():
        try:
            return [await conv.turn(sender, text) for sender, text in turns]
        finally:
            await conv.aclose()

    return asyncio.run(main())


def test_rasa_answers_when_it_can(rasa, fallback):
    conv = Conversation(fallback, rasa.url, timeout=1.0, retry_after=0.5)
    [(mode, replies)] = run(conv, ("web:a", "你好"))
    assert mode == "rasa" and replies[0].handoff and replies[1].text == "第二条"
    sent = rasa.seen[-1]
    assert (sent["sender"], sent["message"]) == ("web:a", "你好") and sent["metadata"]["request_id"]


@pytest.mark.parametrize("failure", ["error", "slow", "down"])
def test_falls_back_then_returns_to_rasa(rasa, fallback, failure):
    url = "http://127.0.0.1:9" if failure == "down" else rasa.url
    rasa.mode = failure
    conv = Conversation(fallback, url, timeout=1.0, retry_after=0.5, commit_wait=0.2)

    async def main():
        started = time.monotonic()
        mode, replies = await conv.turn("web:b", "我要预约")
        assert mode == "retrieval" and "暂时无法" in replies[0].text
        assert time.monotonic() - started < 1.4  # never much longer than the timeout
        if failure == "down":  # refused: left alone for retry_after, for everyone
            assert (await conv.turn("web:other", "驾照丢了怎么办"))[0] == "retrieval"
        if failure == "slow":  # still with Rasa: the same conversation is not queued behind it
            assert (await conv.turn("web:b", "驾照丢了怎么办"))[0] == "retrieval"
        rasa.mode = "ok"
        await asyncio.sleep(1.2)  # the slow turn finished and was rewound; the retry time passed
        assert (await conv.turn("web:b", "你好"))[0] == ("retrieval" if failure == "down" else "rasa")
        await conv.aclose()

    asyncio.run(main())
    if failure == "slow":  # the turn the app answered itself was taken back out of Rasa's tracker
        rewinds = [s for s in rasa.seen if s.get("rewind") == "web:b"]
        assert rewinds and rewinds[0]["events"][0] == {"event": "rewind"}


def test_no_rasa_configured_is_retrieval_only(fallback):
    assert run(Conversation(fallback, ""), ("web:c", "转人工"))[0][0] == "retrieval"
    assert run(Conversation(None, ""), ("web:c", "你好"))[0][0] == "unavailable"


def test_long_messages_reach_rasa_condensed_at_a_sentence_end():
    text = "我要投诉。" + "楼下饭店每天晚上油烟很大。" * 30 + "电话13900001111。"
    short = condense(text, 200)
    assert 133 <= len(short) <= 200 and text.startswith(short) and short.endswith("。")
    assert len(condense("油" * 1000, 200)) == 200  # no sentence end: cut at the limit
    assert condense("驾照丢了怎么办", 200) == "驾照丢了怎么办"


def test_a_late_turn_rasa_did_not_keep_is_not_rewound(rasa, fallback):
    conv = Conversation(fallback, rasa.url, timeout=1.0, retry_after=0.5, commit_wait=0.2)

    async def main():
        assert (await conv.turn("web:d", "驾照丢了怎么办"))[0] == "rasa"
        rasa.mode = "slow_unsaved"
        assert (await conv.turn("web:d", "那要多少钱"))[0] == "retrieval"
        await asyncio.sleep(1.0)  # Rasa has failed it by now; the reconciliation looked
        await conv.aclose()

    asyncio.run(main())
    posted = [e for s in rasa.seen if "rewind" in s for e in s["events"]]
    assert {"event": "rewind"} not in posted  # a rewind would have undone 驾照丢了怎么办


def test_a_turn_the_app_answered_is_told_to_rasa_after_the_rewind(rasa, fallback):
    conv = Conversation(fallback, rasa.url, timeout=1.0, retry_after=0.5, commit_wait=0.2)
    rasa.mode = "slow"

    async def main():
        assert (await conv.turn("web:e", "驾照丢了怎么办"))[0] == "retrieval"
        await asyncio.sleep(1.5)  # the slow turn ends, is rewound, then the app's state is sent
        await conv.aclose()

    asyncio.run(main())
    posted = [s["events"] for s in rasa.seen if s.get("rewind") == "web:e"]
    assert posted[0][0] == {"event": "rewind"}  # the rewind first, then where the app left it
    slots = {e["name"]: e["value"] for e in posted[-1] if e["event"] == "slot"}
    code = fallback.memory.get("web:e").code
    assert code and slots["service_code"] == code and slots["requested_slot"] is None
    assert {"event": "active_loop", "name": None} in posted[-1]


def test_each_conversation_keeps_to_one_of_several_servers_and_moves_when_it_is_gone(fallback):
    first, second = FakeRasa(), FakeRasa()
    senders = [f"web:s{n}" for n in range(12)]
    with serve(second.app) as second_url:
        with serve(first.app) as first_url:
            conv = Conversation(fallback, [first_url, second_url], timeout=1.0, retry_after=30)
            on_first = {s for s in senders if conv.servers_for(s)[0].url == first_url}
            assert 0 < len(on_first) < len(senders)  # both servers get conversations
            modes = [m for m, _ in run(conv, *[(s, "你好") for s in senders * 2])]
            assert modes == ["rasa"] * 24
            assert {
                b["sender"] for b in first.seen if "sender" in b
            } == on_first  # each kept to its own server
            assert {b["sender"] for b in second.seen if "sender" in b} == set(senders) - on_first
        conv = Conversation(fallback, [first_url, second_url], timeout=1.0, retry_after=30)
        moved = sorted(on_first)[0]
        [(mode, _)] = run(conv, (moved, "你好"))  # its server is gone: the next one answers at once
        assert mode == "rasa" and second.seen[-1]["sender"] == moved
        assert [s.url for s in conv.servers_for(moved)] == [second_url]  # left alone for retry_after


def test_a_worker_with_its_own_server_sends_every_turn_there_while_it_is_up(fallback):
    first, second = FakeRasa(), FakeRasa()
    senders = [f"web:h{n}" for n in range(12)]
    up = {"home": True}

    async def home_then_away():
        try:
            at_home = [await conv.turn(s, "你好") for s in senders]
            up["home"] = False  # its own server restarts: conversations go by hashing meanwhile
            away = await conv.turn(senders[0], "你好")
            return at_home, away
        finally:
            await conv.aclose()

    with serve(second.app) as second_url, serve(first.app) as first_url:
        conv = Conversation(fallback, [first_url, second_url], timeout=1.0, retry_after=30)
        conv.supervised(second_url, lambda: up["home"], home=True)
        at_home, away = asyncio.run(home_then_away())
    assert [m for m, _ in at_home] == ["rasa"] * 12 and away[0] == "rasa"
    assert [b["sender"] for b in second.seen if "sender" in b] == senders  # all at home
    assert [b["sender"] for b in first.seen if "sender" in b] == [senders[0]]  # then the next one
