"""What a route may ask for, declared once as ``Annotated`` aliases.

A route names the service it needs (``store: StoreDep``); the running ``Services`` container
(built by ``assistant.services.build`` in the app's lifespan) is the only thing read from
``app.state``, and only here. A service the settings switch off answers 503 with a Chinese
message instead of being probed for in the route.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request

from assistant.actions import ActionRegistry
from assistant.audit import AuditTrail
from assistant.auth import Accounts, Session
from assistant.conversation import Conversation
from assistant.human.relay import HumanRelay
from assistant.observability import Metrics
from assistant.question_log import QuestionLog
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
T = TypeVar("T")
SEARCH_UNAVAILABLE = "检索服务正在准备中，请稍后再试，或拨打 12345 咨询。"


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _part(pick: Callable[[Services], T]) -> Callable[..., T]:
    """A dependency answering one part of the running services."""

    def dependency(services: ServicesDep) -> T:
        return pick(services)

    return dependency


def _retriever(services: ServicesDep) -> Retriever:
    if services.retriever is None:
        raise HTTPException(status_code=503, detail=SEARCH_UNAVAILABLE)
    return services.retriever


SettingsDep = Annotated[Settings, Depends(_part(lambda s: s.settings))]
StoreDep = Annotated[ContentStore, Depends(_part(lambda s: s.store))]
RetrieverDep = Annotated[Retriever, Depends(_retriever)]  # 503 while search is off
OptionalRetrieverDep = Annotated[Retriever | None, Depends(_part(lambda s: s.retriever))]
ActionsDep = Annotated[ActionRegistry | None, Depends(_part(lambda s: s.actions))]  # None: no dialogue
BookingDep = Annotated[BookingService, Depends(_part(lambda s: s.booking))]
ComplaintsDep = Annotated[ComplaintService, Depends(_part(lambda s: s.complaints))]
OutboxDep = Annotated[Outbox, Depends(_part(lambda s: s.outbox))]
UnansweredDep = Annotated[UnansweredLog, Depends(_part(lambda s: s.unanswered))]
RatingsDep = Annotated[RatingLog, Depends(_part(lambda s: s.ratings))]
QuestionsDep = Annotated[QuestionLog, Depends(_part(lambda s: s.questions))]
AccountsDep = Annotated[Accounts, Depends(_part(lambda s: s.accounts))]
AuditDep = Annotated[AuditTrail, Depends(_part(lambda s: s.audit))]  # who read or changed what
ConversationDep = Annotated[Conversation, Depends(_part(lambda s: s.conversation))]
ChannelsDep = Annotated[Channels, Depends(_part(lambda s: s.channels))]
RelayDep = Annotated[HumanRelay, Depends(_part(lambda s: s.relay))]  # every chat turn, the staff inbox
MetricsDep = Annotated[Metrics, Depends(_part(lambda s: s.metrics))]
# None: Rasa is not ours to run
SupervisorDep = Annotated[DialogueSupervisor | None, Depends(_part(lambda s: s.supervisor))]
ActionPoolDep = Annotated[anyio.CapacityLimiter, Depends(_part(lambda s: s.action_pool))]
SearchPoolDep = Annotated[anyio.CapacityLimiter, Depends(_part(lambda s: s.search_pool))]


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
