"""Operations: liveness (/health), readiness for a load balancer (/ready), Prometheus (/metrics)."""

from __future__ import annotations

import asyncio
from typing import Literal

import anyio
import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from assistant import __version__
from assistant.deps import (
    MetricsDep,
    OptionalRetrieverDep,
    RatingsDep,
    ServicesDep,
    SettingsDep,
    StoreDep,
    SupervisorDep,
    UnansweredDep,
)
from assistant.services import SEARCH
from assistant.settings import Settings
from assistant.supervisor import DialogueSupervisor

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


class DialogueServerOut(BaseModel):
    state: Literal["off", "external", "starting", "ready", "restarting", "refused", "failed", "stopped"] = (
        Field(
            description="external: Rasa at rasa_url is not run by this app; refused: its port is held by a server we did not start"
        )
    )
    detail: str = ""
    restarts: int = 0
    model: str | None = None
    pid: int | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    guides: int
    bundles: int
    search: SearchHealthOut | None = Field(description="null while search is off")
    dialogue_server: DialogueServerOut
    catching_up: dict[str, int] = Field(
        description="store listeners (search, bookable services) with publishes still to take"
    )
    unanswered_open: int
    bad_ratings_open: int


def _dialogue_server(settings: Settings, supervisor: DialogueSupervisor | None) -> DialogueServerOut:
    if not settings.dialogue_servers:
        return DialogueServerOut(state="off", detail="没有配置对话服务（只用应用自己的对话）")
    if supervisor is not None:
        return DialogueServerOut(**supervisor.status())
    return DialogueServerOut(state="external", detail=", ".join(settings.dialogue_servers))


@router.get("/health", response_model=HealthOut)
def health(
    services: ServicesDep,
    store: StoreDep,
    retriever: OptionalRetrieverDep,
    unanswered: UnansweredDep,
    ratings: RatingsDep,
    settings: SettingsDep,
    supervisor: SupervisorDep,
) -> HealthOut:
    """Liveness and what the service holds; the publish always stands, search may still be
    catching up; ``dialogue_server`` says how Rasa is doing (state, restarts, why not used)."""
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
        dialogue_server=_dialogue_server(settings, supervisor),
        catching_up=behind,
        unanswered_open=unanswered.count(),
        bad_ratings_open=ratings.count(),
    )


def _database_answers(store) -> bool:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _rasa_answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1.0) as client:
            return (await client.get(f"{url.rstrip('/')}/")).status_code == 200
    except httpx.HTTPError:
        return False


class ReadyOut(BaseModel):
    ready: bool
    checks: dict[str, bool] = Field(
        description="database, search_models (search on), dialogue_server (Rasa configured)"
    )
    dialogue_server: DialogueServerOut


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
async def ready(
    store: StoreDep, retriever: OptionalRetrieverDep, settings: SettingsDep, supervisor: SupervisorDep
) -> JSONResponse:
    """200 when this instance can serve citizens fully: search models loaded, Rasa up with our
    model (when one is configured; one of them in a scale-out), database answering; 503 with
    what is missing otherwise."""
    checks: dict[str, bool] = {"database": await anyio.to_thread.run_sync(_database_answers, store)}
    if settings.search_enabled:
        checks["search_models"] = retriever is not None
    if settings.dialogue_servers:  # one answering is enough: conversations go to those up
        own = supervisor.ready if supervisor is not None else True
        urls = [u for u in settings.dialogue_servers if own or u.rstrip("/") != settings.rasa_url.rstrip("/")]
        answers = await asyncio.gather(*(_rasa_answers(u) for u in urls))
        checks["dialogue_server"] = any(answers)
    ok = all(checks.values())
    body = ReadyOut(ready=ok, checks=checks, dialogue_server=_dialogue_server(settings, supervisor))
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format: turns by mode, latencies, fallbacks, actions, Rasa restarts, outbox
    depth, bookings and tickets by status."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(await anyio.to_thread.run_sync(metrics.scrape), media_type=CONTENT_TYPE_LATEST)
