"""The tables of the human hand-off: one row per conversation handed to staff, one per line said.

Lines are kept (PII masked) for every web and WeChat conversation for a short while, so the staff
member who takes one sees what was said before; lines outside a hand-off are purged after
``LINE_RETENTION``. Both tables live in the shared database, so several workers see the same queue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base


class HumanChatRow(Base):
    """A conversation handed to a person: waiting → taken → closed (handed back, timed out, …)."""

    __tablename__ = "human_chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(100), index=True)  # "web:<random>" | "wechat:<openid>"
    channel: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(20))  # asked | misses
    status: Mapped[str] = mapped_column(String(10), index=True)  # waiting | taken | closed
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HumanLineRow(Base):
    """One line of a conversation: the citizen's, the bot's, a staff member's or a notice."""

    __tablename__ = "human_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(100), index=True)
    chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("human_chats.id", ondelete="CASCADE"), nullable=True, index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    who: Mapped[str] = mapped_column(String(10))  # citizen | bot | staff | notice
    text: Mapped[str] = mapped_column(Text)
    miss: Mapped[bool] = mapped_column(Boolean, default=False)  # a bot answer that did not help
    buttons: Mapped[list] = mapped_column(JSON, default=list)  # [{title, payload}] of a notice
