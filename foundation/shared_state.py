"""Small state every worker of one deployment must see alike: in this process, or in Redis.

What lives here: the app's own conversation memory (fallback), rate-limit buckets, WeChat's
message de-duplication and numbered choices, the 客服消息 access token. One process needs
nothing more than a dictionary (``LocalState``, the default); several workers behind a load
balancer share a Redis (``RedisState``, when ``YICHUANG_REDIS_URL`` is set), so a citizen's next
message, a retry of WeChat's or the next request of a client may land on any worker.

Both keep the same few operations: values with a time to live (``get``/``put``/``add``, ``add``
only when absent: a claim), a token bucket (``take``) and a lock (``lock``). Values are text;
``RedisState`` seals them with the data key (``sealer``): they hold citizens' words. When Redis
does not answer, each operation logs it and degrades (nothing found, nothing stored, requests
allowed, the lock not held): a citizen gets an answer, never a 500.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from foundation.logs import get_logger

log = get_logger(__name__)
PREFIX = "yichuang:"


class Sealer(Protocol):
    def seal(self, value: Any) -> str: ...

    def open(self, token: str) -> Any: ...


class LockTimeout(TimeoutError):
    """Someone else held the lock for longer than the caller would wait."""


class SharedState(Protocol):
    shared: bool  # True: other workers see the same state

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str, ttl: float) -> None: ...

    def add(self, key: str, value: str, ttl: float) -> bool:
        """Store ``value`` only if ``key`` holds nothing; True when this call stored it."""
        ...

    def delete(self, key: str) -> None: ...

    def take(self, key: str, per_second: float, burst: int, now: float | None = None) -> bool:
        """One token from the bucket ``key`` (refilled at ``per_second``, at most ``burst``);
        ``now`` is for tests of the local state (Redis keeps its own clock)."""
        ...

    def lock(self, key: str, timeout: float) -> Any:
        """A context manager holding ``key`` for at most ``timeout`` seconds, waiting as long for
        it; raises ``LockTimeout``."""
        ...

    def close(self) -> None: ...


class LocalState:
    """This process only: an LRU dictionary with expiry, buckets and locks (threads share it)."""

    shared = False

    def __init__(self, max_keys: int = 200_000) -> None:
        self.max_keys = max_keys
        self._values: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._mutex = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._mutex:
            found = self._values.get(key)
            if found is None:
                return None
            if found[1] <= time.monotonic():
                del self._values[key]
                return None
            self._values.move_to_end(key)
            return found[0]

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._mutex:
            self._store(key, value, ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._mutex:
            found = self._values.get(key)
            if found is not None and found[1] > time.monotonic():
                return False
            self._store(key, value, ttl)
            return True

    def delete(self, key: str) -> None:
        with self._mutex:
            self._values.pop(key, None)

    def _store(self, key: str, value: str, ttl: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl)
        self._values.move_to_end(key)
        while len(self._values) > self.max_keys:
            self._values.popitem(last=False)

    def take(self, key: str, per_second: float, burst: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._mutex:
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(burst, tokens + (now - last) * per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        with self._mutex:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise LockTimeout(key)
        try:
            yield
        finally:
            lock.release()

    def close(self) -> None:
        pass


# tokens refilled from Redis's own clock, so workers with skewed clocks share one bucket fairly
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""


class RedisState:
    """Every worker's: keys under ``yichuang:`` in the Redis at ``url`` (``redis://host:port/db``)."""

    shared = True

    def __init__(self, url: str, sealer: Sealer | None = None, timeout: float = 2.0) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.sealer = sealer
        self._take = self.client.register_script(_TAKE)

    def _failed(self, what: str, exc: Exception) -> None:
        log.warning("shared state (Redis) unavailable", operation=what, error=type(exc).__name__)

    def get(self, key: str) -> str | None:
        try:
            raw = self.client.get(PREFIX + key)
        except self._errors as exc:
            self._failed("get", exc)
            return None
        if raw is None or self.sealer is None:
            return raw
        try:
            return str(self.sealer.open(raw))
        except ValueError:  # sealed with a key no longer configured: as good as gone
            return None

    def _sealed(self, value: str) -> str:
        return self.sealer.seal(value) if self.sealer is not None else value

    def put(self, key: str, value: str, ttl: float) -> None:
        try:
            self.client.set(PREFIX + key, self._sealed(value), px=max(1, int(ttl * 1000)))
        except self._errors as exc:
            self._failed("put", exc)

    def add(self, key: str, value: str, ttl: float) -> bool:
        try:
            return bool(
                self.client.set(PREFIX + key, self._sealed(value), px=max(1, int(ttl * 1000)), nx=True)
            )
        except self._errors as exc:
            self._failed("add", exc)
            return True  # nobody can be asked: this worker goes ahead as if it were alone

    def delete(self, key: str) -> None:
        try:
            self.client.delete(PREFIX + key)
        except self._errors as exc:
            self._failed("delete", exc)

    def take(self, key: str, per_second: float, burst: int, now: float | None = None) -> bool:
        try:
            return bool(self._take(keys=[PREFIX + "bucket:" + key], args=[per_second, burst]))
        except self._errors as exc:
            self._failed("take", exc)
            return True

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        from redis.exceptions import LockError

        lock = self.client.lock(PREFIX + "lock:" + key, timeout=timeout, blocking_timeout=timeout)
        try:
            held = lock.acquire()
        except self._errors as exc:
            self._failed("lock", exc)
            held = None  # Redis is away: go ahead unlocked rather than not at all
        if held is False:
            raise LockTimeout(key)
        try:
            yield
        finally:
            if held:
                try:
                    lock.release()
                except (LockError, *self._errors):  # expired meanwhile: someone else may hold it now
                    pass

    def close(self) -> None:
        self.client.close()


def open_state(redis_url: str = "", sealer: Sealer | None = None) -> SharedState:
    """Redis when a URL is given, else this process's own."""
    return RedisState(redis_url, sealer) if redis_url else LocalState()
