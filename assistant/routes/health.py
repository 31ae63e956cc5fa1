from __future__ import annotations

from fastapi import APIRouter, Request

from assistant import __version__
from assistant.deps import StoreDep

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(store: StoreDep, request: Request) -> dict:
    """Liveness and what the service holds."""
    retriever = getattr(request.app.state, "retriever", None)
    return {
        "status": "ok",
        "version": __version__,
        "guides": store.count("guide", status="published"),
        "bundles": store.count("bundle", status="published"),
        "search": {"model": retriever.embedder.name, **retriever.size} if retriever else None,
        "unanswered_open": request.app.state.unanswered.count(),
        "bad_ratings_open": request.app.state.ratings.count(),
    }
