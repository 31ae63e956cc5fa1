"""Rasa's state after each action is mirrored into the app's own conversation memory, so a
turn answered without Rasa goes on with the same topic and the same form question."""

from __future__ import annotations

from assistant.actions.service import context_after
from tests.assistant.test_actions import call

LICENCE_LOST = "370199-000103002000-XK-002-01"


def body(action, slots=None, active_loop=None):
    return {
        "next_action": action,
        "sender_id": "web:m",
        "tracker": {"sender_id": "web:m", "slots": dict(slots or {}), "latest_message": {"text": "x"},
                    "events": [], "active_loop": {"name": active_loop} if active_loop else {}},
    }  # fmt: skip


def test_the_form_rasa_is_activating_is_known_from_its_validation_call():
    ctx = context_after(body("validate_booking_form", {"booking_service": "G1"}), {"events": []})
    assert ctx.form["name"] == "booking_form" and ctx.form["slots"]["booking_service"] == "G1"


def test_the_question_a_form_asks_becomes_the_requested_slot():
    ctx = context_after(body("action_ask_booking_date", {"booking_service": "G1"}, "booking_form"), {"events": []})
    assert ctx.form["slots"]["requested_slot"] == "booking_date"


def test_a_form_ended_by_an_action_leaves_no_form_and_the_topic_is_kept():
    events = [{"event": "active_loop", "name": None}, {"event": "slot", "name": "service_code", "value": "G2"},
              {"event": "slot", "name": "service_kind", "value": "guide"}]  # fmt: skip
    ctx = context_after(body("action_stop_form", {}, "booking_form"), {"events": events})
    assert ctx.form is None and (ctx.kind, ctx.code) == ("guide", "G2")


def test_the_webhook_mirrors_the_topic_into_the_fallback(app_client, stub_retriever):
    client = app_client(stub_retriever)
    call(client, "action_converse", text="驾照丢了怎么补", intent="ask_service", sender="web:m")
    memory = client.app.state.services.dialogue.memory
    assert memory.get("web:m").code == LICENCE_LOST
