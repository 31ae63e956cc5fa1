"""Rasa's action-server protocol, the part the app serves (what rasa-sdk's executor does).

Rasa POSTs ``{"next_action", "sender_id", "tracker", "domain", "version"}`` to the action
endpoint and expects ``{"events": [...], "responses": [...]}``; an unknown action is answered
with 404 and ``{"error", "action_name"}``. Responses are channel-neutral ``Reply`` objects:
plain text with buttons goes as Rasa's ``text``/``buttons``; a reply with a checklist or a
hand-off goes whole as ``custom`` so the app gets it back intact from Rasa's REST channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.replies import Reply


@dataclass
class Tracker:
    """A read-only view of the conversation state Rasa sends with each action call."""

    sender_id: str
    slots: dict[str, Any]
    latest_message: dict[str, Any]
    events: list[dict[str, Any]]
    active_loop: str | None

    @classmethod
    def from_request(cls, body: dict[str, Any]) -> Tracker:
        tracker = body.get("tracker") or {}
        return cls(
            sender_id=str(body.get("sender_id") or tracker.get("sender_id") or ""),
            slots=dict(tracker.get("slots") or {}),
            latest_message=dict(tracker.get("latest_message") or {}),
            events=list(tracker.get("events") or []),
            active_loop=(tracker.get("active_loop") or {}).get("name"),
        )

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def text(self) -> str:
        return str(self.latest_message.get("text") or "")

    @property
    def intent(self) -> str:
        return str((self.latest_message.get("intent") or {}).get("name") or "")

    def entity(self, name: str) -> str | None:
        values = [e.get("value") for e in self.latest_message.get("entities") or [] if e.get("entity") == name]
        return str(values[-1]) if values and values[-1] is not None else None

    def slots_to_validate(self) -> dict[str, Any]:
        """Slots set since the user's last message (what a form's validation must check).

        ``requested_slot`` is the form's own bookkeeping, never a citizen's answer: handing it
        back would tell Rasa to ask the same question again.
        """
        changed: dict[str, Any] = {}
        for event in reversed(self.events):
            if event.get("event") == "user":
                break
            if event.get("event") == "slot" and event.get("name") != "requested_slot":
                changed.setdefault(event["name"], event.get("value"))
        return changed

    @property
    def channel(self) -> str:
        return self.sender_id.split(":", 1)[0] if ":" in self.sender_id else "web"


@dataclass
class Result:
    """What an action hands back: events for the tracker and replies for the citizen."""

    replies: list[Reply] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, *replies: Reply) -> Result:
        self.replies.extend(replies)
        return self

    def set(self, **slots: Any) -> Result:
        self.events.extend(slot_set(k, v) for k, v in slots.items())
        return self

    def end_loop(self) -> Result:
        self.events.append({"event": "active_loop", "name": None})
        return self

    def slot(self, name: str) -> Any:
        """The value this result sets ``name`` to (the last one), or None."""
        values = [e["value"] for e in self.events if e.get("event") == "slot" and e.get("name") == name]
        return values[-1] if values else None

    def then(self, action: str) -> Result:
        """Make ``action`` the next one Rasa runs (a form to open, or ``action_listen``)."""
        self.events.append({"event": "followup", "name": action})
        return self

    def as_response(self) -> dict[str, Any]:
        return {"events": self.events, "responses": [to_rasa(r) for r in self.replies]}


Check = Callable[[str, str], "tuple[Any, str | None] | None"]


def validated(t: Tracker, check: Check, skip: Iterable[str] = ()) -> Result:
    """A form's validation action: every slot the form just filled goes through ``check(slot,
    text)``, which gives (the value to keep, or None to ask again; a problem to tell the citizen)
    or None for a slot it does not look at."""
    result, skip = Result(), set(skip)
    for slot, value in t.slots_to_validate().items():
        if value is None or slot in skip:
            continue
        checked = check(slot, str(value).strip())
        if checked is None:
            continue
        kept, problem = checked
        result.set(**{slot: kept})
        if problem:
            result.say(Reply(problem))
    return result


def slot_set(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def to_rasa(reply: Reply) -> dict[str, Any]:
    if reply.rich:
        return {"custom": reply.as_dict()}
    out: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        out["buttons"] = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    return out


def from_rasa(messages: Iterable[dict[str, Any]]) -> list[Reply]:
    """Rasa's REST channel output back into replies (the inverse of ``to_rasa``)."""
    replies: list[Reply] = []
    for m in messages:
        custom = m.get("custom")
        if isinstance(custom, dict) and "text" in custom:
            replies.append(Reply.from_dict(custom))
        elif m.get("text") is not None:
            replies.append(Reply.from_dict(m))
    return replies


Action = Callable[[Tracker], Result]


class UnknownAction(LookupError):
    pass


class ActionRegistry:
    """Action names → functions; one registry serves the whole domain."""

    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def register(self, name: str) -> Callable[[Action], Action]:
        def add(fn: Action) -> Action:
            if name in self._actions:
                raise ValueError(f"action {name} registered twice")
            self._actions[name] = fn
            return fn

        return add

    @property
    def names(self) -> list[str]:
        return sorted(self._actions)

    def run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.call(str(body.get("next_action") or ""), Tracker.from_request(body)).as_response()

    def call(self, name: str, t: Tracker) -> Result:
        """Run one action on a tracker: what Rasa asks for, or one action handing over to another."""
        action = self._actions.get(name)
        if action is None:
            raise UnknownAction(name)
        return action(t)
