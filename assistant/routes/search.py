"""Matching a citizen's (or a caller's) words to guides and bundles."""

from __future__ import annotations

from typing import Literal

import anyio
from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.deps import RetrieverDep, SearchPoolDep, UnansweredDep
from assistant.fields import CleanStr
from assistant.logs import get_logger

router = APIRouter(prefix="/api", tags=["search"])
log = get_logger(__name__)


class SearchIn(BaseModel):
    q: CleanStr = Field(min_length=1, max_length=500, description="市民或来电人的原话")
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


@router.post("/search", response_model=SearchOut)
async def search(
    body: SearchIn, retriever: RetrieverDep, unanswered: UnansweredDep, pool: SearchPoolDep
) -> SearchOut:
    """Find the guide or bundle that matches the words: answer, clarify (top 3) or none.
    At most ``search_threads`` run at once; more wait their turn (the chat keeps its CPU)."""

    def run():
        found = retriever.search(body.q, top_k=body.top_k, region=body.region)
        if found.decision == "none":
            unanswered.record_miss(found, source=body.source)
        return found

    result = await anyio.to_thread.run_sync(run, limiter=pool)
    log.info(
        "search",
        decision=result.decision,
        source=body.source,
        top=result.results[0].code if result.results else None,
    )
    return SearchOut(**result.as_dict())
