"""Where a conversation is: the entry in focus, the recent topics, the walk-through state.

The same ``Context`` is kept in Rasa slots (service_kind, service_code, recent_topics,
bundle_answers, ticked, pending_question) when Rasa drives, and in ``ConversationMemory``
when the app drives on its own, so both drivers see the same conversation.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_TOPICS = 5


@dataclass
class Context:
    """What a conversation is about: the service or 一件事 in focus and the walk-through state."""

    kind: str | None = None
    code: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # materials the citizen already has
    topics: list[list[str]] = field(default_factory=list)  # [kind, code], most recent first
    pending: str | None = None  # the 一件事 question just asked
    bookings: list[str] = field(default_factory=list)  # numbers of the bookings made in this conversation
    form: dict | None = None  # the app's own form in progress (fallback only)
    at: float = field(default_factory=time.monotonic)

    def focus(self, kind: str, code: str) -> None:
        """Make ``code`` the entry in focus; a new entry starts its walk-through afresh."""
        if code != self.code:
            self.answers, self.done, self.pending = {}, [], None
        self.kind, self.code = kind, code
        self.topics = [[kind, code]] + [t for t in self.topics if t[1] != code][: MAX_TOPICS - 1]

    def as_slots(self) -> dict:
        """The Rasa slots that hold this context (the same names both drivers use)."""
        return {"service_kind": self.kind, "service_code": self.code, "bundle_answers": self.answers,
                "ticked": self.done, "recent_topics": self.topics, "pending_question": self.pending,
                "made_bookings": self.bookings}  # fmt: skip

    def earlier(self) -> list[tuple[str, str]]:
        """The topics before the one in focus, most recent first."""
        return [(k, c) for k, c in self.topics if c != self.code]


class ConversationMemory:
    """What each sender is talking about, kept for ``ttl`` seconds (LRU-bounded)."""

    def __init__(self, ttl: float = 1800, max_senders: int = 50_000) -> None:
        self.ttl, self.max_senders = ttl, max_senders
        self._items: OrderedDict[str, Context] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, sender: str, ctx: Context) -> None:
        """Replace what ``sender`` is talking about (Rasa's state, mirrored after each action)."""
        with self._lock:
            ctx.at = time.monotonic()
            self._items[sender] = ctx
            self._items.move_to_end(sender)
            while len(self._items) > self.max_senders:
                self._items.popitem(last=False)

    def peek(self, sender: str) -> Context | None:
        """The sender's context if one is kept (nothing is created or touched)."""
        with self._lock:
            ctx = self._items.get(sender)
        return ctx if ctx is not None and time.monotonic() - ctx.at <= self.ttl else None

    def get(self, sender: str) -> Context:
        with self._lock:
            ctx = self._items.get(sender)
            if ctx is None or time.monotonic() - ctx.at > self.ttl:
                ctx = Context()
            ctx.at = time.monotonic()
            self._items[sender] = ctx
            self._items.move_to_end(sender)
            while len(self._items) > self.max_senders:
                self._items.popitem(last=False)
            return ctx
