from __future__ import annotations

from fastapi import APIRouter

from assistant import __version__
from assistant.deps import StoreDep

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(store: StoreDep) -> dict:
    """Liveness and what the service holds."""
    return {
        "status": "ok",
        "version": __version__,
        "guides": store.count("guide", status="published"),
        "bundles": store.count("bundle", status="published"),
    }
