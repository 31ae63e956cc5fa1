"""好差评 from citizens: 👍/👎 on one answer, with an optional reason."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.deps import RatingsDep, StoreDep
from assistant.fields import CleanStr
from assistant.logs import get_logger
from assistant.schemas import RatedOut
from knowledge.store import MissingEntryError

router = APIRouter(prefix="/api", tags=["chat"])
log = get_logger(__name__)


class AboutIn(BaseModel):
    kind: Literal["guide", "bundle"]
    code: str = Field(min_length=1, max_length=64)


class RatingIn(BaseModel):
    helpful: bool = Field(description="👍 true, 👎 false")
    answer: CleanStr = Field(min_length=1, max_length=4000, description="the answer being rated")
    question: CleanStr = Field(default="", max_length=500, description="what the citizen asked before it")
    reason: CleanStr = Field(default="", max_length=500, description="why (optional)")
    about: AboutIn | None = Field(default=None, description="the guide or bundle the answer was about")
    source: Literal["web", "wechat"] = "web"
    sender: str | None = Field(
        default=None, max_length=100,
        description="the conversation's id, as sent to /api/chat: editors then see the turns around the rated answer",
    )  # fmt: skip


@router.post("/ratings", status_code=201, response_model=RatedOut)
def rate(body: RatingIn, store: StoreDep, ratings: RatingsDep) -> dict:
    """Store a rating; 👎 go to the editors' queue."""
    about = None
    if body.about is not None:
        try:  # only what the store knows: the name comes from it, not from the page
            stored = store.get(body.about.code)
            about = {"kind": stored.kind, "code": stored.code, "name": stored.content.name}
        except MissingEntryError:
            about = None
    rating_id = ratings.record(
        helpful=body.helpful,
        answer=body.answer,
        question=body.question,
        reason=body.reason,
        about=about,
        source=body.source,
        sender=body.sender,
    )
    log.info("rating", helpful=body.helpful, about=about["code"] if about else None)
    return {"id": rating_id, "message": "谢谢您的评价！" if body.helpful else "谢谢反馈，我们会改进这条答复。"}
