"""Two workers on one database and one Redis: what one process kept to itself, they share.

The app's own conversation (memory and forms), rate limits, WeChat's de-duplication, numbered
choices and access token, publishes reaching the other worker's search, and Rasa's action calls
handed to the worker whose turn they belong to. Rasa is a fake here (``test_many_at_once``);
the real two-Rasa deployment is ``test_scale_out_e2e.py``.
"""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.actions.protocol import ActionRegistry, Result
from assistant.app import create_app
from assistant.replies import Reply
from assistant.settings import Settings
from connectors.wechat.api import WeChatApi
from connectors.wechat.messages import parse_xml
from foundation.shared_state import RedisState
from tests.assistant.test_chat import say
from tests.assistant.test_many_at_once import FakeRasa
from tests.assistant.test_wechat import APPID, TOKEN, _query, _text
from tests.connectors.fakes import FakeWeChatApi, free_port, serve

pytestmark = [pytest.mark.redis, pytest.mark.integration]


def seeded(tmp_path, entries) -> str:
    """The shared database with the sample knowledge base published, before any worker starts."""
    from assistant.database import open_store

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = open_store(url)
    store.save_many(entries, author="seed", publish=True)
    store.engine.dispose()
    return url


@pytest.fixture
def two_workers(tmp_path, redis_url, sample_entries, stub_retriever):
    """``make(**settings)`` -> two started TestClients sharing a database and a Redis."""
    opened: list[TestClient] = []
    seeded(tmp_path, sample_entries)

    def make(**overrides) -> tuple[TestClient, TestClient]:
        for n in range(2):
            settings = Settings(
                var_dir=tmp_path / f"worker{n}", database_url=f"sqlite:///{tmp_path / 'shared.db'}",
                redis_url=redis_url, search_enabled=False, rasa_url="", **overrides,
            )  # fmt: skip
            client = TestClient(create_app(settings, retriever=stub_retriever))
            client.__enter__()
            opened.append(client)
        return opened[0], opened[1]

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_rate_limits_are_one_budget_across_workers(two_workers):
    one, two = two_workers(rate_limit_per_minute=60, rate_limit_burst=3)
    codes = [c.post("/api/search", json={"q": "身份证"}).status_code for c in (one, two, one, two)]
    assert codes == [200, 200, 200, 429]


def test_the_apps_own_conversation_and_form_continue_on_the_other_worker(two_workers):
    one, two = two_workers()
    assert "机动车驾驶证遗失补证" in say(one, "驾照丢了怎么办", "web:m1")[0]["text"]
    assert say(two, "那要多少钱", "web:m1")[0]["text"].startswith("【机动车驾驶证遗失补证】收费")
    msg = say(one, "我要预约办结婚登记", "web:m2")[-1]
    for client in (two, one, two):  # hall, day, time, each on the other worker
        msg = say(client, msg["buttons"][0]["payload"], "web:m2")[-1]
    assert "姓名" in msg["text"]
    say(one, "张三", "web:m2")
    assert "138****5678" in say(two, "13812345678", "web:m2")[-1]["text"]
    number = re.search(r"YY\d{6}[A-Z2-9]{10}", say(one, "/affirm", "web:m2")[-1]["text"]).group(0)
    found = two.app.state.services.booking.find(phone="13812345678")
    assert [b.number for b in found] == [number]


@pytest.fixture
def wechat_api():
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


def _wechat(two_workers, wechat_api):
    return two_workers(
        wechat_token=TOKEN, wechat_appid=APPID, wechat_secret="s", wechat_api_base=wechat_api.url,
        wechat_reply_budget=1.0,
    )  # fmt: skip


