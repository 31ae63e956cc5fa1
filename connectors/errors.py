"""The base of every hand-off error: an operator message plus a polite Chinese one for citizens."""

from __future__ import annotations

from foundation.errors import ServiceError


class HandoffError(ServiceError):
    user_message = "操作没有成功，请稍后再试，或拨打 12345。"
