"""/api/chat goes to Rasa first and falls back to the app's own conversation."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI

from assistant.actions.protocol import to_rasa
from assistant.conversation import Conversation
from assistant.replies import Reply
from tests.connectors.fakes import serve


class FakeRasa:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | error | slow
        self.seen: list[dict] = []
        self.app = FastAPI()

        @self.app.post("/webhooks/rest/webhook")
        def webhook(body: dict):
            self.seen.append(body)
            if self.mode == "error":
                from fastapi import HTTPException

                raise HTTPException(status_code=500)
            if self.mode == "slow":
                time.sleep(1.5)
            return [to_rasa(Reply("来自对话服务", handoff=True)), {"text": "第二条"}]


@pytest.fixture
def rasa():
    fake = FakeRasa()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


def test_rasa_answers_when_it_can(rasa, stub_retriever, loaded_store):
    from assistant.retrieval_dialogue import RetrievalDialogue

    conv = Conversation(RetrievalDialogue(stub_retriever, loaded_store), rasa.url, timeout=1.0, retry_after=0.5)
    mode, replies = conv.turn("web:a", "你好")
    assert mode == "rasa" and replies[0].handoff and replies[1].text == "第二条"
    assert rasa.seen[-1] == {"sender": "web:a", "message": "你好"}


@pytest.mark.parametrize("failure", ["error", "slow", "down"])
def test_falls_back_then_returns_to_rasa(rasa, loaded_store, stub_retriever, failure):
    from assistant.retrieval_dialogue import RetrievalDialogue

    url = "http://127.0.0.1:9" if failure == "down" else rasa.url
    rasa.mode = failure
    conv = Conversation(RetrievalDialogue(stub_retriever, loaded_store), url, timeout=1.0, retry_after=0.5)
    started = time.monotonic()
    mode, replies = conv.turn("web:b", "我要预约")
    assert mode == "retrieval" and "暂时无法" in replies[0].text
    assert time.monotonic() - started < 1.4  # never much longer than the timeout
    calls = len(rasa.seen)
    assert conv.turn("web:b", "驾照丢了怎么办")[0] == "retrieval" and len(rasa.seen) == calls  # left alone
    if failure != "down":
        rasa.mode = "ok"
        time.sleep(0.6)
        assert conv.turn("web:b", "你好")[0] == "rasa"


def test_no_rasa_configured_is_retrieval_only(loaded_store, stub_retriever):
    from assistant.retrieval_dialogue import RetrievalDialogue

    conv = Conversation(RetrievalDialogue(stub_retriever, loaded_store), "")
    assert conv.turn("web:c", "转人工")[0] == "retrieval"
    assert Conversation(None, "").turn("web:c", "你好")[0] == "unavailable"
