"""Many conversations at once: a slow turn affects its own conversation only, a turn the app
answered on its own is never applied by Rasa, long messages reach Rasa condensed.

A fake Rasa calls the app's real /webhook (as Rasa does) with a fake action whose speed the
test sets per sender; the app runs on a real port (uvicorn) so both directions are HTTP.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from assistant.actions.protocol import ActionRegistry, Result
from assistant.app import create_app
from assistant.replies import Reply
from assistant.settings import Settings
from tests.connectors.fakes import serve


class FakeRasa:
    """Rasa's REST channel: one action call per message, then the action's responses."""

    def __init__(self) -> None:
        self.app_url = ""
        self.received: list[dict] = []
        self.rewound: list[str] = []
        self.delay_before_action: dict[str, float] = {}
        self.app = FastAPI()

        @self.app.post("/webhooks/rest/webhook")
        async def rest(body: dict):
            self.received.append(body)
            await asyncio.sleep(self.delay_before_action.get(body["sender"], 0))
            tracker = {
                "sender_id": body["sender"],
                "slots": {},
                "events": [{"event": "user", "text": body["message"]}],
                "latest_message": {
                    "text": body["message"], "intent": {"name": "complain"}, "metadata": body.get("metadata"),
                },
            }
            async with httpx.AsyncClient(timeout=30) as client:
                resp = await client.post(
                    f"{self.app_url}/webhook",
                    json={"next_action": "action_probe", "sender_id": body["sender"], "tracker": tracker},
                )
            return resp.json()["responses"] or [{"text": "（动作没有执行）"}]

        @self.app.get("/conversations/{sender}/tracker")
        async def tracker(sender: str):  # the last message it got from that sender is its latest
            sent = [b for b in self.received if b["sender"] == sender]
            return {"latest_message": {"metadata": sent[-1].get("metadata") if sent else None}}

        @self.app.post("/conversations/{sender}/tracker/events")
        async def events(sender: str, body: list[dict]):
            assert body[0] == {"event": "rewind"}
            self.rewound.append(sender)
            return {}


@pytest.fixture
def live(tmp_path, stub_retriever, sample_entries):
    rasa = FakeRasa()
    with serve(rasa.app) as rasa_url:
        settings = Settings(
            var_dir=tmp_path, search_enabled=False, rasa_url=rasa_url, rasa_timeout=2.5,
            rasa_commit_wait=0.5, rasa_retry_after=10, rasa_max_chars=200,
            rate_limit_per_minute=10_000, rate_limit_burst=10_000,
        )  # fmt: skip
        app = create_app(settings, retriever=stub_retriever)
        with serve(app) as app_url:
            rasa.app_url = app_url
            app.state.services.store.save_many(sample_entries, author="seed", publish=True)
            done: list[tuple[str, str]] = []  # (sender, text) of every action that ran
            slow_action: dict[str, float] = {}
            registry = ActionRegistry()

            @registry.register("action_probe")
            def probe(t):
                time.sleep(slow_action.get(t.sender_id, 0))
                done.append((t.sender_id, t.text))
                return Result().say(Reply(f"已收到（{len(t.text)} 字）"))

            app.state.services.actions = registry
            yield app_url, rasa, done, slow_action


async def _say(client: httpx.AsyncClient, sender: str, text: str) -> tuple[str, list[dict]]:
    resp = await client.post("/api/chat", json={"sender": sender, "text": text})
    assert resp.status_code == 200, resp.text
    return resp.json()["mode"], resp.json()["messages"]


async def _until(check, within: float = 8.0) -> None:
    deadline = time.monotonic() + within
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def test_a_slow_action_for_one_sender_leaves_the_others_with_rasa(live):
    app_url, rasa, done, slow_action = live
    slow_action["web:slow"] = 5.0

    async def main():
        async with httpx.AsyncClient(base_url=app_url, timeout=15) as client:
            slow = asyncio.create_task(_say(client, "web:slow", "驾照丢了怎么办"))
            await asyncio.sleep(0.2)
            others = []
            for round_ in range(4):  # while the slow turn is with Rasa, and after it fell back
                others += await asyncio.gather(*(_say(client, f"web:o{n}", f"你好{round_}") for n in range(8)))
                await asyncio.sleep(0.8)
            mode, _ = await slow
            await _until(lambda: "web:slow" in rasa.rewound, 15)
            return mode, others

    mode, others = asyncio.run(main())
    assert mode == "retrieval"  # that conversation waited at most timeout + commit_wait, then fell back
    assert [m for m, _ in others] == ["rasa"] * 32  # no other conversation was switched to the fallback
    assert rasa.rewound == ["web:slow"]  # its late turn was taken back out of Rasa's tracker


def test_a_turn_given_up_before_its_action_runs_no_action(live):
    app_url, rasa, done, _ = live
    rasa.delay_before_action["web:late"] = 3.5

    async def main():
        async with httpx.AsyncClient(base_url=app_url, timeout=15) as client:
            first = await _say(client, "web:late", "我要预约办护照")
            again = await _say(client, "web:late", "驾照丢了怎么办")  # while the first is still with Rasa
            await _until(lambda: "web:late" in rasa.rewound, 15)
            rasa.delay_before_action.clear()
            after = await _say(client, "web:late", "你好")
            return first, again, after

    first, again, after = asyncio.run(main())
    assert first[0] == "retrieval" and again[0] == "retrieval"
    assert ("web:late", "我要预约办护照") not in done  # the app answered it: Rasa's action was refused
    assert after[0] == "rasa" and ("web:late", "你好") in done


def test_long_message_reaches_rasa_condensed_and_the_action_reads_it_whole(live):
    app_url, rasa, done, _ = live
    text = ("我要投诉。" + "楼下饭店每天晚上油烟很大，窗户都不敢开。" * 55)[:987] + "电话13900001111"
    assert len(text) == 1000

    async def main():
        async with httpx.AsyncClient(base_url=app_url, timeout=15) as client:
            answered = await _say(client, "web:long", text)
            return answered, (await client.get("/metrics")).text

    (mode, messages), metrics = asyncio.run(main())
    assert mode == "rasa" and len(rasa.received[-1]["message"]) <= 200
    assert 'yichuang_dialogue_decisions_total{decision="complain"} 1.0' in metrics
    assert done[-1] == ("web:long", text) and "1000 字" in messages[0]["text"]
