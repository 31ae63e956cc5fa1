"""转人工 over HTTP: the citizen's page hears staff replies (SSE, or polling as the fallback), and
staff work the inbox (take, reply, hand back) on the staff page."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.deps import RelayDep, StaffSession, require
from assistant.human.inbox import InboxError
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


@citizen.get("/updates")
def updates(
    relay: RelayDep,
    sender: str = Query(min_length=1, max_length=100),
    after: int = Query(default=0, ge=0, description="the last line id the page has"),
) -> dict:
    """Polling: what staff said and the notices since ``after``, and the hand-off's state."""
    return _state(relay, _web_sender(sender), after)


@citizen.get("/stream")
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
    cursor = max(after, int(last_event_id) if (last_event_id or "").isdigit() else 0)

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


def _refused(exc: InboxError) -> HTTPException:
    return HTTPException(status_code=exc.status, detail=str(exc))


def _chat_out(relay: HumanRelay, chat, now: datetime) -> dict:
    lines = relay.inbox.transcript(chat.id)
    return {
        **chat.as_dict(now),
        "transcript": [line.as_dict() for line in lines],
        "bot_answered": [line.text for line in lines if line.who == "bot"][-3:],
    }


@staff.get("")
def inbox(relay: RelayDep, session: StaffSession) -> dict:
    """Open hand-offs, the longest waiting first: waiting time, the transcript so far (PII masked)
    and what the bot already answered. ``mine``: the ones this staff member holds."""
    now = datetime.now(UTC)
    relay.expire()
    chats = [_chat_out(relay, c, now) for c in relay.inbox.queue()]
    for chat in chats:
        chat["mine"] = chat["taken_by"] == session.user.username
    return {"chats": chats, "hours": relay.hours.describe(), "open_now": relay.hours.is_open()}


@staff.get("/figures")
def figures(relay: RelayDep, days: int = Query(default=7, ge=1, le=366)) -> dict:
    """Queue figures for the statistics: waiting, taken, timed out, handed back, after hours."""
    return relay.inbox.figures(datetime.now(UTC) - timedelta(days=days))


@staff.post("/{chat_id}/take")
def take(chat_id: int, relay: RelayDep, session: StaffSession) -> dict:
    try:
        chat = relay.take(chat_id, session.user.username)
    except InboxError as exc:
        raise _refused(exc) from None
    return _chat_out(relay, chat, datetime.now(UTC))


@staff.post("/{chat_id}/reply")
def reply(chat_id: int, body: ReplyIn, relay: RelayDep, session: StaffSession) -> dict:
    try:
        relay.reply(chat_id, session.user.username, body.text.strip())
    except InboxError as exc:
        raise _refused(exc) from None
    return _chat_out(relay, relay.inbox.get(chat_id), datetime.now(UTC))


@staff.post("/{chat_id}/hand-back")
def hand_back(chat_id: int, relay: RelayDep, session: StaffSession) -> dict:
    """End the person's part: the bot answers this citizen again."""
    try:
        chat = relay.hand_back(chat_id, session.user.username)
    except InboxError as exc:
        raise _refused(exc) from None
    return chat.as_dict()
