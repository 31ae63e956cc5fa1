"""转人工 over HTTP: the citizen's page hears staff replies (SSE, or polling as the fallback), and
staff work the inbox (take, reply, hand back) on the staff page."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.deps import RelayDep, StaffSession, require
from assistant.human.relay import HumanRelay

citizen = APIRouter(prefix="/api/chat", tags=["chat"])
staff = APIRouter(prefix="/api/staff/inbox", tags=["staff"], dependencies=[Depends(require("staff"))])
STREAM_SECONDS = 25.0  # then the browser's EventSource reconnects (with Last-Event-ID)
STREAM_POLL = 1.0


def _web_sender(sender: str) -> str:
    # only the web page's own random ids: a WeChat conversation is never readable over HTTP
    if not sender.startswith("web:") or len(sender) < 12:
        raise HTTPException(status_code=422, detail="会话编号不正确，请刷新页面后重试")
    return sender


def _state(relay: HumanRelay, sender: str, after: int) -> dict:
    relay.expire()
    lines = relay.inbox.updates(sender, after)
    chat = relay.inbox.latest(sender)
    state = None
    if chat is not None:
        state = {"id": chat.id, "status": chat.status, "outcome": chat.outcome, "taken_by": chat.taken_by}
        if chat.status == "waiting":
            state["position"] = relay.inbox.position(chat)
    return {"lines": [line.as_dict() for line in lines], "chat": state}


class LineOut(BaseModel):
    id: int
    at: str
    who: Literal["citizen", "bot", "staff", "notice"]
    text: str = Field(description="PII masked")
    buttons: list[dict] = []


class UpdatesOut(BaseModel):
    lines: list[LineOut] = Field(description="staff replies and notices after ``after``")
    chat: dict | None = Field(description="the latest hand-off: id, status, outcome, taken_by, position")


@citizen.get("/updates", response_model=UpdatesOut)
def updates(
    relay: RelayDep,
    sender: str = Query(min_length=1, max_length=100),
    after: int = Query(default=0, ge=0, description="the last line id the page has"),
) -> dict:
    """Polling: what staff said and the notices since ``after``, and the hand-off's state."""
    return _state(relay, _web_sender(sender), after)


def _event_id(value: str | None) -> int:
    """A Last-Event-ID the browser echoes back; anything else (even "²", which isdigit() accepts) is 0."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


@citizen.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                     "description": "server-sent events: `line` and `chat`"}},
)
async def stream(
    request: Request,
    relay: RelayDep,
    sender: str = Query(min_length=1, max_length=100),
    after: int = Query(default=0, ge=0),
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    """Server-sent events: ``line`` events (staff replies, notices) and ``chat`` (state changes).
    Each connection lasts ~25 s; the browser reconnects on its own and resumes by Last-Event-ID."""
    sender = _web_sender(sender)
    cursor = max(after, _event_id(last_event_id))

    async def events():
        nonlocal cursor
        yield "retry: 1500\n\n"
        seen_state, started, beat = None, time.monotonic(), time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            if await request.is_disconnected():
                return
            state = await run_in_threadpool(_state, relay, sender, cursor)
            for line in state["lines"]:
                cursor = line["id"]
                yield f"id: {cursor}\nevent: line\ndata: {json.dumps(line, ensure_ascii=False)}\n\n"
            if state["chat"] != seen_state:
                seen_state = state["chat"]
                yield f"event: chat\ndata: {json.dumps(seen_state, ensure_ascii=False)}\n\n"
            if time.monotonic() - beat > 10:
                beat = time.monotonic()
                yield ": still here\n\n"
            await asyncio.sleep(STREAM_POLL)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


# -- staff -------------------------------------------------------------------------------------
class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="what the staff member says to the citizen")


class HumanChatOut(BaseModel):
    id: int
    channel: str = Field(description="web | wechat")
    reason: Literal["asked", "misses"] = Field(description="asked: 转人工; misses: two answers that did not help")
    status: Literal["waiting", "taken", "closed"]
    outcome: str | None = Field(default=None, description="handed_back | timed_out | cancelled | after_hours")
    opened_at: str
    deadline: str
    taken_by: str | None = None
    waited_seconds: int


class QueuedChatOut(HumanChatOut):
    transcript: list[LineOut] = Field(description="what was said so far, PII masked")
    bot_answered: list[str] = Field(description="the bot's last answers")
    mine: bool = False


class InboxOut(BaseModel):
    chats: list[QueuedChatOut]
    hours: str = Field(description="staffed hours, e.g. 工作日 09:00–17:30")
    open_now: bool


class FiguresOut(BaseModel):
    since: str
    requests: int
    waiting: int
    taken: int
    handed_back: int
    timed_out: int
    cancelled: int
    after_hours: int
    answered_by_staff: int
    median_wait_seconds: int | None
    longest_wait_seconds: int | None
    timed_out_share: float | None


def _chat_out(relay: HumanRelay, chat, now: datetime, me: str = "") -> dict:
    lines = relay.inbox.transcript(chat.id)
    return {
        **chat.as_dict(now),
        "transcript": [line.as_dict() for line in lines],
        "bot_answered": [line.text for line in lines if line.who == "bot"][-3:],
        "mine": bool(me) and chat.taken_by == me,
    }


@staff.get("", response_model=InboxOut)
def inbox(relay: RelayDep, session: StaffSession) -> dict:
    """Open hand-offs, the longest waiting first: waiting time, the transcript so far (PII masked)
    and what the bot already answered. ``mine``: the ones this staff member holds."""
    now = datetime.now(UTC)
    relay.expire()
    chats = [_chat_out(relay, c, now, session.user.username) for c in relay.inbox.queue()]
    return {"chats": chats, "hours": relay.hours.describe(), "open_now": relay.hours.is_open()}


@staff.get("/figures", response_model=FiguresOut)
def figures(relay: RelayDep, days: int = Query(default=7, ge=1, le=366)) -> dict:
    """Queue figures for the statistics: waiting, taken, timed out, handed back, after hours."""
    return relay.inbox.figures(datetime.now(UTC) - timedelta(days=days))


@staff.post("/{chat_id}/take", response_model=QueuedChatOut)
def take(chat_id: int, relay: RelayDep, session: StaffSession) -> dict:
    """Take a waiting conversation (409 when someone else already has it)."""
    chat = relay.take(chat_id, session.user.username)
    return _chat_out(relay, chat, datetime.now(UTC), session.user.username)


@staff.post("/{chat_id}/reply", response_model=QueuedChatOut)
def reply(chat_id: int, body: ReplyIn, relay: RelayDep, session: StaffSession) -> dict:
    """Say something to the citizen: the web page hears it, WeChat gets a 客服消息 (503 when WeChat
    refuses it, 409 past WeChat's 48 hours or when the conversation is not this member's)."""
    relay.reply(chat_id, session.user.username, body.text.strip())
    return _chat_out(relay, relay.inbox.get(chat_id), datetime.now(UTC), session.user.username)


@staff.post("/{chat_id}/hand-back", response_model=HumanChatOut)
def hand_back(chat_id: int, relay: RelayDep, session: StaffSession) -> dict:
    """End the person's part: the bot answers this citizen again."""
    return relay.hand_back(chat_id, session.user.username).as_dict()
