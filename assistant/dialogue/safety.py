"""Safety before everything: an emergency gets its numbers and first steps at once.

Called first by the one chat entry every channel goes through (``Conversation.turn``: web
chat, WeChat, the terminal) and again by the dialogue core, so neither Rasa mode nor the
fallback can start a form or a search on "楼下着火了".
"""

from __future__ import annotations

import re

from assistant.replies import HOTLINE, Button, Reply, payload
from foundation.shared_state import LocalState, SharedState
from nlu.safety import Emergency, SafetyCheck, default_check


def emergency_reply(emergency: Emergency, check: SafetyCheck | None = None) -> Reply:
    check = check or default_check()
    lines = [f"⚠️ {emergency.lead}"]
    lines += [f"☎ {n.name}：{n.number}" for n in emergency.numbers]
    if all(n.number != check.fallback.number for n in emergency.numbers):
        lines.append(f"☎ 打不通或不确定时：{check.fallback.name} {check.fallback.number}")
    lines.append("现在先这样做：")
    lines += [f"{i}. {step}" for i, step in enumerate(emergency.advice, start=1)]
    buttons = [
        Button(f"拨打 {n.number}", f"tel:{n.number}") for n in emergency.numbers if n.number.isdigit()
    ][:2]
    if emergency.ticket:
        lines.append(f"处理好眼前的情况后，如果需要，我可以帮您把这件事反映给 {HOTLINE}。")
        buttons.append(Button(f"向 {HOTLINE} 反映", payload("complain")))
    return Reply("\n".join(lines), buttons, urgent=True)


_FOLLOW_UP = re.compile(
    r"下不去|出不去|打不通|没人接|还没来|还在里面|困住了|不敢|怎么办|该怎么做|然后呢|接下来"
)
RECENT_SECONDS = 600
_KEY = "emergency:"


class EmergencyMemory:
    """The emergency each sender reported last, for ``RECENT_SECONDS``, so that its follow-up
    ("我们住在12楼，下不去怎么办") gets the same numbers and steps. Kept in the shared state: with
    several workers (Redis) the follow-up is recognised by whichever worker it reaches."""

    def __init__(self, state: SharedState | None = None) -> None:
        self.state = state or LocalState(max_keys=10_000)

    def remember(self, sender: str, kind: str) -> None:
        self.state.put(_KEY + sender, kind, RECENT_SECONDS)

    def get(self, sender: str) -> str | None:
        return self.state.get(_KEY + sender)


RECENT = EmergencyMemory()  # one process without a shared state (tests, the terminal chat)


def safety_replies(
    text: str,
    sender: str | None = None,
    check: SafetyCheck | None = None,
    recent: EmergencyMemory | None = None,
) -> list[Reply] | None:
    """The emergency answer when ``text`` reports one (or follows one up), else None."""
    check = check or default_check()
    recent = recent or RECENT
    found = check.detect(text)
    if found:
        if sender:
            recent.remember(sender, found.id)
        return [emergency_reply(found, check)]
    if not sender or len(text) > 40 or not _FOLLOW_UP.search(text) or text.lstrip().startswith("/"):
        return None
    kind = recent.get(sender)
    if kind:
        emergency = next((k for k in check.kinds if k.id == kind), None)
        if emergency is not None:
            return [emergency_reply(emergency, check)]
    return None
