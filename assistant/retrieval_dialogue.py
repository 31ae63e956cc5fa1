"""The app's own driver of the dialogue core, for when Rasa is absent, slow or has no model.

The meaning of each message is decided by the same core Rasa's actions use
(``assistant.dialogue.core``); this driver only keeps each sender's context in memory and
recognises, by the phrasebook's words, what Rasa's intents would start (hand-off, forms). Forms
run through the same actions Rasa calls (``assistant.dialogue.forms``), so booking and complaint
keep working, with the same questions and checks, while Rasa is down or slow.
"""

from __future__ import annotations

from assistant.dialogue.context import Context, ConversationMemory
from assistant.dialogue.core import DialogueCore
from assistant.dialogue.forms import INTENT_OF_FORM_WORDS, FormRunner
from assistant.dialogue.payloads import parse_payload
from assistant.dialogue.safety import EmergencyMemory, safety_replies
from assistant.replies import Reply, human_handoff, unavailable
from knowledge.store import ContentStore
from knowledge.unanswered import UnansweredLog
from nlu.clauses import is_question
from nlu.normalize import normalize

__all__ = ["Context", "ConversationMemory", "RetrievalDialogue", "parse_payload"]
FORM_NAMES = {"booking": "预约", "booking_lookup": "预约", "booking_cancel": "预约", "complaint": "投诉和反映问题", "ticket_lookup": "投诉和反映问题"}  # fmt: skip


class RetrievalDialogue(DialogueCore):
    def __init__(
        self,
        retriever,
        store: ContentStore,
        memory: ConversationMemory | None = None,
        unanswered: UnansweredLog | None = None,
    ) -> None:
        super().__init__(retriever, store, unanswered)
        self.memory = memory or ConversationMemory()
        self.recent = EmergencyMemory(self.memory.state)  # shared like the conversations
        self.forms: FormRunner | None = None  # attached once the actions exist (build_actions)

    def respond(self, sender: str, text: str) -> list[Reply]:
        """One turn without Rasa: emergencies first, then hand-off and forms by their words."""
        urgent = safety_replies(text, sender, recent=self.recent)
        if urgent:
            return urgent
        ctx = self.memory.get(sender)
        try:
            return self._respond(ctx, sender, text)
        finally:  # kept where every worker finds it (the shared state), even after an error
            self.memory.put(sender, ctx)

    def _respond(self, ctx: Context, sender: str, text: str) -> list[Reply]:
        parsed = parse_payload(text)
        if ctx.form and self.forms is not None:
            return self.forms.step(ctx, sender, text, parsed)
        if parsed is None:
            norm = normalize(text).replace(" ", "")
            if self.book.has(norm, self.book.small_talk["handoff"]):
                return [human_handoff()]
            form = self.form_by_words(text)
            if form:
                if self.forms is None:
                    return [unavailable(FORM_NAMES[form])]
                return self.forms.start(ctx, sender, text, INTENT_OF_FORM_WORDS[form], {})
        elif self.forms is not None and self.forms.wanted(text, parsed):
            return self.forms.start(ctx, sender, text, *self.forms.wanted(text, parsed))
        return self.turn(ctx, text, source=sender.split(":", 1)[0] if ":" in sender else "web", sender=sender)

    def in_form(self, sender: str) -> bool:
        """A booking or complaint form of this driver is open for ``sender``."""
        ctx = self.memory.peek(sender)
        return bool(ctx and ctx.form)

    def form_by_words(self, text: str) -> str | None:
        """The form the message's words ask for (the phrasebook's ``forms``), as both drivers read it."""
        norm = normalize(text).replace(" ", "")
        for form in ("booking_cancel", "booking_lookup", "ticket_lookup", "booking", "complaint"):
            if self.book.has(norm, self.book.forms[form]) and not self.names_a_service_with(norm, form):
                return form
        return "complaint" if self.tells_a_grievance(norm) else None

    def tells_a_grievance(self, norm: str) -> bool:
        """ "小区停水三天了也没个通知…", "包工头一直拖着工资不给…": a problem told without the word
        投诉, that no service answers (a question near some service stays a question)."""
        if not self.book.has(norm, self.book.grievance):
            return False
        decision = self.retriever.search(norm, top_k=1).decision
        return decision == "none" or (decision == "clarify" and not is_question(norm))

    def names_a_service_with(self, norm: str, form: str) -> bool:
        """ "网络预约出租汽车驾驶员证" names a service that has 预约 in it: a question, not a booking."""
        if form != "booking":
            return False
        result = self.retriever.search(norm, top_k=1)
        top = result.results[0] if result.results else None
        return bool(
            top
            and result.decision == "answer"
            and any(w in normalize(top.name) for w in self.book.forms[form])
        )
