"""Tables of the content store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foundation.db import Base


class EntryRow(Base):
    """One guide or bundle; its content lives in versions."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12))
    latest_version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100))

    versions: Mapped[list[EntryVersionRow]] = relationship(
        back_populates="entry", order_by="EntryVersionRow.version", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_entries_kind_status", "kind", "status"),)


class EntryVersionRow(Base):
    """An immutable snapshot of an entry's content."""

    __tablename__ = "entry_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    entry: Mapped[EntryRow] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_entry_versions_entry_version"),)


class AuditRow(Base):
    """Who changed what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    def as_dict(self) -> dict:
        return {"at": self.at, "actor": self.actor, "action": self.action, "kind": self.kind,
                "code": self.code, "version": self.version, "detail": self.detail}  # fmt: skip


class UnansweredRow(Base):
    """A question no service matched, kept (PII masked) for editors to act on."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(50), nullable=True)
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    linked_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(32), nullable=True)  # pseudonym of the sender


class RatingRow(Base):
    """A citizen's 好差评 of one answer (question, answer and reason PII masked)."""

    __tablename__ = "answer_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    about_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    about_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    about_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    linked_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # how an editor handled it
    handled_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(32), nullable=True)  # pseudonym of the sender
