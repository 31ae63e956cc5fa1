"""好差评: citizens' 👍/👎 on answers, kept for editors.

Each rating stores the answer it was given on, the question before it and the optional reason,
all with 身份证号/手机号/银行卡号 masked (``nlu.pii``), plus the guide or bundle the answer was
about, so an editor sees which guides collect 差评 and can add the citizen's words as a 相似问.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select, update

from knowledge.review_queue import ReviewQueue
from knowledge.store.errors import MissingEntryError
from knowledge.store.tables import RatingRow
from nlu.normalize import clean_text
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
    note: str | None = None
    handled_by: str | None = None
    conversation: str | None = None  # pseudonym of the conversation (its turns: the question log)

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
            "note": self.note,
            "handled_by": self.handled_by,
        }


class RatingLog(ReviewQueue):
    row = RatingRow
    label = "评价"

    def _item(self, r: RatingRow) -> Rating:
        about = {"kind": r.about_kind, "code": r.about_code, "name": r.about_name} if r.about_code else None
        return Rating(
            r.id, r.at, r.helpful, r.reason, r.question, r.answer, about, r.source, r.status, r.linked_code,
            r.note, r.handled_by, r.conversation,
        )  # fmt: skip

    def _together(self, row: RatingRow):
        """The item and every open 👎 with the same question about the same answer (duplicates)."""
        same = (
            (RatingRow.about_code == row.about_code)
            & (RatingRow.question == row.question)
            & (RatingRow.helpful.is_(False))
            & (RatingRow.status == "open")
        )
        return (RatingRow.id == row.id) | same

    def handle(self, item_id: int, *, note: str, by: str, linked_code: str | None = None) -> int:
        """已处理（说明）: the 差评 and its duplicates are closed with the editor's note; how many."""
        with self._sessions.begin() as s:
            row = s.get(RatingRow, item_id)
            if row is None:
                raise MissingEntryError(f"没有编号为 {item_id} 的{self.label}")
            result = s.execute(
                update(RatingRow)
                .where(self._together(row))
                .values(
                    status="linked" if linked_code else "dismissed",
                    linked_code=linked_code,
                    note=mask_pii(note.strip())[:1000],
                    handled_by=by,
                )
            )
            return int(result.rowcount or 0)

    def grouped(self, *, limit: int = 200) -> list[tuple[Rating, list[Rating]]]:
        """Open 👎, duplicates (same question about the same answer) together: (newest, all, newest first)."""
        groups: dict[tuple, list[Rating]] = {}
        for r in self.items(helpful=False, status="open", limit=limit):
            groups.setdefault(((r.about or {}).get("code"), r.question), []).append(r)
        return [(items[0], items) for items in groups.values()]

    def record(
        self,
        *,
        helpful: bool,
        answer: str,
        question: str = "",
        reason: str = "",
        about: dict | None = None,
        source: str = "web",
        sender: str | None = None,
    ) -> int:
        about = about or {}
        with self._sessions.begin() as s:
            row = RatingRow(
                at=datetime.now(UTC),
                helpful=helpful,
                reason=mask_pii(clean_text(reason).strip())[:500],
                question=mask_pii(clean_text(question).strip())[:500],
                answer=mask_pii(clean_text(answer))[:4000],
                about_kind=about.get("kind"),
                about_code=about.get("code"),
                about_name=about.get("name"),
                source=source,
                conversation=self.conversation_of(sender),
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
