"""The staff inbox: conversations handed to a person, in the database so that every worker (and a
restart) sees the same queue.

A chat is ``waiting`` until a staff member takes it (``taken``), then ``closed`` with an outcome:
``handed_back`` (to the bot), ``timed_out`` (nobody took it in time), ``cancelled`` (the citizen
withdrew) or ``after_hours`` (asked outside staffed hours: recorded for the figures, never queued).
Every change is one conditional UPDATE, so two staff members cannot take the same chat and a
timeout is announced once. All text is PII masked before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, select, update

from assistant.human.tables import HumanChatRow, HumanLineRow
from foundation.db import session_factory
from foundation.errors import ServiceError
from nlu.pii import mask_pii

ACTIVE = ("waiting", "taken")
OUTCOMES = ("handed_back", "timed_out", "cancelled", "after_hours")
LINE_RETENTION = timedelta(minutes=30)  # lines outside a hand-off are forgotten after this
TRANSCRIPT_LINES = 20


def utc(at: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


class InboxError(ServiceError):
    """A refused inbox action; the message is safe to show to staff."""

    kind = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message, message)


class ChatNotFound(InboxError):
    kind = "not_found"


class DeliveryFailed(InboxError):
    """WeChat did not take the 客服消息 (or no API is configured)."""

    kind = "unavailable"


@dataclass(frozen=True)
class Line:
    id: int
    at: datetime
    who: str  # citizen | bot | staff | notice
    text: str
    buttons: list[dict]
    miss: bool = False

    def as_dict(self) -> dict:
        return {"id": self.id, "at": self.at.isoformat(), "who": self.who, "text": self.text, "buttons": self.buttons}


@dataclass(frozen=True)
class HumanChat:
    id: int
    sender: str
    channel: str
    reason: str
    status: str
    outcome: str | None
    opened_at: datetime
    deadline: datetime
    taken_by: str | None
    taken_at: datetime | None
    closed_at: datetime | None

    def waited(self, now: datetime | None = None) -> int:
        """Seconds the citizen waited (so far, or until taken/closed)."""
        end = self.taken_at or self.closed_at or (now or now_utc())
        return max(0, int((end - self.opened_at).total_seconds()))

    def as_dict(self, now: datetime | None = None) -> dict:
        return {
            "id": self.id,
            "channel": self.channel,
            "reason": self.reason,
            "status": self.status,
            "outcome": self.outcome,
            "opened_at": self.opened_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "taken_by": self.taken_by,
            "waited_seconds": self.waited(now),
        }


def _chat(r: HumanChatRow) -> HumanChat:
    return HumanChat(
        r.id, r.sender, r.channel, r.reason, r.status, r.outcome, utc(r.opened_at), utc(r.deadline),
        r.taken_by, utc(r.taken_at), utc(r.closed_at),
    )  # fmt: skip


def _line(r: HumanLineRow) -> Line:
    return Line(r.id, utc(r.at), r.who, r.text, list(r.buttons or []), bool(r.miss))


class StaffInbox:
    def __init__(self, engine: Engine, retention: timedelta = LINE_RETENTION) -> None:
        self._sessions = session_factory(engine)
        self.retention = retention

    # -- the citizen's side ------------------------------------------------------------------
    def record(self, sender: str, who: str, text: str, *, chat_id: int | None = None,
               miss: bool = False, buttons: list[dict] | None = None) -> Line:  # fmt: skip
        with self._sessions.begin() as s:
            row = HumanLineRow(
                sender=sender, chat_id=chat_id, at=now_utc(), who=who, text=mask_pii(text)[:4000],
                miss=miss, buttons=buttons or [],
            )  # fmt: skip
            s.add(row)
            s.flush()
            return _line(row)

    def record_turn(
        self, sender: str, said: str, answers: list[tuple[str, bool]], chat_id: int | None = None
    ) -> None:
        """A bot turn: what the citizen said and each answer (text, did it fail to help);
        ``chat_id``: the hand-off it belongs to (the bot answers while the citizen waits)."""
        at = now_utc()
        with self._sessions.begin() as s:
            s.add(HumanLineRow(sender=sender, chat_id=chat_id, at=at, who="citizen", text=mask_pii(said)[:4000], buttons=[]))
            for text, miss in answers:
                s.add(HumanLineRow(
                    sender=sender, chat_id=chat_id, at=at, who="bot", text=mask_pii(text)[:4000], miss=miss, buttons=[],
                ))  # fmt: skip

    def purge(self) -> int:
        """Forget the lines that never became part of a hand-off, once older than the retention."""
        with self._sessions.begin() as s:
            cutoff = now_utc() - self.retention
            return s.execute(
                delete(HumanLineRow).where(HumanLineRow.chat_id.is_(None), HumanLineRow.at < cutoff)
            ).rowcount

    def misses_in_a_row(self, sender: str) -> int:
        """How many of the bot's latest turns in a row did not help (since the last hand-off)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(HumanLineRow)
                .where(HumanLineRow.sender == sender, HumanLineRow.at > now_utc() - self.retention)
                .order_by(HumanLineRow.id.desc())
                .limit(12)
            ).all()
        count = 0
        for row in rows:
            if row.chat_id is not None:
                break
            if row.who != "bot":
                continue
            if not row.miss:
                break
            count += 1
        return count

    def active(self, sender: str) -> HumanChat | None:
        with self._sessions() as s:
            row = s.scalars(
                select(HumanChatRow)
                .where(HumanChatRow.sender == sender, HumanChatRow.status.in_(ACTIVE))
                .order_by(HumanChatRow.id.desc())
                .limit(1)
            ).first()
            return _chat(row) if row else None

    def open(self, sender: str, reason: str, wait: timedelta, *, status: str = "waiting") -> HumanChat:
        """Queue the conversation (the one already active if any); the recent lines become its
        transcript. ``status="closed"`` records an ``after_hours`` request for the figures."""
        current = self.active(sender) if status == "waiting" else None
        if current:
            return current
        at = now_utc()
        with self._sessions.begin() as s:
            row = HumanChatRow(
                sender=sender, channel=sender.split(":", 1)[0] if ":" in sender else "web", reason=reason,
                status=status, outcome=None if status == "waiting" else "after_hours", opened_at=at,
                deadline=at + wait, closed_at=None if status == "waiting" else at,
            )  # fmt: skip
            s.add(row)
            s.flush()
            recent = s.scalars(
                select(HumanLineRow.id)
                .where(HumanLineRow.sender == sender, HumanLineRow.chat_id.is_(None), HumanLineRow.at > at - self.retention)
                .order_by(HumanLineRow.id.desc())
                .limit(TRANSCRIPT_LINES)
            ).all()
            if recent:
                s.execute(update(HumanLineRow).where(HumanLineRow.id.in_(recent)).values(chat_id=row.id))
            return _chat(row)

    def cancel(self, sender: str) -> HumanChat | None:
        chat = self.active(sender)
        if chat is None:
            return None
        return self._close(chat.id, "cancelled", expect=ACTIVE)

    def updates(self, sender: str, after: int = 0) -> list[Line]:
        """What staff said and the notices for this sender since line ``after``."""
        with self._sessions() as s:
            rows = s.scalars(
                select(HumanLineRow)
                .where(HumanLineRow.sender == sender, HumanLineRow.id > after, HumanLineRow.who.in_(("staff", "notice")))
                .order_by(HumanLineRow.id)
                .limit(50)
            ).all()
            return [_line(r) for r in rows]

    def latest(self, sender: str) -> HumanChat | None:
        """The sender's most recent hand-off, open or closed."""
        with self._sessions() as s:
            row = s.scalars(
                select(HumanChatRow).where(HumanChatRow.sender == sender).order_by(HumanChatRow.id.desc()).limit(1)
            ).first()
            return _chat(row) if row else None

    # -- the staff's side --------------------------------------------------------------------
    def get(self, chat_id: int) -> HumanChat:
        with self._sessions() as s:
            row = s.get(HumanChatRow, chat_id)
            if row is None:
                raise ChatNotFound(f"没有编号为 {chat_id} 的转人工会话")
            return _chat(row)

    def queue(self) -> list[HumanChat]:
        """Open chats, the longest waiting first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(HumanChatRow).where(HumanChatRow.status.in_(ACTIVE)).order_by(HumanChatRow.opened_at)
            ).all()
            return [_chat(r) for r in rows]

    def position(self, chat: HumanChat) -> int:
        """1 for the chat waiting longest."""
        with self._sessions() as s:
            ahead = s.scalar(
                select(func.count()).select_from(HumanChatRow).where(
                    HumanChatRow.status == "waiting", HumanChatRow.id < chat.id
                )
            )
        return int(ahead or 0) + 1

    def transcript(self, chat_id: int) -> list[Line]:
        with self._sessions() as s:
            rows = s.scalars(
                select(HumanLineRow).where(HumanLineRow.chat_id == chat_id).order_by(HumanLineRow.id)
            ).all()
            return [_line(r) for r in rows]

    def last_citizen_at(self, chat: HumanChat) -> datetime:
        with self._sessions() as s:
            at = s.scalar(
                select(func.max(HumanLineRow.at)).where(
                    HumanLineRow.sender == chat.sender, HumanLineRow.who == "citizen"
                )
            )
        return utc(at) or chat.opened_at

    def take(self, chat_id: int, staff: str) -> HumanChat:
        with self._sessions.begin() as s:
            done = s.execute(
                update(HumanChatRow)
                .where(HumanChatRow.id == chat_id, HumanChatRow.status == "waiting")
                .values(status="taken", taken_by=staff, taken_at=now_utc())
            ).rowcount
        chat = self.get(chat_id)
        if not done and not (chat.status == "taken" and chat.taken_by == staff):
            who = f"已由 {chat.taken_by} 接手" if chat.status == "taken" else "已经结束"
            raise InboxError(f"这个会话{who}，无法再接手")
        return chat

    def held_by(self, chat_id: int, staff: str) -> HumanChat:
        chat = self.get(chat_id)
        if chat.status != "taken" or chat.taken_by != staff:
            raise InboxError("只有接手这个会话的工作人员才能回复或交回，请先接手")
        return chat

    def hand_back(self, chat_id: int, staff: str) -> HumanChat:
        self.held_by(chat_id, staff)
        return self._close(chat_id, "handed_back", expect=("taken",))

    def expire(self) -> list[HumanChat]:
        """Close the chats nobody took before their deadline; each is returned once, to the one
        caller (of any worker) whose UPDATE closed it."""
        at = now_utc()
        with self._sessions() as s:
            overdue = s.scalars(
                select(HumanChatRow.id).where(HumanChatRow.status == "waiting", HumanChatRow.deadline < at)
            ).all()
        closed = []
        for chat_id in overdue:
            try:
                closed.append(self._close(chat_id, "timed_out", expect=("waiting",)))
            except InboxError:
                continue  # another worker (or a staff member) got there first
        return closed

    def _close(self, chat_id: int, outcome: str, expect: tuple[str, ...]) -> HumanChat:
        with self._sessions.begin() as s:
            done = s.execute(
                update(HumanChatRow)
                .where(HumanChatRow.id == chat_id, HumanChatRow.status.in_(expect))
                .values(status="closed", outcome=outcome, closed_at=now_utc())
            ).rowcount
        if not done:
            raise InboxError("这个会话的状态已经变了，请刷新")
        return self.get(chat_id)

    # -- statistics --------------------------------------------------------------------------
    def figures(self, since: datetime | None = None) -> dict:
        """Queue figures: open now, and since ``since`` how requests ended and how long people waited."""
        since = since or now_utc() - timedelta(days=7)
        with self._sessions() as s:
            rows = s.scalars(select(HumanChatRow).where(HumanChatRow.opened_at >= since)).all()
            chats = [_chat(r) for r in rows]
        counts = {key: 0 for key in ("waiting", "taken", *OUTCOMES)}
        for c in chats:
            counts[c.status if c.status != "closed" else c.outcome or "cancelled"] += 1
        waits = sorted(c.waited() for c in chats if c.taken_at)
        queued = [c for c in chats if c.outcome != "after_hours"]
        return {
            "since": since.isoformat(),
            "requests": len(chats),
            **counts,
            "answered_by_staff": len(waits),
            "median_wait_seconds": waits[len(waits) // 2] if waits else None,
            "longest_wait_seconds": waits[-1] if waits else None,
            "timed_out_share": round(counts["timed_out"] / len(queued), 3) if queued else None,
        }
