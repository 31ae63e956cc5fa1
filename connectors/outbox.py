"""The outbox: a hand-off is written to our own database first, then delivered until confirmed.

``Outbox.add`` is called inside the transaction that records the hand-off, so either both
exist or neither. ``OutboxWorker.run_once`` claims due items (a lease, so two workers never
deliver the same item at once), calls the deliverer for the item's kind with the item's
idempotency key, and marks it delivered only when the far side confirmed. A delivery that
dies half-way is retried with the same key.

The guarantee is at-least-once: the far side may see an item more than once (a reply lost
after it stored it) and must answer a repeated idempotency key with the record it already
has; then each hand-off is recorded there once. After ``max_attempts`` failures (a platform
that keeps refusing the payload) the item stops in ``dead`` for an operator to look at
(``yichuang outbox status``, the staff page) and requeue with ``retry``: it is never
re-posted forever, and never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from connectors.crypto import Sealer
from foundation.db import Base, session_factory
from foundation.logs import get_logger
from nlu.pii import mask_pii

log = get_logger(__name__)
DEAD = "dead"  # gave up after max_attempts: shown to operators, requeued by retry_now
Deliverer = Callable[[dict, str], str]  # (payload, idempotency key) -> the far side's reference


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payload: Mapped[str] = mapped_column(Text)  # sealed: it may hold a citizen's contact
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    ref: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    remote_ref: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive datetimes


class Outbox:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._sessions = session_factory(engine)
        self.sealer = sealer

    def add(self, session: Session, kind: str, ref: str, payload: dict) -> None:
        """Queue inside the caller's transaction."""
        now = _now()
        session.add(
            OutboxRow(
                kind=kind,
                ref=ref,
                idempotency_key=f"{kind}:{ref}",
                payload=self.sealer.seal(payload),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    def items(self, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        stmt = select(OutboxRow).order_by(OutboxRow.id).limit(limit)
        if status:
            stmt = stmt.where(OutboxRow.status == status)
        with self._sessions() as s:
            return [
                OutboxItem(
                    r.id,
                    r.kind,
                    r.ref,
                    r.status,
                    r.attempts,
                    _aware(r.next_attempt_at),
                    r.last_error,
                    r.remote_ref,
                )
                for r in s.scalars(stmt)
            ]

    def counts(self) -> dict[str, int]:
        with self._sessions() as s:
            return dict(s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())

    def retry_now(self, item_id: int | None = None) -> int:
        """Make pending items due at once (all, or one), and requeue dead ones with fresh
        attempts (an operator fixed the cause); returns how many."""
        now = _now()
        with self._sessions.begin() as s:
            pending = update(OutboxRow).where(OutboxRow.status == "pending").values(next_attempt_at=now)
            dead = (
                update(OutboxRow)
                .where(OutboxRow.status == DEAD)
                .values(status="pending", attempts=0, next_attempt_at=now)
            )
            if item_id is not None:
                pending, dead = pending.where(OutboxRow.id == item_id), dead.where(OutboxRow.id == item_id)
            return s.execute(pending).rowcount + s.execute(dead).rowcount


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        sealer: Sealer,
        deliverers: dict[str, Deliverer],
        *,
        on_delivered: Callable[[str, str, str], None] | None = None,
        lease: timedelta = timedelta(seconds=60),
        base_delay: float = 2.0,
        max_delay: float = 600.0,
        max_attempts: int = 12,
    ) -> None:
        self._sessions = session_factory(engine)
        self.sealer = sealer
        self.deliverers = deliverers
        self.on_delivered = on_delivered
        self.lease = lease
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts  # about 40 minutes of retries with the defaults

    def _claim(self, limit: int) -> list[tuple[int, str, str, str, int]]:
        now = _now()
        with self._sessions.begin() as s:
            stmt = (
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for row in s.scalars(stmt):
                row.next_attempt_at = now + self.lease  # nobody else takes it while we try
                row.attempts += 1
                claimed.append((row.id, row.kind, row.idempotency_key, row.payload, row.attempts))
            return claimed

    def run_once(self, limit: int = 50) -> int:
        """Try every due item once; returns how many were delivered."""
        delivered = 0
        for item_id, kind, key, sealed, attempts in self._claim(limit):
            deliver = self.deliverers.get(kind)
            try:
                if deliver is None:
                    raise RuntimeError(f"no deliverer for {kind}")
                remote = deliver(self.sealer.open(sealed), key)
            except Exception as exc:  # any failure: keep the item and try again later, a bounded number of times
                delay = min(self.base_delay * 2 ** (attempts - 1), self.max_delay)
                dead = attempts >= self.max_attempts
                with self._sessions.begin() as s:
                    s.execute(
                        update(OutboxRow)
                        .where(OutboxRow.id == item_id)
                        .values(
                            status=DEAD if dead else "pending",
                            next_attempt_at=_now() + timedelta(seconds=delay),
                            last_error=mask_pii(str(exc))[:500],
                        )
                    )
                if dead:
                    log.error("outbox item gave up, an operator must look", kind=kind, item=item_id, attempts=attempts)
                else:
                    log.warning(
                        "outbox delivery failed", kind=kind, item=item_id, attempts=attempts, retry_in=delay
                    )
                continue
            with self._sessions.begin() as s:
                row = s.get(OutboxRow, item_id)
                assert row is not None
                row.status, row.remote_ref, row.delivered_at, row.last_error = (
                    "delivered",
                    remote,
                    _now(),
                    None,
                )
                ref = row.ref
            if self.on_delivered:
                self.on_delivered(kind, ref, remote)
            delivered += 1
        return delivered
