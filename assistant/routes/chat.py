"""The channel-neutral chat API: the web page and WeChat render the same replies."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.deps import ConversationDep
from assistant.logs import get_logger

router = APIRouter(prefix="/api", tags=["chat"])
log = get_logger(__name__)


class ChatIn(BaseModel):
    sender: str = Field(min_length=1, max_length=100, description="opaque id of the conversation")
    text: str = Field(
        min_length=1, max_length=1000, description="what the citizen typed, or a button payload"
    )


@router.post("/chat")
def chat(body: ChatIn, conversation: ConversationDep) -> dict:
    """One turn: the citizen's words (or a button's payload) in, replies out.

    ``mode`` says who answered: ``rasa`` (the dialogue server), ``retrieval`` (the app alone,
    while the dialogue server is unavailable) or ``unavailable``.
    """
    mode, replies = conversation.turn(body.sender, body.text)
    log.info("chat turn", mode=mode, replies=len(replies))
    return {"mode": mode, "messages": [r.as_dict() for r in replies]}
