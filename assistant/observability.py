"""What operators see: a request id in every log line of a request, and Prometheus metrics.

The request id comes from the caller's ``X-Request-ID`` (when it looks like one) or is made
here; it is bound into structlog's context for the request, sent back in the response, sent
to Rasa with the message (``metadata.request_id``) and read back by the action webhook from
the tracker, so one chat turn's lines in the app, Rasa's call back and the action share it.

Metrics live in a registry per app (tests build many apps in one process).
"""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{6,64}$")
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def bind_request_id(request_id: str) -> None:
    REQUEST_ID.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)


class RequestIdMiddleware:
    """Pure ASGI: binds the request id for the request's log lines and returns it as a header."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _VALID_ID.match(sent) else new_request_id()
        structlog.contextvars.clear_contextvars()
        bind_request_id(request_id)

        async def with_header(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, with_header)


class Metrics:
    """The service's own metrics; ``collect`` callbacks read gauges when scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter("yichuang_chat_turns", "chat turns by who answered", ["mode"], registry=r)
        self.turn_seconds = Histogram(
            "yichuang_chat_turn_seconds", "chat turn latency", ["mode"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.fallbacks = Counter(
            "yichuang_chat_fallbacks", "turns answered without Rasa, by reason", ["reason"], registry=r
        )
        self.actions = Counter(
            "yichuang_actions", "custom actions run for Rasa, by action and outcome", ["action", "outcome"],
            registry=r,
        )  # fmt: skip
        self.action_seconds = Histogram(
            "yichuang_action_seconds", "custom action latency", buckets=LATENCY_BUCKETS, registry=r
        )
        self.decisions = Counter(
            "yichuang_dialogue_decisions", "what Rasa took a turn to be (its intent)", ["decision"], registry=r
        )
        self.search_seconds = Histogram(
            "yichuang_search_seconds", "search request latency", buckets=LATENCY_BUCKETS, registry=r
        )
        self.rasa_restarts = Counter("yichuang_rasa_restarts", "dialogue server restarts", registry=r)
        self.rasa_up = Gauge("yichuang_rasa_up", "1 when the dialogue server answers", registry=r)
        self.outbox_depth = Gauge("yichuang_outbox_depth", "hand-offs waiting to be delivered", registry=r)
        self.bookings = Gauge("yichuang_bookings", "bookings held, by status", ["status"], registry=r)
        self.tickets = Gauge("yichuang_tickets", "12345 tickets held, by status", ["status"], registry=r)
        self._collectors: list = []

    def on_scrape(self, fn) -> None:
        """``fn(metrics)`` runs before each scrape (gauges read from the store)."""
        self._collectors.append(fn)

    def scrape(self) -> bytes:
        from prometheus_client import generate_latest

        for fn in self._collectors:
            try:
                fn(self)
            except Exception:  # a gauge that cannot be read must not break the scrape
                structlog.get_logger(__name__).exception("metrics collector failed")
        return generate_latest(self.registry)


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def store_gauges(engine):
    """A scrape callback: outbox depth, bookings and tickets by status, read from the database."""
    from sqlalchemy import func, select

    from connectors.booking.tables import BookingRow
    from connectors.complaint.tables import TicketRow
    from connectors.outbox import OutboxRow

    def collect(metrics: Metrics) -> None:
        with engine.connect() as conn:
            for gauge, row in ((metrics.bookings, BookingRow), (metrics.tickets, TicketRow)):
                for status, n in conn.execute(select(row.status, func.count()).group_by(row.status)):
                    gauge.labels(status=status).set(n)
            pending = conn.execute(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
            ).scalar_one()
            metrics.outbox_depth.set(pending)

    return collect
