"""The channel-neutral chat API: the web page and WeChat render the same replies."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from assistant.logs import get_logger

router = APIRouter(prefix="/api", tags=["chat"])
log = get_logger(__name__)


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=100, description="opaque id of the conversation")
    text: str = Field(
        min_length=1, max_length=1000, description="what the citizen typed, or a button payload"
    )


@router.post("/chat")
def chat(body: ChatIn, request: Request) -> dict:
    """One turn: the citizen's words (or a button's payload) in, replies out."""
    dialogue = getattr(request.app.state, "dialogue", None)
    if dialogue is None:
        from assistant.replies import unavailable

        return {"mode": "unavailable", "messages": [unavailable("在线咨询").as_dict()]}
    replies = dialogue.respond(body.sender, body.text)
    log.info("chat turn", replies=len(replies))
    return {"mode": "retrieval", "messages": [r.as_dict() for r in replies]}
