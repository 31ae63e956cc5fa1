from __future__ import annotations

from fastapi import APIRouter

from assistant import __version__
from assistant.deps import OptionalRetrieverDep, RatingsDep, StoreDep, UnansweredDep

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(
    store: StoreDep, retriever: OptionalRetrieverDep, unanswered: UnansweredDep, ratings: RatingsDep
) -> dict:
    """Liveness and what the service holds."""
    return {
        "status": "ok",
        "version": __version__,
        "guides": store.count("guide", status="published"),
        "bundles": store.count("bundle", status="published"),
        "search": {"model": retriever.embedder.name, **retriever.size} if retriever else None,
        "unanswered_open": unanswered.count(),
        "bad_ratings_open": ratings.count(),
    }
