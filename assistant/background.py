"""Work a running service repeats in the background (forwarding the outbox, listeners catching up)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.logs import get_logger

log = get_logger(__name__)


class Periodic:
    """Calls ``fn`` every ``interval`` seconds in a daemon thread until stopped; a failure is
    logged and the next round runs as usual."""

    def __init__(self, name: str, fn: Callable[[], object], interval: float) -> None:
        self.name, self.fn, self.interval = name, fn, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.fn()
            except Exception:  # keep the loop alive; the work is still waiting
                log.exception("background work failed", work=self.name)
            self._stop.wait(self.interval)
