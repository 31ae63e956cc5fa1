"""The service's logging: ``foundation.logs`` with the project's PII masking (``nlu.pii``), so no
身份证号, phone, card number, name or token leaves the process in a log line."""

from __future__ import annotations

from foundation.logs import configure, flush, get_logger, scrubber
from nlu.pii import mask_pii

__all__ = ["flush_logs", "get_logger", "scrub", "setup_logging"]

scrub = scrubber(mask_pii)  # for text that leaves the process by another way (rasa.log)
flush_logs = flush


def setup_logging(level: str = "INFO", fmt: str = "console") -> None:
    configure(level, fmt, mask=mask_pii)
