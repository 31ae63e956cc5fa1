"""Log-in for staff, editors and admins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from assistant.auth import AuthError, LoginLockedError
from assistant.deps import SESSION_COOKIE, AccountsDep, CurrentSession, SettingsDep
from assistant.schemas import LoginOut, MeOut, OkOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, request: Request, response: Response, accounts: AccountsDep, settings: SettingsDep
) -> dict:
    """Log in; sets an HttpOnly session cookie and returns the token and the CSRF token.

    Repeated failures for an account or from a client make it wait (429 with Retry-After)."""
    try:
        session = accounts.login(body.username, body.password, client=_client(request))
    except LoginLockedError as exc:
        raise HTTPException(
            status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from None
    except AuthError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=settings.env == "prod",
        max_age=12 * 3600,
    )
    return {
        "token": session.token,
        "csrf": session.csrf,
        "user": session.user.username,
        "role": session.user.role,
        "expires_at": session.expires_at.isoformat(),
        "department": session.user.department,
    }


@router.post("/logout", response_model=OkOut)
def logout(session: CurrentSession, request: Request, response: Response, accounts: AccountsDep) -> dict:
    """End the session."""
    accounts.logout(session.token, client=_client(request))
    response.delete_cookie(SESSION_COOKIE)
    return {"ok": True}


@router.get("/me", response_model=MeOut)
def me(session: CurrentSession) -> dict:
    """Who is logged in."""
    user = session.user
    return {"user": user.username, "role": user.role, "csrf": session.csrf, "department": user.department}
