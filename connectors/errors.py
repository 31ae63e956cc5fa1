"""The base of every hand-off error: an operator message plus a polite Chinese one for citizens."""

from __future__ import annotations


class HandoffError(Exception):
    user_message = "操作没有成功，请稍后再试，或拨打 12345。"

    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message:
            self.user_message = user_message
