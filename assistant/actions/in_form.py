"""Questions a citizen asks in the middle of a form ("为啥要手机号？会不会泄露", "对了要带啥材料啊").

They are answered from the dialogue core (the guide being booked) or with how the contact is
protected, and the form asks its question again; nothing is stored as the slot's value.
"""

from __future__ import annotations

import re

from assistant.dialogue.guide_answers import answer_followup
from assistant.replies import Reply
from knowledge.schema import ServiceGuide
from nlu.normalize import normalize

_CUES = re.compile(r"[?？]|吗|为啥|为什么|干嘛|干什么|什么|怎么|啥|多少|哪|会不会|能不能|是不是|要不要")
_PRIVACY = re.compile(
    r"泄露|泄漏|隐私|安全吗|保密|卖给|骚扰|为啥要|为什么要|干嘛要|要手机|要电话|留电话|留手机"
)
_BOOKING_WORDS = re.compile(
    r"我要|我想|想要|帮我|给我|麻烦|预约|预订|排号|约个号|约一下|办理|去办|来办|办一下|^办|一下"
)
PRIVACY = (
    "手机号只用来接收预约（或办理结果）的通知、核对是您本人，加密保存；对话记录和工作人员看到的都是打码后的号码，"
    "不会用于其他用途，也不会提供给无关单位。"
)


def strip_booking_words(text: str) -> str:
    """ "我要预约办结婚登记" → "结婚登记" (what is left names the service)."""
    return _BOOKING_WORDS.sub("", text).strip(" ，,。")


def is_question(text: str) -> bool:
    return bool(_CUES.search(text))


def in_form_answer(dialogue, text: str, guide: ServiceGuide | None, asks_contact: bool) -> Reply | None:
    """The answer to a counter-question asked inside a form, or None when ``text`` is not one."""
    if not is_question(text):
        return None
    if asks_contact and _PRIVACY.search(text) and not re.search(r"\d{7,}", text):
        return Reply(PRIVACY + "您也可以回复“算了”退出。")
    norm = normalize(text).replace(" ", "")
    aspect = dialogue.book.aspect_of(norm)
    if aspect and isinstance(guide, ServiceGuide):
        reply = answer_followup(guide, aspect, text, None, dialogue.districts())
        reply.text += "\n（问完了我们接着预约。）"
        reply.buttons = []
        return reply
    if aspect:
        return Reply("这个等选好事项后我可以告诉您。我们先接着填。")
    return None