def test_a_wechat_retry_on_the_other_worker_gets_the_one_answer(two_workers, wechat_api):
    one, two = _wechat(two_workers, wechat_api)
    gate, calls = threading.Event(), []
    for client in (one, two):
        channel = client.app.state.services.channels.wechat
        real = channel.dialogue.respond

        def slow(sender, text, real=real):
            calls.append(sender)
            gate.wait(10)
            return real(sender, text)

        channel.dialogue.respond = slow
    message = _text("驾照丢了怎么办", msg_id="9001", user="oRetry")
    first = one.post("/wechat", params=_query(), content=message)
    assert first.text == "success"  # too slow for WeChat's first callback
    threading.Timer(0.3, gate.set).start()
    retry = two.post("/wechat", params=_query(), content=message)  # WeChat retries, on the other worker
    time.sleep(0.5)
    passive = [parse_xml(retry.text)["Content"]] if retry.text != "success" else []
    delivered = passive + [m["text"]["content"] for m in wechat_api.sent]  # or the first worker's 客服消息
    assert calls == ["wechat:oRetry"]  # answered once, by the worker that claimed the message
    assert len(delivered) == 1 and "机动车驾驶证遗失补证" in delivered[0]  # delivered once


def test_numbered_choices_are_understood_by_the_other_worker(two_workers, wechat_api):
    one, two = _wechat(two_workers, wechat_api)
    reply = parse_xml(one.post("/wechat", params=_query(), content=_text("身份证丢了", msg_id="9101")).text)
    line = next(x for x in reply["Content"].splitlines() if x.startswith("回复 ") and "居民身份证补领" in x)
    number = line.split("：")[0].removeprefix("回复 ")
    chosen = parse_xml(two.post("/wechat", params=_query(), content=_text(number, msg_id="9102")).text)
    assert chosen["Content"].startswith("【居民身份证补领】")


