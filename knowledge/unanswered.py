"""The unanswered-question log: what citizens asked that no service matched, for editors.

Text is stored with 身份证号/手机号/银行卡号 masked (``nlu.pii``); an editor links an item
to a guide (and adds a 相似问 there) or dismisses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from knowledge.store.db import session_factory
from knowledge.store.errors import MissingEntryError
from knowledge.store.tables import UnansweredRow
from nlu.pii import mask_pii


@dataclass(frozen=True)
class Unanswered:
    id: int
    at: datetime
    text: str
    source: str
    region: str | None
    candidates: list
    status: str
    linked_code: str | None


class UnansweredLog:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def record(
        self,
        text: str,
        normalized: str,
        *,
        source: str,
        region: str | None = None,
        candidates: list | None = None,
    ) -> int:
        with self._sessions.begin() as s:
            row = UnansweredRow(
                at=datetime.now(UTC),
                text=mask_pii(text)[:1000],
                normalized=mask_pii(normalized)[:1000],
                source=source,
                region=region,
                candidates=candidates or [],
                status="open",
            )
            s.add(row)
            s.flush()
            return row.id

    def record_miss(self, result, *, source: str) -> int:
        """Log a ``SearchResult`` whose decision was none, with its nearest candidates."""
        candidates = [{"code": h.code, "name": h.name, "score": round(h.score, 4)} for h in result.results]
        return self.record(
            result.query, result.normalized, source=source, region=result.region, candidates=candidates
        )

    def items(self, status: str | None = "open", limit: int = 100) -> list[Unanswered]:
        stmt = select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(UnansweredRow.status == status)
        with self._sessions() as s:
            return [
                Unanswered(r.id, r.at, r.text, r.source, r.region, r.candidates, r.status, r.linked_code)
                for r in s.scalars(stmt)
            ]

    def get(self, item_id: int) -> Unanswered:
        with self._sessions() as s:
            r = s.get(UnansweredRow, item_id)
            if r is None:
                raise MissingEntryError(f"没有编号为 {item_id} 的未答问题")
            return Unanswered(r.id, r.at, r.text, r.source, r.region, r.candidates, r.status, r.linked_code)

    def count(self, status: str | None = "open") -> int:
        stmt = select(func.count(UnansweredRow.id))
        if status:
            stmt = stmt.where(UnansweredRow.status == status)
        with self._sessions() as s:
            return int(s.scalar(stmt) or 0)

    def resolve(self, item_id: int, *, linked_code: str | None = None) -> None:
        """Mark an item linked to a guide (``linked_code``) or dismissed (no code)."""
        with self._sessions.begin() as s:
            row = s.get(UnansweredRow, item_id)
            if row is None:
                raise MissingEntryError(f"没有编号为 {item_id} 的未答问题")
            row.status = "linked" if linked_code else "dismissed"
            row.linked_code = linked_code
