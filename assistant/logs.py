"""The service's logging: ``foundation.logs`` with the project's PII masking (``nlu.pii``), so no
身份证号, phone or card number leaves the process in a log line."""

from __future__ import annotations

from foundation.logs import configure, get_logger
from nlu.pii import mask_pii

__all__ = ["get_logger", "setup_logging"]


def setup_logging(level: str = "INFO", fmt: str = "console") -> None:
    configure(level, fmt, mask=mask_pii)
