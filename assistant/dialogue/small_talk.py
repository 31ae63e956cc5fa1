"""Small talk and the hotline: thanks, goodbye, insults (calm, never echoed), "你是机器人吗", "人工/热线电话多少".

Thanks and goodbye count only when nothing else is said ("谢谢，没别的了" is a goodbye;
"谢谢，那要带什么" is a follow-up), so a question is never taken for the end of a conversation.
"""

from __future__ import annotations

from assistant.replies import HOTLINE, Button, Reply, human_handoff, payload
from nlu.phrasebook import Phrasebook

GREETING = "您好，我是一窗导办小助手。可以问我“某件事怎么办、要带什么”，也可以办“一件事”清单、预约办理、反映问题（12345）。"
ANYTHING_ELSE = "好的。还有别的要办或要问的吗？"


def _menu() -> list[Button]:
    return [
        Button("我想开个小饭馆", "我想开个小饭馆"),
        Button("预约办理", "/book"),
        Button("反映问题", "/complain"),
    ]


def small_talk(normalized: str, book: Phrasebook, topic_phone: str | None = None) -> Reply | None:
    """The answer when the message is small talk, else None. ``topic_phone``: the consult phone of
    the guide in focus, offered beside the hotline."""
    talk = book.small_talk
    if book.has(normalized, talk["insult"]):
        return Reply(
            "抱歉没能让您满意。我是办事咨询助手，您说说想办什么事，我尽量说清楚；也可以回复“转人工”，或拨打 "
            f"{HOTLINE} 热线。",
            [Button("转人工", payload("human_handoff"))],
        )
    if book.has(normalized, talk["handoff"]):
        return human_handoff()
    if book.has(normalized, talk["hotline"]) and len(normalized) <= 20:
        extra = f"这个事项的咨询电话是 {topic_phone}；" if topic_phone else ""
        return Reply(
            f"{extra}政务服务便民热线是 {HOTLINE}（24 小时人工服务）。在这里也可以回复“转人工”。",
            [Button(f"拨打 {HOTLINE}", f"tel:{HOTLINE}"), Button("转人工", payload("human_handoff"))],
        )
    if book.has(normalized, talk["bot"]) and len(normalized) <= 16:
        return Reply(
            "我是一窗导办的智能助手，不是真人，回答来自政府部门发布的办事指南。需要真人服务可以回复“转人工”，或拨打 "
            f"{HOTLINE}。",
            [Button("转人工", payload("human_handoff"))],
        )
    said = [g for g in ("goodbye", "thanks", "greet") if book.has(normalized, talk[g])]
    if said and len(book.residue(normalized, "goodbye", "thanks", "greet")) <= 1:
        if "goodbye" in said:
            return Reply("不客气，祝您办事顺利！有问题随时来问。")
        if "thanks" in said:
            return Reply("不客气，很高兴能帮到您。还有别的要办的吗？")
        return Reply(GREETING, _menu())
    return None
