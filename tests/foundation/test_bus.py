"""The bus nudges every worker: Redis pub/sub and PostgreSQL LISTEN/NOTIFY alike."""

from __future__ import annotations

import threading
import time

import pytest

from foundation.bus import PostgresBus, RedisBus, open_bus

pytestmark = pytest.mark.integration


def _heard_by_another(make) -> tuple[list, float]:
    listener, publisher = make(), make()
    heard: list = []
    connected, got = threading.Event(), threading.Event()

    def handler(message):
        heard.append(message)
        (connected if message is None else got).set()

    listener.listen(handler)
    try:
        assert connected.wait(5), "the listener did not connect"
        started = time.monotonic()
        publisher.publish("publish GA-001")
        assert got.wait(5), heard
        return heard, time.monotonic() - started
    finally:
        listener.close()
        publisher.close()


@pytest.mark.redis
def test_redis_pub_sub_reaches_another_worker_at_once(redis_url):
    heard, seconds = _heard_by_another(lambda: RedisBus(redis_url))
    assert heard == [None, "publish GA-001"] and seconds < 1.0


@pytest.mark.postgres
def test_postgres_notify_reaches_another_worker_at_once(postgres_url):
    heard, seconds = _heard_by_another(lambda: PostgresBus(postgres_url))
    assert heard == [None, "publish GA-001"] and seconds < 1.0


def test_which_bus(tmp_path):
    assert open_bus("", f"sqlite:///{tmp_path}/x.db") is None  # one process: nothing to tell
    assert open_bus("", "postgresql+psycopg://u@h/db").kind == "postgresql"
    assert open_bus("redis://127.0.0.1:6379/0", "postgresql+psycopg://u@h/db").kind == "redis"


@pytest.mark.redis
def test_a_dropped_connection_is_made_again_and_said_so(redis_url):
    import redis

    bus, heard = RedisBus(redis_url), []
    bus.listen(heard.append)
    try:
        deadline = time.monotonic() + 5
        while heard != [None] and time.monotonic() < deadline:
            time.sleep(0.05)
        redis.Redis.from_url(redis_url).client_kill_filter(_type="pubsub")
        while heard.count(None) < 2 and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        assert heard.count(None) == 2  # reconnected: the listener catches up on what it missed
        bus.publish("retire GA-001")
        while "retire GA-001" not in heard and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        assert heard[-1] == "retire GA-001"
    finally:
        bus.close()


@pytest.mark.redis
def test_a_burst_of_nudges_is_handed_over_as_one(redis_url):
    listener, publisher, heard = RedisBus(redis_url), RedisBus(redis_url), []

    def handler(message):
        heard.append(message)
        if len(heard) == 2:
            time.sleep(0.5)  # busy with the first nudge: the rest of the import's wait in Redis

    listener.listen(handler)
    try:
        deadline = time.monotonic() + 5
        while heard != [None] and time.monotonic() < deadline:
            time.sleep(0.05)
        for n in range(20):
            publisher.publish(f"publish {n}")
        while "publish 19" not in heard and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        assert heard[-1] == "publish 19" and len(heard) <= 3  # 20 nudges, at most two looks
    finally:
        listener.close()
        publisher.close()