def test_one_access_token_refresh_for_all_workers(redis_url, wechat_api):
    wechat_api.token_delay = 0.3
    workers = [WeChatApi(wechat_api.url, APPID, "s", state=RedisState(redis_url)) for _ in range(2)]
    threads = [threading.Thread(target=workers[n % 2].send_text, args=(f"o{n}", "你好")) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wechat_api.tokens == 1 and len(wechat_api.sent) == 6
    wechat_api.expire_next = True  # refused once: one worker refreshes, the other reads the new one
    workers[0].send_text("oA", "一")
    workers[1].send_text("oB", "二")
    assert wechat_api.tokens == 2 and [m["token"] for m in wechat_api.sent[-2:]] == ["T2", "T2"]
    for w in workers:
        w.close()


def test_a_publish_on_one_worker_reaches_search_on_the_other(tmp_path, redis_url, sample_entries):
    from knowledge.retrieval import Retriever
    from nlu.synonyms import SynonymTable
    from nlu.tokenizer import ChineseTokenizer
    from tests.stubs import STUB_THRESHOLDS, HashEmbedder

    clients = []
    seeded(tmp_path, sample_entries)
    for n in range(2):  # each worker its own index (as on its own machine)
        retriever = Retriever(HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS)
        retriever.warm_up(sample_entries)
        settings = Settings(
            var_dir=tmp_path / f"w{n}", database_url=f"sqlite:///{tmp_path / 'shared.db'}", redis_url=redis_url,
            search_enabled=False, rasa_url="",
        )  # fmt: skip
        clients.append(TestClient(create_app(settings, retriever=retriever)).__enter__())
    one, two = clients
    try:
        store = one.app.state.services.store
        guide = store.get(store.published("guide")[0].code).content
        phrase = "萤火虫在窗台上开会"
        changed = guide.model_copy(update={"similar_questions": [*guide.similar_questions, phrase]})
        store.save(changed, author="editor", publish=True)  # on worker one
        started = time.monotonic()
        while time.monotonic() - started < 3:
            top = two.post("/api/search", json={"q": phrase}).json()["results"]
            if top and top[0]["code"] == guide.code:
                break
            time.sleep(0.05)
        assert top[0]["code"] == guide.code and time.monotonic() - started < 1.0
        store.retire(guide.code, author="editor")
        while time.monotonic() - started < 5:
            top = two.post("/api/search", json={"q": phrase}).json()["results"]
            if not top or top[0]["code"] != guide.code:
                break
            time.sleep(0.05)
        assert not top or top[0]["code"] != guide.code  # retired there too
    finally:
        for client in clients:
            client.__exit__(None, None, None)


@pytest.fixture
def relay(tmp_path, redis_url, sample_entries, stub_retriever):
    """Worker one asks a fake Rasa, which calls back worker two (the worker that started it)."""
    rasa = FakeRasa()
    seeded(tmp_path, sample_entries)
    with serve(rasa.app) as rasa_url:
        workers, ran = [], {0: [], 1: []}
        for n in range(2):
            port = free_port()
            settings = Settings(
                var_dir=tmp_path / f"r{n}", database_url=f"sqlite:///{tmp_path / 'shared.db'}", redis_url=redis_url,
                search_enabled=False, rasa_url=rasa_url, port=port, rasa_timeout=1.5, rasa_commit_wait=0.5,
            )  # fmt: skip
            workers.append((create_app(settings, retriever=stub_retriever), port))
        with serve(workers[0][0], workers[0][1]) as one_url, serve(workers[1][0], workers[1][1]) as two_url:
            for n, (app, _) in enumerate(workers):
                registry = ActionRegistry()

                @registry.register("action_probe")
                def probe(t, n=n):
                    ran[n].append(t.text)
                    return Result().say(Reply(f"worker {n} 办好了"))

                app.state.services.actions = registry
            rasa.app_url = two_url
            yield one_url, two_url, rasa, ran, workers


def test_an_action_call_reaching_another_worker_runs_where_the_turn_is(relay):
    one_url, _, rasa, ran, _ = relay
    resp = httpx.post(f"{one_url}/api/chat", json={"sender": "web:r1", "text": "我要投诉"}, timeout=10).json()
    assert resp["mode"] == "rasa" and resp["messages"][0]["text"] == "worker 0 办好了"
    assert ran == {0: ["我要投诉"], 1: []}


def test_a_turn_answered_without_rasa_runs_no_action_on_any_worker(relay):
    one_url, _, rasa, ran, _ = relay
    rasa.delay_before_action["web:r2"] = 2.5  # Rasa is late: worker one answers on its own
    resp = httpx.post(f"{one_url}/api/chat", json={"sender": "web:r2", "text": "我要投诉"}, timeout=10).json()
    assert resp["mode"] == "retrieval"
    deadline = time.monotonic() + 10
    while "web:r2" not in rasa.rewound and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ran == {0: [], 1: []} and rasa.rewound == ["web:r2"]


def test_an_action_for_a_worker_that_is_gone_runs_here(relay):
    _, two_url, _, ran, workers = relay
    conversation = workers[1][0].state.services.conversation
    gone = f"http://127.0.0.1:{free_port()}"
    metadata = {"request_id": "r3", "worker": gone, "worker_sig": conversation._signature(gone, "r3")}
    body = {
        "next_action": "action_probe", "sender_id": "web:r3",
        "tracker": {"sender_id": "web:r3", "slots": {}, "events": [], "latest_message": {"text": "喂", "metadata": metadata}},
    }  # fmt: skip
    assert (
        httpx.post(f"{two_url}/webhook", json=body, timeout=10).json()["responses"][0]["text"]
        == "worker 1 办好了"
    )
    forged = {**metadata, "worker": f"http://127.0.0.1:{free_port()}/elsewhere"}  # not signed: never called
    body["tracker"]["latest_message"]["metadata"] = forged
    assert httpx.post(f"{two_url}/webhook", json=body, timeout=10).status_code == 200
    assert ran == {0: [], 1: ["喂", "喂"]}


def test_log_in_back_off_counts_failures_on_every_worker(redis_url):
    from assistant.login_guard import LoginGuard

    one, two = (LoginGuard(free_per_account=3, first_wait=10, state=RedisState(redis_url)) for _ in range(2))
    for guard in (one, two, one):  # guesses spread over the workers
        guard.failed("wang", "6.6.6.6", now=100)
    assert two.wait("wang", "7.7.7.7", now=100) == 10 and one.wait("wang", "7.7.7.7", now=100) == 10
    one.succeeded("wang")
    assert two.wait("wang", "7.7.7.7", now=100) == 0
