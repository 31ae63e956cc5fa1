from __future__ import annotations

import pytest


@pytest.fixture
def client(app_client, stub_retriever):
    return app_client(stub_retriever)


def test_search_answers_with_a_guide(client):
    body = client.post("/api/search", json={"q": "驾照丢了怎么办", "top_k": 3}).json()
    assert body["results"][0]["name"] == "机动车驾驶证遗失补证"
    assert body["decision"] in ("answer", "clarify") and len(body["results"]) == 3


def test_none_is_logged_for_editors_without_pii(client):
    body = client.post("/api/search", json={"q": "喂喂喂 13812345678 xyz"}).json()
    assert body["decision"] == "none"
    items = client.app.state.services.unanswered.items()
    assert len(items) == 1 and "13812345678" not in items[0].text and "138****5678" in items[0].text
    assert client.get("/health").json()["unanswered_open"] == 1


def test_empty_question_gets_a_chinese_message(client):
    resp = client.post("/api/search", json={"q": ""})
    assert resp.status_code == 422 and "请求内容不正确" in resp.json()["detail"]
    assert client.post("/api/search", json={"q": "x", "top_k": 99}).status_code == 422


def test_publishing_through_the_store_updates_search(client, sample_entries):
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    phrase = "家里那本红皮的簿子被狗啃了"
    client.app.state.services.store.save(
        guide.model_copy(update={"similar_questions": [*guide.similar_questions, phrase]}),
        author="ed",
        publish=True,
    )
    assert client.post("/api/search", json={"q": phrase}).json()["results"][0]["name"] == "户口簿补领"


def test_without_retriever_search_says_so_politely(app_client):
    resp = app_client().post("/api/search", json={"q": "身份证"})
    assert resp.status_code == 503 and "12345" in resp.json()["detail"]


@pytest.mark.slow
@pytest.mark.integration
def test_real_model_through_the_api(app_client, real_retriever):
    body = app_client(real_retriever).post("/api/search", json={"q": "宝宝刚出生 上户口要带啥"}).json()
    assert body["results"][0]["name"] in ("出生登记（新生儿落户）", "新生儿出生一件事")


def test_searches_at_once_are_bounded_by_their_own_pool(app_client, stub_retriever):
    """A burst of searches runs ``search_threads`` at a time, leaving the chat its CPU."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    client = app_client(stub_retriever, search_threads=2)
    running, most, lock = [0], [0], threading.Lock()
    real = stub_retriever.search

    def slow(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return real(*args, **kwargs)

    stub_retriever.search = slow
    try:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: client.post("/api/search", json={"q": "驾照丢了"}).status_code, range(8)))
    finally:
        del stub_retriever.search
    assert codes == [200] * 8 and most[0] == 2
