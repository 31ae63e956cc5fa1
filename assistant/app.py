"""The FastAPI application: one factory, heavy things loaded in the lifespan, never at import."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant import __version__
from assistant.database import open_store
from assistant.logs import get_logger, setup_logging
from assistant.routes import guides, health
from assistant.settings import Settings, get_settings

log = get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        setup_logging(settings.log_level, settings.log_format)
        app.state.settings = settings
        app.state.store = open_store(settings.database_url)
        log.info("service started", database=settings.database_url.split("@")[-1])
        yield
        app.state.store.engine.dispose()

    app = FastAPI(
        title="一窗导办 API",
        version=__version__,
        description="办事指南检索、一件事清单、预约与 12345 工单的接口",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(guides.router)
    return app
