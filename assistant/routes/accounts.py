"""Accounts page API for admins: list, create, change role, disable/enable, reset password.
Passwords are never returned; disabling or resetting ends that account's sessions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from assistant.auth import ROLES, AccountAdmin, AuthError
from assistant.deps import AccountsDep, CurrentSession, require
from assistant.logs import get_logger
from assistant.schemas import OkOut

log = get_logger(__name__)
router = APIRouter(prefix="/api/admin/accounts", tags=["accounts"], dependencies=[Depends(require("admin"))])
Role = Literal["staff", "editor", "admin"]
ROLE_NAMES = {"staff": "话务员", "editor": "内容编辑", "admin": "管理员"}
assert set(ROLE_NAMES) == set(ROLES)


class AccountOut(BaseModel):
    username: str
    role: Role
    role_name: str
    active: bool
    created_at: str


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=10, max_length=200)
    role: Role


class AccountChange(BaseModel):
    role: Role | None = None
    active: bool | None = None


class PasswordIn(BaseModel):
    password: str = Field(min_length=10, max_length=200)


def _out(a) -> AccountOut:
    return AccountOut(**a.as_dict(), role_name=ROLE_NAMES[a.role])


def _refused(exc: AuthError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))


@router.get("", response_model=list[AccountOut])
def accounts_list(accounts: AccountsDep) -> list[AccountOut]:
    """Every account with its role and whether it can log in."""
    return [_out(a) for a in AccountAdmin(accounts).list()]


@router.post("", response_model=AccountOut, status_code=201)
def create(body: AccountIn, accounts: AccountsDep, session: CurrentSession) -> AccountOut:
    """A new account (the admin tells the person the first password)."""
    try:
        accounts.add(body.username, body.password, body.role)
    except AuthError as exc:
        raise _refused(exc) from None
    log.info("account created", by=session.user.username, account=body.username, role=body.role)
    return next(_out(a) for a in AccountAdmin(accounts).list() if a.username == body.username.strip())


@router.patch("/{username}", response_model=AccountOut)
def change(username: str, body: AccountChange, accounts: AccountsDep, session: CurrentSession) -> AccountOut:
    """Change the role, or disable (ends its sessions) / enable an account."""
    try:
        out = AccountAdmin(accounts).update(username, by=session.user.username, role=body.role, active=body.active)
    except AuthError as exc:
        raise _refused(exc) from None
    log.info("account changed", by=session.user.username, account=username, role=body.role, active=body.active)
    return _out(out)


@router.post("/{username}/password", response_model=OkOut)
def reset_password(username: str, body: PasswordIn, accounts: AccountsDep, session: CurrentSession) -> dict:
    """Set a new password (ends the account's sessions)."""
    try:
        AccountAdmin(accounts).reset_password(username, body.password)
    except AuthError as exc:
        raise _refused(exc) from None
    log.info("password reset", by=session.user.username, account=username)
    return {"ok": True}
