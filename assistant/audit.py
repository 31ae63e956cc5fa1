"""The audit trail: who did what to which thing, when — beside content changes and log-ins in the
one ``audit_log`` table. Looking up a caller's tickets and bookings by phone is recorded here
(operator, masked number, how much was found): personal data was read, so it must be traceable."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from foundation.db import session_factory
from knowledge.store.tables import AuditRow


def audit_row(actor: str, action: str, *, kind: str, code: str, detail: dict | None = None) -> AuditRow:
    """One entry, for a caller that writes it in its own transaction (a log-in, say)."""
    return AuditRow(at=datetime.now(UTC), actor=actor[:100], action=action[:20], kind=kind[:10],
                    code=code[:64], version=None, detail=detail or {})  # fmt: skip


class AuditTrail:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def record(self, actor: str, action: str, *, kind: str, code: str, detail: dict | None = None) -> None:
        with self._sessions.begin() as s:
            s.add(audit_row(actor, action, kind=kind, code=code, detail=detail))

    def entries(self, *, kind: str | None = None, limit: int = 100) -> list[dict]:
        """Newest first."""
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if kind:
            stmt = stmt.where(AuditRow.kind == kind)
        with self._sessions() as s:
            return [r.as_dict() for r in s.scalars(stmt)]
