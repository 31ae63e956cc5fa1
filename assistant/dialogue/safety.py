"""Safety before everything: an emergency gets its numbers and first steps at once.

Called first by the one chat entry every channel goes through (``Conversation.turn``: web
chat, WeChat, the terminal) and again by the dialogue core, so neither Rasa mode nor the
fallback can start a form or a search on "楼下着火了".
"""

from __future__ import annotations

from assistant.replies import HOTLINE, Button, Reply, payload
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
    return Reply("\n".join(lines), buttons)


def safety_replies(text: str, check: SafetyCheck | None = None) -> list[Reply] | None:
    """The emergency answer when ``text`` reports one, else None."""
    check = check or default_check()
    found = check.detect(text)
    return [emergency_reply(found, check)] if found else None
