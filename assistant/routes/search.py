"""Matching a citizen's (or a caller's) words to guides and bundles."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from assistant.logs import get_logger

router = APIRouter(prefix="/api", tags=["search"])
log = get_logger(__name__)


class SearchIn(BaseModel):
    q: str = Field(min_length=1, max_length=500, description="市民或来电人的原话")
    top_k: int = Field(default=3, ge=1, le=10)
    region: str | None = Field(default=None, max_length=20, description="区，如 东城区")
    source: Literal["web", "wechat", "staff", "api"] = "api"


class SearchHitOut(BaseModel):
    kind: Literal["guide", "bundle"]
    code: str
    name: str
    score: float


class SearchOut(BaseModel):
    decision: Literal["answer", "clarify", "none"]
    region: str | None
    results: list[SearchHitOut]


def get_retriever(request: Request):
    retriever = getattr(request.app.state, "retriever", None)
    if retriever is None:
        raise HTTPException(status_code=503, detail="检索服务正在准备中，请稍后再试，或拨打 12345 咨询。")
    return retriever


@router.post("/search", response_model=SearchOut)
def search(body: SearchIn, request: Request) -> SearchOut:
    """Find the guide or bundle that matches the words: answer, clarify (top 3) or none."""
    retriever = get_retriever(request)
    result = retriever.search(body.q, top_k=body.top_k, region=body.region)
    if result.decision == "none":
        request.app.state.unanswered.record_miss(result, source=body.source)
    log.info(
        "search",
        decision=result.decision,
        source=body.source,
        top=result.results[0].code if result.results else None,
    )
    return SearchOut(**result.as_dict())
