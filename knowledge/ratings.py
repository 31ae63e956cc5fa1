"""好差评: citizens' 👍/👎 on answers, kept for editors.

Each rating stores the answer it was given on, the question before it and the optional reason,
all with 身份证号/手机号/银行卡号 masked (``nlu.pii``), plus the guide or bundle the answer was
about, so an editor sees which guides collect 差评 and can add the citizen's words as a 相似问.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select

from knowledge.review_queue import ReviewQueue
from knowledge.store.tables import RatingRow
from nlu.pii import mask_pii


@dataclass(frozen=True)
class Rating:
    id: int
    at: datetime
    helpful: bool
    reason: str
    question: str
    answer: str
    about: dict | None  # {"kind", "code", "name"}
    source: str
    status: str
    linked_code: str | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "helpful": self.helpful,
            "reason": self.reason,
            "question": self.question,
            "answer": self.answer,
            "about": self.about,
            "source": self.source,
            "status": self.status,
            "linked_code": self.linked_code,
        }


class RatingLog(ReviewQueue):
    row = RatingRow
    label = "评价"

    def _item(self, r: RatingRow) -> Rating:
        about = {"kind": r.about_kind, "code": r.about_code, "name": r.about_name} if r.about_code else None
        return Rating(
            r.id, r.at, r.helpful, r.reason, r.question, r.answer, about, r.source, r.status, r.linked_code
        )

    def record(
        self,
        *,
        helpful: bool,
        answer: str,
        question: str = "",
        reason: str = "",
        about: dict | None = None,
        source: str = "web",
    ) -> int:
        about = about or {}
        with self._sessions.begin() as s:
            row = RatingRow(
                at=datetime.now(UTC),
                helpful=helpful,
                reason=mask_pii(reason.strip())[:500],
                question=mask_pii(question.strip())[:500],
                answer=mask_pii(answer)[:4000],
                about_kind=about.get("kind"),
                about_code=about.get("code"),
                about_name=about.get("name"),
                source=source,
                # a 👍 needs no editor's attention
                status="open" if not helpful else "dismissed",
            )
            s.add(row)
            s.flush()
            return row.id

    def items(self, *, helpful: bool | None = False, status: str | None = "open", limit: int = 100) -> list[Rating]:
        stmt = self._filtered(select(RatingRow).order_by(RatingRow.id.desc()).limit(limit), status)
        if helpful is not None:
            stmt = stmt.where(RatingRow.helpful == helpful)
        with self._sessions() as s:
            return [self._item(r) for r in s.scalars(stmt)]

    def summary(self) -> list[dict]:
        """👍 and 👎 counts per guide or bundle, most 👎 first."""
        down = func.sum(case((RatingRow.helpful.is_(False), 1), else_=0))
        up = func.sum(case((RatingRow.helpful.is_(True), 1), else_=0))
        stmt = (
            select(RatingRow.about_code, func.max(RatingRow.about_name), up, down)
            .where(RatingRow.about_code.is_not(None))
            .group_by(RatingRow.about_code)
            .order_by(down.desc(), RatingRow.about_code)
        )
        with self._sessions() as s:
            return [
                {"code": code, "name": name, "up": int(u or 0), "down": int(d or 0)}
                for code, name, u, d in s.execute(stmt)
            ]
