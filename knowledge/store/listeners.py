"""Who hears about a publish or retire, each on its own.

A listener that fails does not undo the commit (the publish stands) and does not keep the
others from hearing: its events wait in its backlog, the failure is logged, ``behind()`` says
which listener is catching up (``/health`` shows it), and ``catch_up()`` hands the waiting
events over again, in order, before any newer one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from foundation.logs import get_logger

log = get_logger(__name__)
Listener = Callable[[Any], None]


@dataclass
class _Subscriber:
    name: str
    listener: Listener
    backlog: list = field(default_factory=list)


class Listeners:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._lock = threading.RLock()  # one delivery at a time keeps every listener's order

    def subscribe(self, listener: Listener, name: str | None = None) -> None:
        label = name or getattr(listener, "__qualname__", None) or repr(listener)
        self._subscribers.append(_Subscriber(label, listener))

    def notify(self, events: Iterable) -> None:
        events = list(events)
        if not events:
            return
        with self._lock:
            for sub in self._subscribers:
                sub.backlog.extend(events)
                self._drain(sub)

    @property
    def delivery(self) -> threading.RLock:
        """Held while events are handed over: whoever compares what listeners heard with the
        store holds it too, so no delivery slips in between (``ContentFollower``)."""
        return self._lock

    def catch_up(self) -> dict[str, int]:
        """Hand waiting events over again; what is still waiting afterwards, per listener."""
        with self._lock:
            for sub in self._subscribers:
                self._drain(sub)
        return self.behind()

    def behind(self) -> dict[str, int]:
        """Listeners with events they have not taken yet, and how many."""
        return {s.name: len(s.backlog) for s in self._subscribers if s.backlog}

    def _drain(self, sub: _Subscriber) -> None:
        while sub.backlog:
            event = sub.backlog[0]
            try:
                sub.listener(event)
            except Exception as exc:
                log.exception(
                    "listener failed; it will catch up",
                    listener=sub.name,
                    code=getattr(event, "code", None),
                    waiting=len(sub.backlog),
                    error=type(exc).__name__,
                )
                return
            sub.backlog.pop(0)
