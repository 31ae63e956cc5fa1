"""The unanswered-question log: what citizens asked that no service matched, for editors.

Text is stored with 身份证号/手机号/银行卡号 masked (``nlu.pii``); an editor links an item
to a guide (and adds a 相似问 there) or dismisses it. The same question asked many times is one
item for the editor (``grouped``), and resolving it resolves every open copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, select

from knowledge.review_queue import ReviewQueue
from knowledge.store.tables import UnansweredRow
from nlu.normalize import clean_text
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
    count: int = 1  # open copies of the same (normalised) question, when grouped
    conversation: str | None = None  # pseudonym of the conversation (its turns: the question log)


class UnansweredLog(ReviewQueue):
    row = UnansweredRow
    label = "未答问题"

    def _item(self, r: UnansweredRow) -> Unanswered:
        return Unanswered(
            r.id, r.at, r.text, r.source, r.region, r.candidates, r.status, r.linked_code, 1, r.conversation
        )

    def record(
        self,
        text: str,
        normalized: str,
        *,
        source: str,
        region: str | None = None,
        candidates: list | None = None,
        sender: str | None = None,
    ) -> int:
        with self._sessions.begin() as s:
            row = UnansweredRow(
                at=datetime.now(UTC),
                text=mask_pii(clean_text(text))[:1000],
                normalized=mask_pii(clean_text(normalized))[:1000],
                source=source,
                region=region,
                candidates=candidates or [],
                status="open",
                conversation=self.conversation_of(sender),
            )
            s.add(row)
            s.flush()
            return row.id

    def record_miss(self, result, *, source: str, sender: str | None = None) -> int:
        """Log a ``SearchResult`` whose decision was none, with its nearest candidates."""
        candidates = [{"code": h.code, "name": h.name, "score": round(h.score, 4)} for h in result.results]
        return self.record(
            result.query, result.normalized, source=source, region=result.region, candidates=candidates,
            sender=sender,
        )  # fmt: skip

    def items(self, status: str | None = "open", limit: int = 100, *, grouped: bool = False) -> list[Unanswered]:
        """Newest first; ``grouped``: one item per distinct question, the newest copy, with a count."""
        if not grouped:
            stmt = self._filtered(select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit), status)
            with self._sessions() as s:
                return [self._item(r) for r in s.scalars(stmt)]
        newest = func.max(UnansweredRow.id)
        groups = self._filtered(
            select(newest, func.count(UnansweredRow.id)).group_by(UnansweredRow.normalized), status
        ).order_by(newest.desc()).limit(limit)
        with self._sessions() as s:
            counts = dict(s.execute(groups).all())
            rows = s.scalars(select(UnansweredRow).where(UnansweredRow.id.in_(counts)).order_by(UnansweredRow.id.desc()))
            return [replace(self._item(r), count=int(counts[r.id])) for r in rows]

    def _together(self, row: UnansweredRow):
        """The item and every other open copy of the same question."""
        same = (UnansweredRow.normalized == row.normalized) & (UnansweredRow.status == "open")
        return (UnansweredRow.id == row.id) | same
