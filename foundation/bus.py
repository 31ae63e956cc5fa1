"""A nudge to every worker: "something changed, look" (Redis pub/sub or PostgreSQL LISTEN/NOTIFY).

Messages carry no state and may be lost (a worker restarting, a dropped connection): whoever
listens reads what changed from the database, on each nudge, once more after each
(re)connection, and on its own catch-up round. So a worker that missed a message is late by one
round at most, never wrong. Nudges arriving together (an import publishing many entries) are
handed over as one.

    bus = open_bus(redis_url, database_url)      # None: one process, nothing to tell
    bus.listen(lambda message: follower.catch_up())
    bus.publish("publish YJS-370199-002")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from foundation.logs import get_logger

log = get_logger(__name__)
CHANNEL = "yichuang_content"
RETRY_SECONDS = (0.5, 1, 2, 5, 10)

Handler = Callable[[str | None], None]  # None: (re)connected, messages may have been missed


class Bus(Protocol):
    kind: str

    def publish(self, message: str) -> None: ...

    def listen(self, handler: Handler) -> None:
        """Call ``handler`` from a thread of the bus's own for every message, until ``close``."""
        ...

    def close(self) -> None: ...


class _Listening:
    """The listening thread both buses share: connect, wait for messages, reconnect with back-off."""

    kind = ""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def listen(self, handler: Handler) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(handler,), name=f"bus-{self.kind}", daemon=True
        )
        self._thread.start()

    def _run(self, handler: Handler) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                for message in self._messages():
                    failures = 0
                    try:
                        handler(message)
                    except Exception:
                        log.exception("bus handler failed", bus=self.kind)
            except Exception as exc:
                if self._stop.is_set():
                    return
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "bus connection lost, reconnecting",
                    bus=self.kind,
                    error=type(exc).__name__,
                    in_seconds=delay,
                )
                self._stop.wait(delay)

    def _messages(self):
        """Yield None once connected, then each message; return when stopped."""
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class RedisBus(_Listening):
    kind = "redis"

    def __init__(self, url: str) -> None:
        import redis

        super().__init__()
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2.0)

    def publish(self, message: str) -> None:
        try:
            self.client.publish(CHANNEL, message)
        except Exception as exc:  # the others catch up on their own round
            log.warning("bus publish failed", bus=self.kind, error=type(exc).__name__)

    def _messages(self):
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            yield None
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None or message.get("type") != "message":
                    continue
                while (more := pubsub.get_message(timeout=0)) is not None:  # an import's burst: one look
                    message = more if more.get("type") == "message" else message
                yield str(message["data"])
        finally:
            pubsub.close()

    def close(self) -> None:
        super().close()
        self.client.close()


class PostgresBus(_Listening):
    """LISTEN/NOTIFY on the database itself: no Redis needed to tell the workers."""

    kind = "postgresql"

    def __init__(self, database_url: str) -> None:
        from sqlalchemy.engine import make_url

        super().__init__()
        url = make_url(database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)

    def _connect(self):
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def publish(self, message: str) -> None:
        try:
            with self._connect() as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, message))
        except Exception as exc:
            log.warning("bus publish failed", bus=self.kind, error=type(exc).__name__)

    def _messages(self):
        with self._connect() as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            yield None
            while not self._stop.is_set():
                burst = [n.payload for n in conn.notifies(timeout=0.5, stop_after=1)]
                if burst:
                    burst += [n.payload for n in conn.notifies(timeout=0.01)]  # an import's burst: one look
                    yield burst[-1]


def open_bus(redis_url: str, database_url: str) -> Bus | None:
    """Redis pub/sub when Redis is configured, else LISTEN/NOTIFY on PostgreSQL, else nothing
    (SQLite: one process)."""
    if redis_url:
        return RedisBus(redis_url)
    if database_url.startswith("postgresql"):
        return PostgresBus(database_url)
    return None
