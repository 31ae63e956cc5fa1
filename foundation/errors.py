"""The base of every refusal a surface shows to a person: what kind it is, and a Chinese message.

The kind says what went wrong in words every layer shares; the app turns it into an HTTP status
in one exception handler (``assistant/errors.py``), the CLI prints ``user_message``.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["invalid", "not_found", "conflict", "unsupported", "unavailable"]


class ServiceError(Exception):
    kind: Kind = "invalid"
    user_message = "操作没有成功，请稍后再试，或拨打 12345。"

    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message:
            self.user_message = user_message
