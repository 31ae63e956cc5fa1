"""What a route may ask for, declared once as ``Annotated`` aliases.

A route names the service it needs (``store: StoreDep``); the running ``Services`` container
(built by ``assistant.services.build`` in the app's lifespan) is the only thing read from
``app.state``, and only here. A service the settings switch off answers 503 with a Chinese
message instead of being probed for in the route.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request

from assistant.actions import ActionRegistry
from assistant.auth import Accounts, Session
from assistant.conversation import Conversation
from assistant.observability import Metrics
from assistant.services import Channels, Services
from assistant.settings import Settings
from assistant.supervisor import DialogueSupervisor
from connectors.booking.protocol import BookingService
from connectors.complaint.protocol import ComplaintService
from connectors.outbox import Outbox
from knowledge.ratings import RatingLog
from knowledge.retrieval import Retriever
from knowledge.store import ContentStore
from knowledge.unanswered import UnansweredLog

SESSION_COOKIE = "yc_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SEARCH_UNAVAILABLE = "检索服务正在准备中，请稍后再试，或拨打 12345 咨询。"


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _settings(services: ServicesDep) -> Settings:
    return services.settings


def _store(services: ServicesDep) -> ContentStore:
    return services.store


def _retriever(services: ServicesDep) -> Retriever:
    if services.retriever is None:
        raise HTTPException(status_code=503, detail=SEARCH_UNAVAILABLE)
    return services.retriever


def _optional_retriever(services: ServicesDep) -> Retriever | None:
    return services.retriever


def _actions(services: ServicesDep) -> ActionRegistry | None:
    return services.actions


def _booking(services: ServicesDep) -> BookingService:
    return services.booking


def _complaints(services: ServicesDep) -> ComplaintService:
    return services.complaints


def _outbox(services: ServicesDep) -> Outbox:
    return services.outbox


def _unanswered(services: ServicesDep) -> UnansweredLog:
    return services.unanswered


def _ratings(services: ServicesDep) -> RatingLog:
    return services.ratings


def _accounts(services: ServicesDep) -> Accounts:
    return services.accounts


def _conversation(services: ServicesDep) -> Conversation:
    return services.conversation


def _channels(services: ServicesDep) -> Channels:
    return services.channels


def _metrics(services: ServicesDep) -> Metrics:
    return services.metrics


def _supervisor(services: ServicesDep) -> DialogueSupervisor | None:
    return services.supervisor


def _action_pool(services: ServicesDep) -> anyio.CapacityLimiter:
    return services.action_pool


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[ContentStore, Depends(_store)]
RetrieverDep = Annotated[Retriever, Depends(_retriever)]  # 503 while search is off
OptionalRetrieverDep = Annotated[Retriever | None, Depends(_optional_retriever)]
ActionsDep = Annotated[ActionRegistry | None, Depends(_actions)]  # None: no dialogue to act on
BookingDep = Annotated[BookingService, Depends(_booking)]
ComplaintsDep = Annotated[ComplaintService, Depends(_complaints)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
UnansweredDep = Annotated[UnansweredLog, Depends(_unanswered)]
RatingsDep = Annotated[RatingLog, Depends(_ratings)]
AccountsDep = Annotated[Accounts, Depends(_accounts)]
ConversationDep = Annotated[Conversation, Depends(_conversation)]
ChannelsDep = Annotated[Channels, Depends(_channels)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
SupervisorDep = Annotated[DialogueSupervisor | None, Depends(_supervisor)]  # None: Rasa not ours to run
ActionPoolDep = Annotated[anyio.CapacityLimiter, Depends(_action_pool)]


def current_session(request: Request, accounts: AccountsDep) -> Session:
    """The logged-in staff member; 401 for anonymous requests, CSRF checked for cookie sessions."""
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.lower().startswith("bearer ") else ""
    token = bearer or request.cookies.get(SESSION_COOKIE, "")
    session = accounts.session(token)
    if session is None:
        raise HTTPException(status_code=401, detail="请先登录", headers={"WWW-Authenticate": "Bearer"})
    if not bearer and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, session.csrf):
            raise HTTPException(status_code=403, detail="请求缺少有效的 CSRF 令牌，请刷新页面后重试")
    return session


def require(role: str):
    def check(session: Session = Depends(current_session)) -> Session:
        if not session.user.can(role):
            raise HTTPException(status_code=403, detail="您的账号没有这个操作的权限")
        return session

    return check


CurrentSession = Annotated[Session, Depends(current_session)]
StaffSession = Annotated[Session, Depends(require("staff"))]
EditorSession = Annotated[Session, Depends(require("editor"))]
