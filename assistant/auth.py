"""Staff and editor accounts: argon2 password hashes, server-side sessions, roles, CSRF.

Citizens are anonymous. Staff, editors and admins log in (``POST /api/auth/login``) and get a
session token, usable as an HttpOnly cookie (then every state-changing request must repeat the
session's CSRF token in ``X-CSRF-Token``) or as ``Authorization: Bearer`` (no cookie, no CSRF).
Only a SHA-256 of the token is stored. Roles nest: admin ⊃ editor ⊃ staff.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, Engine, ForeignKey, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from assistant.audit import audit_row
from assistant.login_guard import LoginGuard, password_problem
from foundation.db import Base, session_factory

ROLES = ("staff", "editor", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
SESSION_HOURS = 12
_hasher = PasswordHasher()


class AuthError(Exception):
    """Log-in refused or an account problem; the message is safe to show."""


class LoginLockedError(AuthError):
    """Too many failed log-ins for this account or from this client: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        minutes = max(1, (self.retry_after + 59) // 60)
        super().__init__(f"登录失败次数太多，请 {minutes} 分钟后再试；忘记密码请联系管理员。")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # a 12345 承办单位's account sees and works only that department's tickets on the desk
    department: Mapped[str | None] = mapped_column(String(100), nullable=True)


class SessionRow(Base):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    department: str | None = None  # None: not tied to one department (12345 centre, editors)

    def can(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    user: User
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Accounts:
    def __init__(self, engine: Engine, guard: LoginGuard | None = None) -> None:
        self._sessions = session_factory(engine)
        self.guard = guard or LoginGuard()

    def _audit(self, s, action: str, username: str, client: str) -> None:
        """Log-ins in the audit log beside content changes: who, from where, how it went."""
        name = username.strip()[:64] or "?"
        s.add(audit_row(name, action, kind="account", code=name, detail={"client": client[:64]}))

    def add(self, username: str, password: str, role: str, department: str | None = None) -> User:
        if role not in ROLES:
            raise AuthError(f"角色应为 {'/'.join(ROLES)}")
        department = checked_department(department)
        if not username.strip() or len(username) > 50:
            raise AuthError("用户名不能为空，且不超过 50 个字符")
        if (problem := password_problem(password, username)) is not None:
            raise AuthError(problem)
        try:
            with self._sessions.begin() as s:
                row = UserRow(
                    username=username.strip(),
                    password_hash=_hasher.hash(password),
                    role=role,
                    active=True,
                    created_at=datetime.now(UTC),
                    department=department,
                )
                s.add(row)
                s.flush()
                return User(row.id, row.username, row.role, row.department)
        except IntegrityError:
            raise AuthError(f"用户 {username} 已存在") from None

    def login(self, username: str, password: str, client: str = "") -> Session:
        """A session, or AuthError; LoginLockedError while this account or client must wait."""
        account = username.strip().lower()
        wait = self.guard.wait(account, client)
        if wait > 0:
            with self._sessions.begin() as s:
                self._audit(s, "login_locked", username, client)
            raise LoginLockedError(wait)
        failed = False
        with self._sessions.begin() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username.strip()))
            try:
                if row is None or not row.active:
                    _hasher.hash(password)  # same work either way: no user enumeration by timing
                    raise VerificationError
                _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                failed = True
            if failed:
                self.guard.failed(account, client)
                self._audit(s, "login_failed", username, client)
        if failed:
            raise AuthError("用户名或密码不正确")
        self.guard.succeeded(account)
        with self._sessions.begin() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username.strip()))
            self._audit(s, "login", username, client)
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            expires = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
            s.execute(delete(SessionRow).where(SessionRow.expires_at < datetime.now(UTC)))
            s.add(SessionRow(token_hash=_digest(token), csrf=csrf, user_id=row.id, expires_at=expires))
            return Session(token, csrf, User(row.id, row.username, row.role, row.department), expires)

    def session(self, token: str) -> Session | None:
        if not token:
            return None
        with self._sessions() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_hash == _digest(token))
            ).first()
            if found is None:
                return None
            sess, user = found
            if _aware(sess.expires_at) < datetime.now(UTC) or not user.active:
                return None
            user_ = User(user.id, user.username, user.role, user.department)
            return Session(token, sess.csrf, user_, _aware(sess.expires_at))

    def logout(self, token: str, client: str = "") -> None:
        with self._sessions.begin() as s:
            found = s.execute(
                select(UserRow.username)
                .join(SessionRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_hash == _digest(token))
            ).first()
            s.execute(delete(SessionRow).where(SessionRow.token_hash == _digest(token)))
            if found is not None:
                self._audit(s, "logout", found[0], client)


@dataclass(frozen=True)
class Account:
    """An account as an admin sees it (never the hash)."""

    username: str
    role: str
    active: bool
    created_at: datetime
    department: str | None = None

    def as_dict(self) -> dict:
        return {
            "username": self.username,
            "role": self.role,
            "active": self.active,
            "created_at": _aware(self.created_at).isoformat(),
            "department": self.department,
        }


KEEP = object()  # AccountAdmin.update: leave the department as it is


def checked_department(department: str | None) -> str | None:
    """A department name, trimmed; empty means none."""
    name = " ".join((department or "").split())
    if len(name) > 100:
        raise AuthError("部门名称不超过 100 个字符")
    return name or None


def _check_password(password: str, username: str = "") -> None:
    if (problem := password_problem(password, username)) is not None:
        raise AuthError(problem)


class AccountAdmin:
    """What the accounts page does: list, change a role, disable or enable, reset a password.
    Disabling or resetting ends the account's sessions at once."""

    def __init__(self, accounts: Accounts) -> None:
        self._sessions = accounts._sessions

    def list(self) -> list[Account]:
        with self._sessions() as s:
            rows = s.scalars(select(UserRow).order_by(UserRow.username))
            return [Account(r.username, r.role, r.active, r.created_at, r.department) for r in rows]

    def _row(self, s, username: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise AuthError(f"没有用户 {username}")
        return row

    def update(
        self, username: str, *, by: str, role: str | None = None, active: bool | None = None, department=KEEP
    ) -> Account:
        """Change what is given; ``department``: a name, or None for no department (KEEP: as it is)."""
        if role is not None and role not in ROLES:
            raise AuthError(f"角色应为 {'/'.join(ROLES)}")
        if username == by and (active is False or (role is not None and role != "admin")):
            raise AuthError("不能停用自己的账号或取消自己的管理员角色（请另一位管理员操作）")
        with self._sessions.begin() as s:
            row = self._row(s, username)
            if role is not None:
                row.role = role
            if active is not None:
                row.active = active
                if not active:
                    s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            if department is not KEEP:
                row.department = checked_department(department)
            return Account(row.username, row.role, row.active, row.created_at, row.department)

    def reset_password(self, username: str, password: str) -> None:
        _check_password(password, username)
        with self._sessions.begin() as s:
            row = self._row(s, username)
            row.password_hash = _hasher.hash(password)
            s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
