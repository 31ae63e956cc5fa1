"""Liveness and what the service holds, for operators and monitoring."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant import __version__
from assistant.deps import OptionalRetrieverDep, RatingsDep, ServicesDep, StoreDep, UnansweredDep
from assistant.services import SEARCH

router = APIRouter(tags=["operations"])


class SearchHealthOut(BaseModel):
    model: str
    entries: int
    texts: int
    guides: int
    bundles: int
    state: Literal["current", "catching up"] = Field(
        description="catching up: a publish or retire has not reached the index yet (retried)"
    )


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    guides: int
    bundles: int
    search: SearchHealthOut | None = Field(description="null while search is off")
    catching_up: dict[str, int] = Field(
        description="store listeners (search, bookable services) with publishes still to take"
    )
    unanswered_open: int
    bad_ratings_open: int


@router.get("/health", response_model=HealthOut)
def health(
    services: ServicesDep,
    store: StoreDep,
    retriever: OptionalRetrieverDep,
    unanswered: UnansweredDep,
    ratings: RatingsDep,
) -> HealthOut:
    """Liveness and what the service holds; the publish always stands, search may still be catching up."""
    behind = services.behind()
    search = None
    if retriever is not None:
        state = "catching up" if SEARCH in behind else "current"
        search = SearchHealthOut(model=retriever.embedder.name, **retriever.size, state=state)
    return HealthOut(
        status="ok",
        version=__version__,
        guides=store.count("guide", status="published"),
        bundles=store.count("bundle", status="published"),
        search=search,
        catching_up=behind,
        unanswered_open=unanswered.count(),
        bad_ratings_open=ratings.count(),
    )
