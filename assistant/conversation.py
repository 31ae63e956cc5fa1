"""One chat turn: the dialogue server (Rasa) first, the app's own conversation when it cannot.

Rasa answers everything it can (forms for booking and complaints included). When it is
down, slower than ``rasa_timeout``, has no model, or answers with an error, the turn is
served by ``RetrievalDialogue`` instead (service questions still answered; booking and
complaint said to be temporarily unavailable) and Rasa is left alone for ``rasa_retry_after``
seconds so citizens do not wait for the timeout on every turn. Then it is tried again, and
conversations go on through it.
"""

from __future__ import annotations

import time
from typing import Literal

import httpx

from assistant.actions.protocol import from_rasa
from assistant.dialogue.safety import safety_replies
from assistant.logs import get_logger
from assistant.replies import Reply, unavailable
from assistant.retrieval_dialogue import RetrievalDialogue
from nlu.safety import default_check

log = get_logger(__name__)
Mode = Literal["rasa", "retrieval", "unavailable", "safety"]


class Conversation:
    def __init__(
        self,
        fallback: RetrievalDialogue | None,
        rasa_url: str = "",
        timeout: float = 2.0,
        retry_after: float = 10.0,
    ) -> None:
        self.fallback = fallback
        default_check()  # the emergencies table is checked at start: a mistake stops it with file/line
        self.rasa_url = rasa_url.rstrip("/")
        self.retry_after = retry_after
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 0.5)))
        self._skip_until = 0.0  # a float assignment: no lock needed between threads

    def respond(self, sender: str, text: str) -> list[Reply]:
        return self.turn(sender, text)[1]

    def turn(self, sender: str, text: str) -> tuple[Mode, list[Reply]]:
        urgent = safety_replies(text)  # emergencies first, in every channel and mode
        if urgent:
            return "safety", urgent
        replies = self._ask_rasa(sender, text)
        if replies:
            return "rasa", replies
        if self.fallback is None:
            return "unavailable", [unavailable("在线咨询")]
        return "retrieval", self.fallback.respond(sender, text)

    @property
    def rasa_available(self) -> bool:
        return bool(self.rasa_url) and time.monotonic() >= self._skip_until

    def _ask_rasa(self, sender: str, text: str) -> list[Reply]:
        if not self.rasa_available:
            return []
        try:
            response = self._client.post(
                f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            response.raise_for_status()
            messages = response.json()
            if not isinstance(messages, list):
                raise ValueError("not a list of messages")
        except (httpx.HTTPError, ValueError) as exc:
            self._skip_until = time.monotonic() + self.retry_after
            log.warning("dialogue server unavailable, answering without it", error=type(exc).__name__)
            return []
        return from_rasa(messages)

    def close(self) -> None:
        self._client.close()
