"""The dialogue server's custom actions, served by the app (Rasa's action-server protocol).

Actions are thin: the knowledge base is asked through the app's own conversation
(``RetrievalDialogue``), bookings and tickets through the connectors' Protocols.
"""

from __future__ import annotations

from assistant.actions import booking, complaint, service
from assistant.actions.protocol import ActionRegistry, UnknownAction, from_rasa
from assistant.dialogue.forms import FormRunner
from assistant.retrieval_dialogue import RetrievalDialogue
from connectors.booking.protocol import BookingService
from connectors.complaint.protocol import ComplaintService

__all__ = ["ActionRegistry", "UnknownAction", "build_actions", "from_rasa"]


def build_actions(
    dialogue: RetrievalDialogue, booking_service: BookingService, complaints: ComplaintService
) -> ActionRegistry:
    actions = ActionRegistry()
    service.register(actions, dialogue)
    booking.register(actions, dialogue, booking_service)
    complaint.register(actions, complaints, dialogue)
    dialogue.forms = FormRunner(actions, dialogue.book)  # the same forms when the app drives alone
    return actions
