"""Actions about services and 一件事: thin wrappers over the app's own conversation.

The service and walk-through in context live in Rasa slots (service_kind, service_code,
bundle_answers, ticked); each action rebuilds a ``Context`` from them, lets the shared turn
logic answer (the same code the degraded mode runs), and writes the context back.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.actions.protocol import ActionRegistry, Result, Tracker
from assistant.dialogue.context import Context
from assistant.dialogue.forms import STARTS
from assistant.dialogue.safety import safety_replies
from assistant.replies import Reply, guide_detail, human_handoff
from assistant.retrieval_dialogue import RetrievalDialogue
from knowledge.schema import Bundle, ServiceGuide

DOMAIN = Path(__file__).resolve().parent.parent / "rasa" / "domain.yml"


@cache
def form_slots_of() -> dict[str, tuple[str, ...]]:
    """form → the slots it asks for, in order (read once from domain.yml)."""
    forms = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["forms"]
    return {name: tuple(form["required_slots"]) for name, form in forms.items()}


def form_slots() -> tuple[str, ...]:
    """Every slot a form of the domain asks for."""
    return tuple(dict.fromkeys(s for slots in form_slots_of().values() for s in slots))


def context_of(t: Tracker) -> Context:
    return Context(
        kind=t.slot("service_kind"),
        code=t.slot("service_code"),
        answers=dict(t.slot("bundle_answers") or {}),
        done=list(t.slot("ticked") or []),
        topics=[
            list(x) for x in t.slot("recent_topics") or [] if isinstance(x, list | tuple) and len(x) == 2
        ],
        pending=t.slot("pending_question"),
        bookings=[str(n) for n in t.slot("made_bookings") or []],
    )


def context_after(body: dict[str, Any], result: dict[str, Any]) -> Context:
    """Where the conversation is once Rasa applies an action's answer: the tracker Rasa sent
    with the events the action returned (slots set, a form opened, ended or followed up).
    The app's own driver continues from it when a later turn has to be answered without Rasa."""
    t = Tracker.from_request(body)
    slots, loop = dict(t.slots), t.active_loop
    action = str(body.get("next_action") or "")
    forms = form_slots_of()
    if action.startswith("validate_") and action.removeprefix("validate_") in forms:
        loop = action.removeprefix("validate_")  # Rasa sends the tracker before the form's activation
    elif action.startswith("action_ask_"):
        asked = action.removeprefix("action_ask_")
        loop = loop or next((f for f, names in forms.items() if asked in names), None)
        slots["requested_slot"] = asked
    for event in result.get("events") or []:
        kind = event.get("event")
        if kind == "slot":
            slots[str(event.get("name"))] = event.get("value")
        elif kind == "active_loop":
            loop = event.get("name")
        elif kind == "followup" and str(event.get("name")).endswith("_form"):
            loop = event.get("name")
    ctx = context_of(Tracker(t.sender_id, slots, t.latest_message, [], loop))
    if loop in forms:
        names = (*forms[loop], "requested_slot", "region", "booking_wish")
        ctx.form = {"name": loop, "slots": {k: slots.get(k) for k in names}}
    return ctx


def remember(result: Result, ctx: Context) -> Result:
    return result.set(**ctx.as_slots())


def clear_forms(result: Result) -> Result:
    """Forget everything a form collected (phone numbers included) and any pending question."""
    return result.set(requested_slot=None, booking_wish=None, **dict.fromkeys(form_slots()))


def register(actions: ActionRegistry, dialogue: RetrievalDialogue) -> None:
    def answer(t: Tracker) -> Result:
        ctx = context_of(t)
        region = t.entity("region")
        if t.intent == "inform" and region and ctx.kind == "guide":  # "我在西城区" after an answer
            guide = dialogue.entry(ctx.code)
            if isinstance(guide, ServiceGuide):
                return Result().say(guide_detail(guide, "place", region))
        if complaint_by_words(t):  # as the fallback reads it: "路灯坏了好几天了" opens the complaint form
            return actions.call("action_prepare_complaint", t).then("complaint_form")
        replies = dialogue.turn(
            ctx, t.text, source=t.channel, confident_only=t.intent == "out_of_scope", intent=t.intent,
            sender=t.sender_id,
        )  # fmt: skip
        return remember(Result().say(*replies), ctx)

    def complaint_by_words(t: Tracker) -> bool:
        """Words that say complaint, where Rasa read something else and no service is named."""
        if t.intent in STARTS or t.text.startswith("/") or dialogue.form_by_words(t.text) != "complaint":
            return False
        if safety_replies(t.text):
            return False
        return dialogue.retriever.search(t.text, top_k=1).decision != "answer"

    # small talk, yes/no and 不/没 questions too: the core decides what they mean in context
    names = ("action_answer_service", "action_answer_detail", "action_start_bundle", "action_bundle_step")
    for name in (*names, "action_converse"):
        actions.register(name)(answer)

    @actions.register("action_tick_item")
    def tick_item(t: Tracker) -> Result:
        ctx = context_of(t)
        if ctx.kind != "bundle":
            return Result().say(
                Reply(
                    "请先告诉我您要办的“一件事”（比如“我想开个小饭馆”），我列出清单后再帮您划掉已有的材料。"
                )
            )
        bundle = dialogue.entry(ctx.code)
        # "社保卡已经有了" may answer the question still open ("是否已有社会保障卡？")
        replies = dialogue.in_bundle(ctx, bundle, t.text, ticking=True) if isinstance(bundle, Bundle) else None
        if replies is None:
            return Result().say(
                Reply("没有在您的清单里找到这份材料，请说出清单上的材料名称，比如“营业执照我已经有了”。")
            )
        return remember(Result().say(*replies), ctx)

    @actions.register("action_human_handoff")
    def handoff(t: Tracker) -> Result:
        return clear_forms(Result().say(human_handoff()))

    @actions.register("action_stop_form")
    def stop_form(t: Tracker) -> Result:
        return clear_forms(Result().say(Reply("好的，已经停止，刚才填的内容不会提交。还有别的能帮您吗？")))
