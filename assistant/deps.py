"""Dependencies shared by the routes (Annotated aliases, one place)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistant.auth import Session
from assistant.settings import Settings, get_settings
from knowledge.store import ContentStore

SESSION_COOKIE = "yc_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_store(request: Request) -> ContentStore:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ContentStore, Depends(get_store)]


def current_session(request: Request) -> Session:
    """The logged-in staff member; 401 for anonymous requests, CSRF checked for cookie sessions."""
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.lower().startswith("bearer ") else ""
    token = bearer or request.cookies.get(SESSION_COOKIE, "")
    session = request.app.state.accounts.session(token)
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
