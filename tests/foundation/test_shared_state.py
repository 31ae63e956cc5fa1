"""The shared state: the same behaviour in this process and in Redis (several workers)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from connectors.crypto import Sealer, new_key
from foundation.shared_state import LocalState, LockTimeout, RedisState


@pytest.fixture(params=["local", pytest.param("redis", marks=[pytest.mark.redis, pytest.mark.integration])])
def state(request):
    if request.param == "local":
        yield LocalState()
        return
    state = RedisState(request.getfixturevalue("redis_url"), Sealer(new_key()))
    yield state
    state.close()


def test_values_expire_and_a_claim_is_taken_once(state):
    assert state.get("k") is None
    state.put("k", "某人的话 13812345678", ttl=0.3)
    assert state.get("k") == "某人的话 13812345678"
    assert state.add("claim", "", ttl=5) and not state.add("claim", "", ttl=5)
    time.sleep(0.4)
    assert state.get("k") is None


def test_a_token_bucket_refills(state):
    assert [state.take("ip", per_second=5, burst=3) for _ in range(4)] == [True, True, True, False]
    time.sleep(0.25)  # one token back at 5 per second
    assert state.take("ip", per_second=5, burst=3) and not state.take("ip", per_second=5, burst=3)
    assert state.take("other", per_second=5, burst=3)


def test_a_lock_is_held_by_one_at_a_time(state):
    inside, overlaps = [], []

    def work():
        with state.lock("refresh", timeout=5):
            inside.append(1)
            overlaps.append(len(inside))
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [1, 1, 1, 1]
    with state.lock("held", timeout=2):
        waited = threading.Thread(target=lambda: overlaps.append(_try(state)))
        waited.start()
        waited.join()
    assert overlaps[-1] == "timeout"


def _try(state) -> str:
    try:
        with state.lock("held", timeout=0.2):
            return "got it"
    except LockTimeout:
        return "timeout"


@pytest.mark.redis
@pytest.mark.integration
def test_two_workers_see_one_state_and_redis_holds_no_plain_text(redis_url):
    key = new_key()
    one, two = RedisState(redis_url, Sealer(key)), RedisState(redis_url, Sealer(key))
    one.put("memory:web:a", '{"code": "GA-001", "phone": "13812345678"}', ttl=30)
    assert two.get("memory:web:a") == '{"code": "GA-001", "phone": "13812345678"}'
    raw = one.client.get("yichuang:memory:web:a")  # what Redis (and its dumps) hold
    assert "13812345678" not in raw and raw.startswith("v2:")
    assert one.add("wechat:msg:1", "", 30) and not two.add("wechat:msg:1", "", 30)
    assert sum(s.take("rate:ip", 1, 3) for s in (one, two, one, two)) == 3  # one bucket for both
    assert RedisState(redis_url, Sealer(new_key())).get("memory:web:a") is None  # another key: unreadable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_away_degrades_and_never_raises():
    state = RedisState(f"redis://127.0.0.1:{_closed_port()}/0", timeout=0.2)
    state.put("k", "v", 10)
    assert state.get("k") is None  # nothing found
    assert state.add("claim", "", 10)  # this worker goes ahead as if alone
    assert state.take("ip", 1, 1) and state.take("ip", 1, 1)  # citizens are not refused for it
    with state.lock("refresh", timeout=0.2):
        pass


def test_a_value_is_deleted(state):
    state.put("login:account:a", "{}", 60)
    state.delete("login:account:a")
    assert state.get("login:account:a") is None
