"""Log-in back-off, per account and per client, and the password policy.

After ``free`` failed log-ins an account (or a client address) waits before it may try again,
and the wait doubles with every further failure, up to ``longest`` seconds: guessing a password
costs hours, a colleague who mistyped three times loses nothing. A success clears the account's
count. Counts live in the shared state (``foundation.shared_state``): with Redis every worker
counts the same failures, so spreading guesses over workers gains nothing.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass

from foundation.shared_state import LocalState, SharedState

COMMON = {
    "password123", "password1234", "12345678abc", "qwertyuiop12", "admin1234567", "abc123456789",
    "1qaz2wsx3edc", "woaini123456", "iloveyou1234", "aa1234567890", "zhang1234567", "p@ssw0rd1234",
}  # fmt: skip
MIN_LENGTH = 12


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password may not be used (in Chinese), or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    classes = sum(
        bool(re.search(p, password)) for p in (r"[A-Za-z]", r"\d", r"[^\w\s]|\s|_", r"[^\x00-\x7f]")
    )
    if classes < 2:
        return "密码至少要包含字母、数字、符号（含空格）、汉字中的两类"
    if len(set(password)) < 6:
        return "密码里不同的字符太少"
    if username and username.strip().lower() in password.lower():
        return "密码不能包含用户名"
    if password.lower() in COMMON:
        return "这个密码太常见，请换一个"
    return None


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


class LoginGuard:
    def __init__(
        self,
        free_per_account: int = 5,
        free_per_client: int = 20,
        first_wait: float = 30,
        longest: float = 900,
        state: SharedState | None = None,
    ) -> None:
        self.free = {"account": free_per_account, "client": free_per_client}
        self.first_wait, self.longest = first_wait, longest
        self.forget_after = 3600.0
        self.state = state or LocalState()

    def wait(self, account: str, client: str, now: float | None = None) -> float:
        """Seconds before this account or client may try again (0: now)."""
        now = time.time() if now is None else now  # wall clock: the workers' one clock
        waits = [self._count(k, now).until - now for k in (("account", account), ("client", client))]
        return max(0.0, *waits)

    def failed(self, account: str, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for kind, key in (("account", account), ("client", client)):
            with self.state.lock(_key(kind, key), timeout=2.0):  # two workers' failures both count
                count = self._count((kind, key), now)
                count.failures += 1
                count.last = now
                over = count.failures - self.free[kind]
                if over >= 0:
                    count.until = now + min(self.longest, self.first_wait * 2 ** min(over, 20))
                self.state.put(_key(kind, key), json.dumps(asdict(count)), self.forget_after + self.longest)

    def succeeded(self, account: str) -> None:
        self.state.delete(_key("account", account))

    def _count(self, key: tuple[str, str], now: float) -> _Count:
        raw = self.state.get(_key(*key))
        try:
            count = _Count(**json.loads(raw)) if raw else _Count()
        except (ValueError, TypeError):
            count = _Count()
        if now - count.last > self.forget_after and now >= count.until:
            count = _Count()
        return count


def _key(kind: str, key: str) -> str:
    return f"login:{kind}:{key}"
