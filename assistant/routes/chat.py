"""The channel-neutral chat API: the web page and WeChat render the same replies."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.deps import MetricsDep, RelayDep
from assistant.fields import CleanStr
from assistant.logs import get_logger
from assistant.observability import REQUEST_ID, Timer
from assistant.schemas import ChatOut

router = APIRouter(prefix="/api", tags=["chat"])
log = get_logger(__name__)


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=100, description="opaque id of the conversation")
    text: CleanStr = Field(
        min_length=1, max_length=1000, description="what the citizen typed, or a button payload"
    )
    shown: CleanStr | None = Field(
        default=None, max_length=200, description="a button's title, for the transcript staff see"
    )


@router.post("/chat", response_model=ChatOut)
async def chat(body: ChatIn, relay: RelayDep, metrics: MetricsDep) -> dict:
    """One turn: the citizen's words (or a button's payload) in, replies out.

    ``mode`` says who answered: ``rasa`` (the dialogue server), ``retrieval`` (the app alone,
    while the dialogue server is unavailable or too slow for this turn), ``safety``
    (an emergency, answered before anything else), ``unavailable``, or ``human`` while a staff
    member holds the conversation (the bot stays quiet: ``messages`` may be empty).
    Async: no thread is held while Rasa works (its call back to /webhook needs them).
    """
    timer = Timer()
    mode, replies = await relay.turn(body.sender, body.text, body.shown, REQUEST_ID.get() or None)
    metrics.turns.labels(mode=mode).inc()
    metrics.turn_seconds.labels(mode=mode).observe(timer.seconds)
    log.info("chat turn", mode=mode, replies=len(replies), ms=round(timer.seconds * 1000))
    return {"mode": mode, "messages": [r.as_dict() for r in replies]}
