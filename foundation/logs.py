"""Logging set up in one place: structlog on top of the standard library, every line masked.

``configure`` takes the masking function (the project passes ``nlu.pii.mask_pii``), so this
bottom layer does not need to know what personal data looks like; it runs on every structlog
event and every plain ``logging`` record alike, and secrets (tokens, passwords, bearer
credentials) are redacted here whatever the mask.

Lines are rendered and written by a background thread (a queue between the caller and stderr),
so a burst of errors never stalls the event loop. Tracebacks are plain (no local variables:
those held bearer tokens, CSRF tokens and citizens' contacts) and the rendered line, traceback
included, is scrubbed once more: exception messages carry input.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import re
import sys
from collections.abc import Callable
from typing import Any

import structlog

Mask = Callable[[str], str]

# token=…, password: …, "csrf": "…" — whatever follows is a secret
_SECRET_RE = re.compile(
    r"(?i)((?:access_token|token|csrf|password|passwd|secret|api_key|apikey|data_key|aes_key|x-csrf-token)"
    r"[\"']?\s*[=:]\s*[\"']?)([^\s&\"',;)}\]]+)"
)
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
SECRET_KEYS = re.compile(r"(?i)token|csrf|password|passwd|secret|authorization|cookie|data_key|aes_key")
REDACTED = "[redacted]"

_listener: logging.handlers.QueueListener | None = None
_queue: queue.Queue | None = None


def redact_secrets(text: str) -> str:
    """Tokens, passwords and bearer credentials replaced; lone surrogates (no log can hold them) too."""
    if not text:
        return text
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _SECRET_RE.sub(rf"\1{REDACTED}", _BEARER_RE.sub(rf"\1{REDACTED}", text))


def scrubber(mask: Mask) -> Mask:
    """The text of a line: secrets redacted, then personal data masked."""
    return lambda text: mask(redact_secrets(text)) if text else text


def _masked(value: Any, mask: Mask) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: REDACTED if SECRET_KEYS.search(str(k)) else _masked(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked(v, mask) for v in value)
    return value


def masking_processor(mask: Mask):
    """A structlog processor: every value of the event masked, values under secret-looking keys dropped."""

    def processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v if k == "exc_info" else REDACTED if SECRET_KEYS.search(k) else _masked(v, mask)
            for k, v in event_dict.items()
        }

    return processor


class MaskingFilter(logging.Filter):
    """The same for standard-library records (third-party libraries log through these)."""

    def __init__(self, mask: Mask) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.mask(record.msg)
        if record.args:
            record.args = (
                tuple(_masked(a, self.mask) for a in record.args)
                if isinstance(record.args, tuple)
                else record.args
            )
        return True


class _ScrubbingFormatter(structlog.stdlib.ProcessorFormatter):
    def __init__(self, *args, scrub: Mask, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


class _DeferredHandler(logging.handlers.QueueHandler):
    """Hands the record as it is to the listener thread, which renders it (QueueHandler would
    render here, on the caller's thread, and flatten structlog's event dict)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:  # overloaded: drop the line rather than stall the caller
            pass


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when the line is written (lines are written later)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str, fmt: str, *, mask: Mask) -> None:
    global _listener, _queue
    scrub = scrubber(mask)
    if fmt == "json":
        # the traceback as plain text under "exception" (no local variables)
        renderers: list = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
    else:
        renderers = [
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        ]
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
        masking_processor(scrub),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        _ScrubbingFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
            foreign_pre_chain=shared,
            scrub=scrub,
        )
    )
    handler.addFilter(MaskingFilter(scrub))
    if _listener is not None:
        _listener.stop()
    _queue = queue.Queue(maxsize=10_000)
    _listener = logging.handlers.QueueListener(_queue, handler, respect_handler_level=False)
    _listener.start()
    root = logging.getLogger()
    root.handlers = [_DeferredHandler(_queue)]
    root.setLevel(level.upper())
    # uvicorn's loggers may carry a handler of their own (a server started with uvicorn's log
    # config): mask on the logger too, so no handler ever sees a raw token or phone number
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        for old in [f for f in server_logger.filters if isinstance(f, MaskingFilter)]:
            server_logger.removeFilter(old)
        server_logger.addFilter(MaskingFilter(scrub))
    for noisy in ("jieba", "httpx", "sentence_transformers", "transformers", "faiss", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def flush() -> None:
    """Wait until every line handed to the log so far has been written."""
    if _queue is not None and _listener is not None:
        _queue.join()


@atexit.register
def _stop() -> None:
    if _listener is not None:
        _listener.stop()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
