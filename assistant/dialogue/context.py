"""Where a conversation is: the entry in focus, the recent topics, the walk-through state.

The same ``Context`` is kept in Rasa slots (service_kind, service_code, recent_topics,
bundle_answers, ticked, pending_question) when Rasa drives, and in ``ConversationMemory``
when the app drives on its own, so both drivers see the same conversation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from foundation.shared_state import LocalState, SharedState

MAX_TOPICS = 5
_KEY = "memory:"


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
    """What each sender is talking about, kept for ``ttl`` seconds after their last message, in
    the shared state (this process's, or Redis so that every worker continues the conversation)."""

    def __init__(self, state: SharedState | None = None, ttl: float = 1800) -> None:
        self.state, self.ttl = state or LocalState(), ttl

    def peek(self, sender: str) -> Context | None:
        """The sender's context if one is kept (nothing is created or touched)."""
        raw = self.state.get(_KEY + sender)
        if raw is None:
            return None
        try:
            return Context(**json.loads(raw))
        except (ValueError, TypeError):  # written by another version of the app: as good as none
            return None

    def get(self, sender: str) -> Context:
        return self.peek(sender) or Context()

    def put(self, sender: str, ctx: Context) -> None:
        """Replace what ``sender`` is talking about: after the app's own turn, and Rasa's state
        mirrored after each of its actions."""
        self.state.put(_KEY + sender, json.dumps(asdict(ctx), ensure_ascii=False), self.ttl)
