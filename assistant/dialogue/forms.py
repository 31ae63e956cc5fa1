"""Forms without Rasa: the app runs the domain's forms itself with the very same actions.

Slot order comes from ``domain.yml`` (``forms.<name>.required_slots``), questions from the
``action_ask_<slot>`` actions or the domain's ``utter_ask_<slot>`` responses, checks from
``validate_<form>``, and the action that ends a form from ``rules.yml`` — so a booking or a
complaint asks the same things in the same order and refuses the same answers whichever
driver runs it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from assistant.dialogue.context import Context
from assistant.replies import Button, Reply, human_handoff
from nlu.clauses import is_question
from nlu.normalize import normalize
from nlu.phrasebook import Phrasebook

if TYPE_CHECKING:  # the actions package imports the dialogue: no import cycle at run time
    from assistant.actions.protocol import ActionRegistry

RASA = Path(__file__).resolve().parent.parent / "rasa"
STARTS = {  # what starts a form: intent → (form, the action Rasa's rule runs first)
    "book": ("booking_form", "action_prepare_booking"),
    "complain": ("complaint_form", "action_prepare_complaint"),
    "query_booking": ("query_booking_form", None),
    "cancel_booking": ("cancel_booking_form", None),
    "query_ticket": ("ticket_form", None),
}
INTENT_OF_FORM_WORDS = {"booking": "book", "complaint": "complain", "booking_lookup": "query_booking",
                        "booking_cancel": "cancel_booking", "ticket_lookup": "query_ticket"}  # fmt: skip
YES = ("确认", "是的", "对", "好的", "好", "可以", "没问题", "提交", "嗯", "行", "是")
NO = ("取消", "不对", "不要", "不用", "不", "否", "错了", "算了")
STOPPED = "好的，已经停止，刚才填的内容不会提交。还有别的能帮您吗？"


@cache
def domain() -> dict:
    return yaml.safe_load((RASA / "domain.yml").read_text(encoding="utf-8"))


@cache
def submit_actions() -> dict[str, str]:
    """form → the action the rules run once it is filled (read from rules.yml)."""
    rules = yaml.safe_load((RASA / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    found = {}
    for rule in rules:
        steps = rule.get("steps", [])
        if len(steps) >= 4 and "slot_was_set" in steps[2] and steps[0].get("action", "").endswith("_form"):
            found[steps[0]["action"]] = steps[-1]["action"]
    return found


def _bool_slot(name: str) -> bool:
    return domain()["slots"].get(name, {}).get("type") == "bool"


class FormRunner:
    def __init__(self, actions: ActionRegistry, book: Phrasebook) -> None:
        self.actions, self.book = actions, book

    def wanted(self, text: str, payload: tuple[str, dict] | None) -> tuple[str, dict] | None:
        """(intent, entities) when the message starts a form."""
        if payload:
            return (payload[0], payload[1]) if payload[0] in STARTS else None
        norm = normalize(text).replace(" ", "")
        for words in ("booking_cancel", "booking_lookup", "ticket_lookup", "booking", "complaint"):
            if self.book.has(norm, self.book.forms[words]):
                return INTENT_OF_FORM_WORDS[words], {}
        return None

    def start(self, ctx: Context, sender: str, text: str, intent: str, entities: dict) -> list[Reply]:
        form, prepare = STARTS[intent]
        slots = self._context_slots(ctx)
        ctx.form = {"name": form, "slots": {}}
        replies: list[Reply] = []
        if prepare:
            ents = [{"entity": k, "value": v} for k, v in entities.items()]
            result = self._run(prepare, sender, slots, text, intent, ents, form=None)
            if result["followup"] == "action_listen":  # no form after all: the message was answered
                self._end(ctx)
                answered = result["slots"]
                if answered.get("service_code"):  # and what it was about is the topic now
                    ctx.focus(answered.get("service_kind") or "guide", answered["service_code"])
                return result["replies"]
            replies += result["replies"]
            slots.update(result["slots"])
            changed = {k: v for k, v in result["slots"].items() if v is not None and k != "requested_slot"}
            if changed:
                validated = self._run(
                    f"validate_{form}", sender, slots, text, intent, [], form=form, changed=changed
                )
                replies += validated["replies"]
                slots.update(validated["slots"])
        elif text and not text.startswith("/"):  # "帮我查一下工单 GD…": the first question answered already
            first = domain()["forms"][form]["required_slots"][0]
            pre = self._run(f"validate_{form}", sender, {**slots, "requested_slot": first}, text, intent, [],
                            form=form, changed={first: text})  # fmt: skip
            slots.update({k: v for k, v in pre["slots"].items() if v is not None})
        ctx.form["slots"] = slots
        return replies + self._next(ctx, sender, text)

    def step(self, ctx: Context, sender: str, text: str, payload: tuple[str, dict] | None) -> list[Reply]:
        slots = ctx.form["slots"]
        requested = slots.get("requested_slot")
        norm = normalize(text).replace(" ", "")
        if self.book.has(norm, self.book.small_talk["handoff"]) or (
            payload and payload[0] == "human_handoff"
        ):
            self._end(ctx)
            return [human_handoff()]
        confirm = requested and _bool_slot(requested)
        if not confirm and (
            payload and payload[0] == "stop" or (len(norm) <= 6 and self.book.has(norm, self.book.stop))
        ):
            self._end(ctx)
            return [Reply(STOPPED)]
        if confirm:
            value = self._yes_no(text, payload)
            if value is None:  # "你们不会把我这号码给摆摊的吧": the validation answers it, as under Rasa
                asked = self._run(f"validate_{ctx.form['name']}", sender, slots, text, "inform", [],
                                  form=ctx.form["name"], changed={})  # fmt: skip
                return asked["replies"] + self._ask(ctx, sender, requested, text)
            slots[requested] = value
        elif requested:
            value = text.strip()
            if payload is None or payload[0] not in ("affirm", "deny"):
                value = next(iter(payload[1].values()), value) if payload and payload[1] else value
            result = self._run(f"validate_{ctx.form['name']}", sender, {**slots, requested: value}, text, "inform",
                               [], form=ctx.form["name"], changed={requested: value})  # fmt: skip
            slots[requested] = value
            slots.update(result["slots"])
            if result["ended"]:  # "算了" the words missed, caught by the validation
                self._end(ctx)
                return result["replies"]
            if result["replies"]:
                replies = result["replies"]
                if slots.get(requested) is None:  # refused or a counter-question: ask again
                    return replies + self._ask(ctx, sender, requested, text)
                return replies + self._next(ctx, sender, text)
        return self._next(ctx, sender, text)

    # -- internals -----------------------------------------------------------------------------
    def _next(self, ctx: Context, sender: str, text: str = "") -> list[Reply]:
        """Ask the next missing slot (its ask action reads ``text``, the message, as under Rasa) or submit."""
        slots = ctx.form["slots"]
        required = domain()["forms"][ctx.form["name"]]["required_slots"]
        missing = next((s for s in required if slots.get(s) is None), None)
        if missing is not None:
            return self._ask(ctx, sender, missing, text)
        name = ctx.form["name"]
        result = self._run(
            submit_actions()[name], sender, {**slots, "requested_slot": None}, "", "", [], form=None
        )
        if result["followup"] == name:  # the closing action reopened the form (a slot taken meanwhile)
            slots.update(result["slots"])
            return result["replies"] + self._next(ctx, sender, text)
        ctx.bookings = list(result["slots"].get("made_bookings") or ctx.bookings)
        self._end(ctx)
        return result["replies"]

    def _ask(self, ctx: Context, sender: str, slot: str, text: str = "") -> list[Reply]:
        slots = ctx.form["slots"]
        slots["requested_slot"] = slot
        action = f"action_ask_{slot}"
        if action in self.actions.names:
            asked = self._run(action, sender, slots, text, "", [], form=ctx.form["name"])
            slots.update(asked["slots"])  # it may ask another slot instead (a day just booked out)
            return asked["replies"]
        response = domain()["responses"].get(f"utter_ask_{slot}", [{"text": "请继续。"}])[0]
        buttons = [Button(b["title"], b["payload"]) for b in response.get("buttons", [])]
        return [Reply(response["text"], buttons)]

    def _yes_no(self, text: str, payload: tuple[str, dict] | None) -> bool | None:
        if payload:
            return {"affirm": True, "deny": False}.get(payload[0])
        norm = normalize(text).replace(" ", "")
        if len(norm) > 6 and is_question(norm):
            return None  # "你们不会把我这号码给摆摊的吧" asks something: its 不会 is no "no"
        if any(w in norm for w in NO):
            return False
        return True if any(w in norm for w in YES) else None

    def _end(self, ctx: Context) -> None:
        ctx.form = None

    def _context_slots(self, ctx: Context) -> dict:
        return ctx.as_slots()

    def _run(self, action: str, sender: str, slots: dict, text: str, intent: str, entities: list,
             *, form: str | None, changed: dict | None = None) -> dict:  # fmt: skip
        events = [{"event": "user", "text": text}]
        events += [{"event": "slot", "name": k, "value": v} for k, v in (changed or {}).items()]
        body = {
            "next_action": action,
            "sender_id": sender,
            "tracker": {
                "sender_id": sender,
                "slots": dict(slots),
                "latest_message": {"text": text, "intent": {"name": intent}, "entities": entities},
                "events": events,
                "active_loop": {"name": form} if form else {},
            },
        }
        from assistant.actions.protocol import from_rasa

        out = self.actions.run(body)  # the same JSON round trip Rasa makes
        set_slots = {e["name"]: e["value"] for e in out["events"] if e.get("event") == "slot"}
        ended = any(e.get("event") == "active_loop" and e.get("name") is None for e in out["events"])
        return {
            "replies": from_rasa(out["responses"]),
            "slots": set_slots,
            "ended": ended and form is not None,
            "followup": next((e.get("name") for e in out["events"] if e.get("event") == "followup"), None),
        }
