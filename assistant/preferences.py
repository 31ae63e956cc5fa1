"""Reading preferences a channel cannot keep on the citizen's device: 长辈版 in WeChat.

The web page remembers its 长辈版 switch in the browser; a 公众号 has nowhere to keep it but the
server. A row holds only the conversation's pseudonym (``nlu.pii.pseudonym`` of the sender id
"wechat:<OpenID>", keyed by the service's secret, as in the question log) and the switch: no
OpenID, no words, nothing else about the citizen. Switching back to 标准版 (or unsubscribing)
deletes the row. In the shared database, so every worker reads the same switch.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Engine, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base, session_factory
from nlu.pii import pseudonym


class ReadingPreferenceRow(Base):
    __tablename__ = "reading_preferences"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # the sender's pseudonym
    elder: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReadingPreferences:
    def __init__(self, engine: Engine, key: bytes) -> None:
        self._sessions = session_factory(engine)
        self._pseudonym_key = key

    def _key(self, sender: str) -> str:
        return pseudonym(sender, self._pseudonym_key)

    def elder(self, sender: str) -> bool:
        with self._sessions() as s:
            return bool(
                s.scalar(select(ReadingPreferenceRow.elder).where(ReadingPreferenceRow.key == self._key(sender)))
            )

    def set_elder(self, sender: str, on: bool) -> None:
        try:
            self._set(sender, on)
        except IntegrityError:  # the same citizen's other message inserted the row first: it is on
            if not on:
                self._set(sender, on)

    def _set(self, sender: str, on: bool) -> None:
        with self._sessions.begin() as s:
            row = s.get(ReadingPreferenceRow, self._key(sender))
            if not on:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                s.add(ReadingPreferenceRow(key=self._key(sender), elder=True, updated_at=datetime.now(UTC)))
            else:
                row.elder, row.updated_at = True, datetime.now(UTC)

    def forget(self, sender: str) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(ReadingPreferenceRow).where(ReadingPreferenceRow.key == self._key(sender)))
