"""Accounts page API for admins: list, create, change role and department, disable/enable, reset
password. Passwords are never returned; disabling or resetting ends that account's sessions. An
account with a department (a 12345 承办单位) sees and works only that department's tickets."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from assistant.auth import KEEP, ROLES, AccountAdmin, AuthError
from assistant.deps import AccountsDep, ComplaintsDep, CurrentSession, StoreDep, require
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
    department: str | None = Field(description="承办部门：只看、只办这个部门的工单；空为不限")


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=10, max_length=200)
    role: Role
    department: str | None = Field(default=None, max_length=100, description="承办部门（可空）")


class AccountChange(BaseModel):
    role: Role | None = None
    active: bool | None = None
    department: str | None = Field(default=None, max_length=100, description="新的部门；给出空值表示不限部门")


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


class DepartmentsOut(BaseModel):
    departments: list[str] = Field(description="the guides' departments and those tickets were routed to")


@router.get("/departments", response_model=DepartmentsOut)
def departments(store: StoreDep, complaints: ComplaintsDep) -> dict:
    """The departments an account can belong to (the picker's suggestions; any name is accepted)."""
    names = {e.department for e in store.published()} | {t.department for t in complaints.find(limit=5000)}
    return {"departments": sorted(n for n in names if n)}


@router.post("", response_model=AccountOut, status_code=201)
def create(body: AccountIn, accounts: AccountsDep, session: CurrentSession) -> AccountOut:
    """A new account (the admin tells the person the first password)."""
    try:
        accounts.add(body.username, body.password, body.role, body.department)
    except AuthError as exc:
        raise _refused(exc) from None
    log.info("account created", by=session.user.username, account=body.username, role=body.role, department=body.department)
    return next(_out(a) for a in AccountAdmin(accounts).list() if a.username == body.username.strip())


@router.patch("/{username}", response_model=AccountOut)
def change(username: str, body: AccountChange, accounts: AccountsDep, session: CurrentSession) -> AccountOut:
    """Change the role or the department, or disable (ends its sessions) / enable an account."""
    department = body.department if "department" in body.model_fields_set else KEEP
    try:
        out = AccountAdmin(accounts).update(
            username, by=session.user.username, role=body.role, active=body.active, department=department
        )
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
