"""The FastAPI application: one factory, heavy things loaded in the lifespan, never at import."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from assistant import __version__, errors
from assistant.limits import BodySizeMiddleware, RateLimitMiddleware
from assistant.logs import get_logger, setup_logging
from assistant.observability import RequestIdMiddleware
from assistant.routes import (
    accounts,
    actions,
    admin,
    admin_form,
    auth,
    bookings,
    chat,
    desk,
    guides,
    health,
    human,
    pages,
    ratings,
    review_queues,
    search,
    staff,
    staff_call,
    stats,
    tickets,
    wechat,
)
from assistant.services import build, shared_state
from assistant.settings import Settings, get_settings
from knowledge.retrieval import Retriever

log = get_logger(__name__)


def create_app(
    settings: Settings | None = None, retriever: Retriever | None = None, supervise: bool = False
) -> FastAPI:
    """``retriever`` may be handed in (tests share one); otherwise it is built from the store.
    ``supervise``: run Rasa beside the app, stopped with it (``yichuang serve``; the lifespan's
    shutdown runs on SIGTERM/SIGINT too).

    The services live in ``app.state.services`` (an ``assistant.services.Services``) while the
    app runs; routes reach them through ``assistant.deps``, tests through that attribute."""
    settings = settings or get_settings()
    shared = shared_state(settings)  # the rate limits' buckets and the services' state alike

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        setup_logging(settings.log_level, settings.log_format)
        services = build(settings, retriever=retriever, shared=shared)
        app.state.services = services
        services.conversation.bind_loop()
        services.start(supervise=supervise)
        log.info(
            "service started",
            database=settings.database_url.split("@")[-1],
            search=services.retriever.size if services.retriever else "off",
            forwarding=services.forwarding is not None,
            shared="redis" if services.shared.shared else "this process",
            bus=services.bus.kind if services.bus is not None else "none",
            dialogue_servers=len(services.conversation.servers),
        )
        try:
            yield
        finally:
            await services.conversation.aclose()
            await anyio.to_thread.run_sync(services.close)  # stopping Rasa takes seconds

    app = FastAPI(
        title="一窗导办 API",
        version=__version__,
        description="办事指南检索、一件事清单、预约与 12345 工单的接口",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(guides.router)
    app.include_router(search.router)
    app.include_router(chat.router)
    app.include_router(human.citizen)
    app.include_router(human.staff)
    app.include_router(ratings.router)
    app.include_router(actions.router)
    app.include_router(bookings.router)
    app.include_router(tickets.router)
    app.include_router(auth.router)
    app.include_router(staff.router)
    app.include_router(staff_call.router)
    app.include_router(desk.router)
    app.include_router(stats.router)
    app.include_router(admin.router)
    app.include_router(admin_form.router)
    app.include_router(review_queues.router)
    app.include_router(accounts.router)
    pages.mount(app)
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
        state=shared,
    )
    app.add_middleware(
        BodySizeMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={
            "/webhook": settings.action_max_body_bytes,  # grows with the conversation
            "/api/admin/import": settings.import_max_bytes,  # a whole knowledge base (editors only)
        },
    )
    app.add_middleware(RequestIdMiddleware)
    if settings.wechat_token:
        app.include_router(wechat.router)

    errors.install(app)
    return app
