"""What editors work through: rows that are open until linked to a guide or dismissed.

The unanswered-question log and the 差评 log are both such queues; this is the part they share.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Engine, func, select, update

from foundation.db import session_factory
from knowledge.store.errors import MissingEntryError
from nlu.pii import pseudonym


class ReviewQueue:
    row: ClassVar[Any]  # the table class: has id, status, linked_code
    label: ClassVar[str]  # for messages: 未答问题, 评价…

    def __init__(self, engine: Engine, key: bytes = b"") -> None:
        self._sessions = session_factory(engine)
        self._key = key  # for the conversation's pseudonym (the question log's, same key)

    def conversation_of(self, sender: str | None) -> str | None:
        """The pseudonym the question log files this sender's turns under (never the sender)."""
        return pseudonym(sender, self._key) if sender and self._key else None

    def _item(self, row: Any) -> Any:
        raise NotImplementedError

    def _together(self, row: Any):
        """Which rows one decision resolves: the item itself (a queue may widen it)."""
        return self.row.id == row.id

    def _filtered(self, stmt, status: str | None):
        return stmt.where(self.row.status == status) if status else stmt

    def get(self, item_id: int) -> Any:
        with self._sessions() as s:
            r = s.get(self.row, item_id)
            if r is None:
                raise MissingEntryError(f"没有编号为 {item_id} 的{self.label}")
            return self._item(r)

    def count(self, status: str | None = "open") -> int:
        with self._sessions() as s:
            return int(s.scalar(self._filtered(select(func.count(self.row.id)), status)) or 0)

    def resolve(self, item_id: int, *, linked_code: str | None = None, also=()) -> None:
        """Mark an item linked to a guide (``linked_code``) or dismissed (no code); ``also``: other
        items the editor decided on together (questions of the same meaning)."""
        with self._sessions.begin() as s:
            row = s.get(self.row, item_id)
            if row is None:
                raise MissingEntryError(f"没有编号为 {item_id} 的{self.label}")
            together = self._together(row)
            for other in s.scalars(select(self.row).where(self.row.id.in_(list(also)), self.row.status == "open")):
                together = together | self._together(other)
            s.execute(
                update(self.row)
                .where(together)
                .values(status="linked" if linked_code else "dismissed", linked_code=linked_code)
            )
