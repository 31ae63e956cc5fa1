"""The FastAPI application: one factory, heavy things loaded in the lifespan, never at import."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant import __version__
from assistant.actions import build_actions
from assistant.auth import Accounts
from assistant.conversation import Conversation
from assistant.database import open_store
from assistant.handoff import OutboxLoop, build_booking, build_complaints, build_outbox_worker
from assistant.limits import BodySizeMiddleware, RateLimitMiddleware
from assistant.logs import get_logger, setup_logging
from assistant.matching import build_retriever
from assistant.retrieval_dialogue import RetrievalDialogue
from assistant.routes import (
    actions,
    admin,
    auth,
    bookings,
    chat,
    guides,
    health,
    pages,
    ratings,
    search,
    staff,
    tickets,
    wechat,
)
from assistant.settings import Settings, get_settings
from knowledge.ratings import RatingLog
from knowledge.unanswered import UnansweredLog

log = get_logger(__name__)


def _wechat_channel(app: FastAPI, settings: Settings):
    """The 公众号 channel when a token is configured (safe mode when an EncodingAESKey is too)."""
    if not settings.wechat_token:
        return None
    from assistant.wechat_channel import WeChatChannel
    from connectors.wechat.api import WeChatApi
    from connectors.wechat.crypto import MessageCrypto

    api = (
        WeChatApi(settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret)
        if settings.wechat_secret
        else None
    )
    app.state.wechat = WeChatChannel(app.state.conversation, api, settings.wechat_reply_budget)
    app.state.wechat_crypto = (
        MessageCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        if settings.wechat_aes_key
        else None
    )
    return app.state.wechat


def create_app(settings: Settings | None = None, retriever=None) -> FastAPI:
    """``retriever`` may be handed in (tests share one); otherwise it is built from the store."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        setup_logging(settings.log_level, settings.log_format)
        app.state.settings = settings
        store = open_store(settings.database_url)
        app.state.store = store
        app.state.unanswered = UnansweredLog(store.engine)
        app.state.ratings = RatingLog(store.engine)
        app.state.accounts = Accounts(store.engine)
        if settings.search_enabled and getattr(app.state, "retriever", None) is None:
            app.state.retriever = build_retriever(settings, store.published())
        retriever = getattr(app.state, "retriever", None)
        if retriever is not None:
            store.subscribe(retriever.apply)  # publish/retire update search in place
            app.state.dialogue = RetrievalDialogue(retriever, store, unanswered=app.state.unanswered)
        app.state.booking = build_booking(settings, store)
        app.state.complaints = build_complaints(settings, store.engine)
        dialogue = getattr(app.state, "dialogue", None)
        if dialogue is not None:
            app.state.actions = build_actions(dialogue, app.state.booking, app.state.complaints)
        app.state.conversation = Conversation(
            dialogue, settings.rasa_url, settings.rasa_timeout, settings.rasa_retry_after
        )
        worker = build_outbox_worker(settings, app.state.complaints)
        loop = OutboxLoop(worker, settings.outbox_interval_seconds) if worker else None
        if loop:
            loop.start()
        log.info(
            "service started",
            database=settings.database_url.split("@")[-1],
            search=retriever.size if retriever else "off",
            forwarding=bool(loop),
        )
        channel = _wechat_channel(app, settings)
        yield
        if channel:
            channel.close()
        app.state.conversation.close()
        if loop:
            loop.stop()
        store.engine.dispose()

    app = FastAPI(
        title="一窗导办 API",
        version=__version__,
        description="办事指南检索、一件事清单、预约与 12345 工单的接口",
        lifespan=lifespan,
    )
    app.state.retriever = retriever
    app.include_router(health.router)
    app.include_router(guides.router)
    app.include_router(search.router)
    app.include_router(chat.router)
    app.include_router(ratings.router)
    app.include_router(actions.router)
    app.include_router(bookings.router)
    app.include_router(tickets.router)
    app.include_router(auth.router)
    app.include_router(staff.router)
    app.include_router(admin.router)
    pages.mount(app)
    app.add_middleware(
        RateLimitMiddleware, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )
    app.add_middleware(
        BodySizeMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={"/webhook": settings.action_max_body_bytes},  # grows with the conversation
    )
    if settings.wechat_token:
        app.include_router(wechat.router)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = "、".join(".".join(str(p) for p in e["loc"][1:]) or "请求体" for e in exc.errors())
        return JSONResponse(
            status_code=422,
            content={"detail": f"请求内容不正确，请检查：{fields}", "errors": jsonable_encoder(exc.errors())},
        )

    return app
