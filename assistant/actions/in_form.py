"""Questions a citizen asks in the middle of a form ("为啥要手机号？会不会泄露", "对了要带啥材料啊").

They are answered from the dialogue core (the guide being booked) or with how the contact is
protected, and the form asks its question again; nothing is stored as the slot's value.
"""

from __future__ import annotations

import re

from assistant.dialogue.guide_answers import named_materials
from assistant.replies import HOTLINE, Reply
from knowledge.schema import ServiceGuide
from nlu.clauses import is_question
from nlu.normalize import normalize
from nlu.phrasebook import default_phrasebook

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


_ABOUT_BOOKING = re.compile(
    r"(?:能|可以|可不可以|需要|要不要|用不用|得|必须|一定要)(?:提前|网上|线上|先)?预约|预约(?:吗|不|呢|么)|"
    r"(?:怎么|如何|在哪|哪里|去哪)预约|预约.{0,6}(?:几天|多久|提前|规定)"
)
_REQUEST = re.compile(r"帮我|给我|替我|我要|我想|想要|麻烦|请帮")


def asks_about_booking(text: str) -> bool:
    """ "想挑个好日子领证，能提前预约吗" asks whether and how to book (the guide answers it);
    "能帮我预约吗" asks for a booking."""
    norm = normalize(text).replace(" ", "")
    return is_question(norm) and bool(_ABOUT_BOOKING.search(norm)) and not _REQUEST.search(norm)


def strip_booking_words(text: str) -> str:
    """ "我要预约办结婚登记" → "结婚登记" (what is left names the service)."""
    return _BOOKING_WORDS.sub("", text).strip(" ，,。")


def in_form_answer(dialogue, text: str, guide: ServiceGuide | None, asks_contact: bool) -> Reply | None:
    """The answer to a counter-question asked inside a form, or None when ``text`` is not one."""
    if not is_question(text):
        return None
    if asks_contact and _PRIVACY.search(text) and not re.search(r"\d{7,}", text):
        return Reply(PRIVACY + "您也可以回复“算了”退出。")
    norm = normalize(text).replace(" ", "")
    hotline = hotline_answer(norm)
    if hotline:
        return hotline
    aspect = dialogue.book.aspect_of(norm)
    # "交强险我只有电子保单，行不行": a material of the guide, answered from what the guide says of it
    material = isinstance(guide, ServiceGuide) and bool(named_materials(guide, dialogue.expand(text)))
    if (aspect or material) and isinstance(guide, ServiceGuide):
        reply = dialogue.guide_followup(guide, aspect, text)
        reply.text += "\n（问完了我们接着预约。）"
        reply.buttons = []
        return reply
    if aspect:
        return Reply("这个等选好事项后我可以告诉您。我们先接着填。")
    return None


def hotline_answer(norm: str) -> Reply | None:
    """ "人工电话多少，我想直接打电话说" inside a form: the number, then the form goes on."""
    book = default_phrasebook()
    if not book.has(norm, book.small_talk["hotline"]):
        return None
    return Reply(
        f"政务服务便民热线是 {HOTLINE}（24 小时人工服务），也可以直接打过去说。"
        "想在这里接着填的话，回答下面的问题就行；回复“算了”可以退出。"
    )
