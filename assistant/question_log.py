"""The question log: every citizen turn the assistant answered, for the 统计 tab and the queues.

``Conversation.turn`` (the one entry of the web page, WeChat and the terminal, in Rasa mode and in
the app's own) records one row per turn: when (UTC, and the day in the city's time zone), the
channel, who answered (``mode``), what was decided (answer, clarify, none, emergency, form,
handoff, other), the guide or bundle answered (or the emergency's kind), the citizen's words and
the start of the answer — both with 身份证号/手机号/银行卡号/names masked (``nlu.pii``).
The conversation is a keyed pseudonym of the sender (``nlu.pii.pseudonym``), never the sender
itself (a WeChat openid identifies a person): the unanswered and 差评 queues show the turns around
an item by it. Rows older than ``question_log_days`` are deleted by the background loop. Turns
a staff member answers while holding a 转人工 are in the inbox's transcript, not here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, DateTime, Engine, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.replies import Reply
from foundation.db import Base, session_factory
from nlu.normalize import clean_text, normalize
from nlu.pii import mask_pii, pseudonym

DECISIONS = {
    "answer": "回答",
    "clarify": "追问（您是不是想问）",
    "none": "未匹配",
    "emergency": "紧急情况",
    "form": "预约/反映表单",
    "handoff": "转人工",
    "other": "其他（寒暄、说明等）",
}
CHANNELS = {"web": "网页", "wechat": "微信", "cli": "终端", "api": "其他接口"}
# Rasa's actions that run only inside a booking, cancel, query or complaint form (action_prepare_*
# runs before one and may answer a question instead, so it does not count)
FORM_ACTION = re.compile(r"^(?:validate_|action_ask_|action_submit_|action_stop_form$|action_cancel_|action_query_)")


class QuestionRow(Base):
    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # in the city's time zone: the charts' days
    conversation: Mapped[str] = mapped_column(String(32), index=True)  # pseudonym of the sender
    channel: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(12))  # rasa | retrieval | safety | unavailable
    decision: Mapped[str] = mapped_column(String(10), index=True)
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    typed: Mapped[bool] = mapped_column(Boolean)  # words, not a button's payload
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)  # the same question asked twice: one row of "top"
    reply: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Asked:
    """One logged turn as editors see it (masked)."""

    id: int
    at: datetime
    channel: str
    mode: str
    decision: str
    code: str | None
    text: str
    reply: str

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "channel": self.channel,
            "mode": self.mode,
            "decision": self.decision,
            "code": self.code,
            "text": self.text,
            "reply": self.reply,
        }


def pseudonym_key(secret_key: str) -> bytes:
    """The key of the conversations' pseudonyms, derived from the service's secret key."""
    return hmac.new(secret_key.encode(), b"conversation-pseudonym", hashlib.sha256).digest()


def channel_of(sender: str) -> str:
    """web:…, wechat:…, cli:… (the terminal); anything else came through the API some other way."""
    prefix = sender.split(":", 1)[0] if ":" in sender else "web"
    return prefix if prefix in CHANNELS else "api"


def decision_of(mode: str, replies: list[Reply], *, form: bool = False) -> tuple[str, str | None]:
    """What the assistant did with a turn, read from its replies: (decision, code of the entry).

    ``form``: a booking or complaint form took part in the turn (Rasa called a form's action, or
    the app's own conversation had a form open before or after it)."""
    if mode == "safety":
        return "emergency", None
    if any(r.handoff for r in replies):
        return "handoff", None
    if form or any(r.receipt for r in replies):
        return "form", None
    if any(r.miss for r in replies):
        return "none", None
    if any(b.payload.startswith("/choose") for r in replies for b in r.buttons):
        return "clarify", None
    about = next((r.about for r in replies if r.about), None)
    if about:
        return "answer", str(about.get("code") or "") or None
    return "other", None


def reply_start(replies: list[Reply], chars: int = 160) -> str:
    """The start of the answer on one line ("【居民身份证补领】需要带的材料： · 居民户口簿…")."""
    text = next((r.text for r in replies if r.text.strip()), "")
    return " ".join(text.split())[:chars]


def aware(at: datetime) -> datetime:
    """SQLite gives stored times back without their zone: they are UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _asked(r: QuestionRow) -> Asked:
    return Asked(r.id, aware(r.at), r.channel, r.mode, r.decision, r.code, r.text, r.reply)


class QuestionLog:
    def __init__(self, engine: Engine, key: bytes, zone: ZoneInfo, retention_days: int = 90) -> None:
        self._sessions = session_factory(engine)
        self.key, self.zone, self.retention_days = key, zone, retention_days

    def conversation_of(self, sender: str) -> str:
        return pseudonym(sender, self.key)

    # -- writing ---------------------------------------------------------------------------
    def record(
        self,
        sender: str,
        text: str,
        *,
        mode: str,
        decision: str,
        code: str | None = None,
        reply: str = "",
        shown: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """One turn; ``shown`` is a button's title (what the citizen saw) when ``text`` is its payload."""
        at = at or datetime.now(UTC)
        typed = not text.lstrip().startswith("/")
        said = mask_pii(clean_text(shown or text))[:1000]
        with self._sessions.begin() as s:
            row = QuestionRow(
                at=at, day=at.astimezone(self.zone).date(), conversation=self.conversation_of(sender),
                channel=channel_of(sender), mode=mode, decision=decision, code=code, typed=typed, text=said,
                normalized=normalize(said).replace(" ", "")[:1000], reply=mask_pii(reply)[:200],
            )  # fmt: skip
            s.add(row)
            s.flush()
            return row.id

    def purge(self, now: datetime | None = None) -> int:
        """Forget the turns older than the retention; how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with self._sessions.begin() as s:
            return int(s.execute(delete(QuestionRow).where(QuestionRow.at < cutoff)).rowcount or 0)

    # -- reading ---------------------------------------------------------------------------
    def around(
        self, conversation: str | None, at: datetime, *, before: int = 3, after: int = 0,
        since: datetime | None = None,
    ) -> list[Asked]:  # fmt: skip
        """The conversation's turns just before ``at`` (not before ``since``) and ``after`` turns
        from ``at`` on, oldest first."""
        if not conversation:
            return []
        at = aware(at)
        mine = select(QuestionRow).where(QuestionRow.conversation == conversation)
        if since is not None:
            mine = mine.where(QuestionRow.at >= aware(since))
        with self._sessions() as s:
            earlier = list(
                s.scalars(
                    mine.where(QuestionRow.at < at)
                    .order_by(QuestionRow.at.desc(), QuestionRow.id.desc())
                    .limit(before)
                )
            )
            later = (
                list(
                    s.scalars(
                        mine.where(QuestionRow.at >= at).order_by(QuestionRow.at, QuestionRow.id).limit(after)
                    )
                )
                if after
                else []
            )
            return [_asked(r) for r in reversed(earlier)] + [_asked(r) for r in later]  # fmt: skip

    def rows(self, since: date, limit: int = 5000) -> list[Asked]:
        """Every turn since the day ``since`` (city time), newest first: the export's 问题记录."""
        stmt = (
            select(QuestionRow).where(QuestionRow.day >= since).order_by(QuestionRow.id.desc()).limit(limit)
        )
        with self._sessions() as s:
            return [_asked(r) for r in s.scalars(stmt)]

    def today(self) -> date:
        return datetime.now(UTC).astimezone(self.zone).date()

    def figures(self, since: date, *, top: int = 15) -> dict:
        """Questions per day and channel, decisions (all turns), the answer/clarify/none rates of the
        typed questions, the questions asked most, emergencies by kind and the latest ones."""
        q = QuestionRow
        window = q.day >= since
        with self._sessions() as s:
            per_day = s.execute(
                select(q.day, q.channel, func.count(q.id))
                .where(window)
                .group_by(q.day, q.channel)
                .order_by(q.day, q.channel)
            ).all()
            decisions = dict(
                s.execute(select(q.decision, func.count(q.id)).where(window).group_by(q.decision)).all()
            )
            typed = dict(
                s.execute(
                    select(q.decision, func.count(q.id)).where(window, q.typed.is_(True)).group_by(q.decision)
                ).all()
            )
            newest = func.max(q.id)
            asked = s.execute(
                select(newest, func.count(q.id)).where(window, q.typed.is_(True), q.decision != "emergency")
                .group_by(q.normalized).order_by(func.count(q.id).desc(), newest.desc()).limit(top)
            ).all()  # fmt: skip
            latest = (
                {r.id: r for r in s.scalars(select(q).where(q.id.in_([i for i, _ in asked])))}
                if asked
                else {}
            )
            kinds = s.execute(
                select(q.code, func.count(q.id)).where(window, q.decision == "emergency").group_by(q.code)
                .order_by(func.count(q.id).desc())
            ).all()  # fmt: skip
            recent = list(
                s.scalars(select(q).where(window, q.decision == "emergency").order_by(q.id.desc()).limit(10))
            )
        searched = sum(typed.get(d, 0) for d in ("answer", "clarify", "none"))
        return {
            "since": since.isoformat(),
            "total": sum(decisions.values()),
            "per_day": [{"day": d.isoformat(), "channel": c, "count": int(n)} for d, c, n in per_day],
            "decisions": {d: int(decisions.get(d, 0)) for d in DECISIONS},
            "typed": searched,
            "rates": {
                d: (round(typed.get(d, 0) / searched, 4) if searched else 0.0)
                for d in ("answer", "clarify", "none")
            },
            "top": [
                {
                    "text": latest[i].text,
                    "count": int(n),
                    "decision": latest[i].decision,
                    "code": latest[i].code,
                }
                for i, n in asked
            ],
            "emergencies": [{"kind": k or "", "count": int(n)} for k, n in kinds],
            "emergencies_recent": [_asked(r).as_dict() for r in recent],
        }
