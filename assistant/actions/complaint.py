"""接诉即办 in the conversation: the complaint form, its checks and filing; a ticket looked up.

The form asks: category → what happened → where → contact (or anonymous) → confirm. The
opening message often says most of it ("楼下饭店油烟太大了"), so it pre-fills the category
(by the 12345 rules) and the description. Contacts are shown masked and leave the slots when
the form ends; the complaint connector stores them encrypted.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from assistant.actions.in_form import PRIVACY, hotline_answer
from assistant.actions.protocol import ActionRegistry, Result, Tracker, validated
from assistant.actions.service import clear_forms, context_of
from assistant.replies import Button, Reply
from connectors.complaint.protocol import (
    CATEGORIES,
    TICKET_NUMBER_RE,
    ComplaintError,
    ComplaintService,
    Ticket,
    TicketRequest,
)
from nlu.clauses import is_question
from nlu.normalize import normalize
from nlu.pii import find_mobile, mask_phone

if TYPE_CHECKING:
    from assistant.retrieval_dialogue import RetrievalDialogue

ASK_WORDS = (
    "我要投诉",
    "我要举报",
    "我要反映问题",
    "我要反映",
    "我想提个建议",
    "我要求助",
    "我需要求助",
    "投诉",
    "举报",
    "求助",
    "建议",
)
ANONYMOUS_WORDS = ("匿名", "不留", "不想留", "不方便留")
_ADDRESS = re.compile(
    r"(?:[\u4e00-\u9fa5]{1,4}区)?[\u4e00-\u9fa5]{1,10}(?:路|街|大道|巷|胡同|里|村|小区|花园|广场|大厦|市场)"
    r"(?:[0-9一二三四五六七八九十]+(?:号院|号楼|号|弄|栋|幢|单元|室|楼))*"
)
_SPEECH = re.compile(r"投诉|举报|反映|求助|建议|我们|我家|我|你们|的|在|说")
_SUFFIX = re.compile(
    r"(?:路|街|大道|巷|胡同|里|村|小区|花园|广场|大厦|市场)(?:[0-9一二三四五六七八九十]+(?:号院|号楼|号|弄|栋|幢|单元|室|楼))*$"
)


def _opening_category(text: str) -> str | None:
    for category in ("举报", "求助", "建议", "投诉", "咨询"):
        if category in text:
            return category
    return None


_WHEN_ANSWERED = re.compile(
    r"(?:多久|几天|多长时间|什么时候|啥时候|多快).{0,6}(?:回复|答复|回电|处理|办结|解决|有结果|有人管|有人来|有个说法|有说法|给说法|有回音|有信)"
    r"|(?:回复|答复|处理|办结|解决).{0,4}(?:要多久|多久|几天|多长时间)"
)
WHEN_ANSWERED = (
    "提交后立刻生成工单并转给承办部门，回执里写明承诺响应和办结的日期（按工作日计算，紧急的当天处理）；"
    "可凭工单号随时查询进度。"
)


def register(actions: ActionRegistry, complaints: ComplaintService, dialogue: RetrievalDialogue) -> None:
    store = dialogue.store

    def district_in(*texts: str) -> str | None:
        """The district a text names, among those of the published guides' halls (read per ticket)."""
        districts = sorted({h.district for g in store.published("guide") for h in g.halls})
        return next((d for t in texts for d in districts if d in t or d.removesuffix("区") in t), None)

    @actions.register("action_prepare_complaint")
    def prepare(t: Tracker) -> Result:
        result = clear_forms(Result())
        text = t.text.strip()
        if text.startswith("/"):
            return result
        if t.intent == "complain" and dialogue.asks_about_service(context_of(t), text):
            # Rasa read a complaint in "周六车管所上班吗": answer it, and open no form
            return actions.call("action_converse", t).then("action_listen")
        rest = text
        for word in ASK_WORDS:
            rest = rest.replace(word, "")
        rest = rest.strip(" ，,。：:")
        category = _opening_category(text)
        if len(rest) >= 6:  # the opening message already tells what happened
            result.set(complaint_description=text, complaint_category=category or complaints.classify(text))
            place = location_in(text)
            if place:
                result.set(complaint_location=place)
        elif category:
            result.set(complaint_category=category)
        phone = find_mobile(text)
        if phone:
            result.set(complaint_contact=phone)
        elif any(w in text for w in ANONYMOUS_WORDS):
            result.set(complaint_contact="anonymous")
        return result

    def location_in(text: str) -> str | None:
        """ "西城区建设街12号楼下的饭店…" → "西城区建设街12号" (a district or a street address)."""
        districts = sorted(
            {h.district for g in store.published("guide") for h in g.halls}, key=len, reverse=True
        )
        for found in _ADDRESS.finditer(text):
            place = _SPEECH.split(found.group(0))[-1]  # "我要投诉小区…": words of the message, no place
            place = re.sub(r"^(?:我家|我们家|我们|家|楼下|门口|对面|附近|就在|在)+", "", place)
            if len(_SUFFIX.sub("", _SUFFIX.sub("", place))) >= 2:  # a name before 小区/路/街: "幸福小区", not "小区(里)"
                return place
        return next((d for d in districts if d in text), None)

    @actions.register("validate_complaint_form")
    def validate(t: Tracker) -> Result:
        slot = t.slot("requested_slot")
        if slot in ("complaint_location", "complaint_contact", "complaint_category", "complaint_confirm") and not find_mobile(
            t.text
        ):
            if slot != "complaint_location" or not _ADDRESS.search(t.text):
                if is_question(t.text):  # "为啥要手机号？会不会泄露" is no location and no phone
                    hotline = hotline_answer(normalize(t.text).replace(" ", ""))
                    if hotline:
                        return Result().say(hotline).set(**{slot: None})
                    if _WHEN_ANSWERED.search(t.text):  # "反映了以后多久能有回复"
                        return Result().say(Reply(WHEN_ANSWERED)).set(**{slot: None})
                    asked = slot == "complaint_contact" or bool(
                        re.search(r"手机|电话|号码|泄露|隐私|知道是我", t.text)
                    )
                    reply = (
                        Reply(PRIVACY)
                        if asked
                        else Reply("这个问题我先记下。我们先把要反映的事说清楚，提交后承办部门会联系您。")
                    )
                    return Result().say(reply).set(**{slot: None})
        return validated(t, check, skip=["complaint_confirm"])

    def check(slot: str, text: str) -> tuple[str | None, str | None] | None:
        if slot == "complaint_category":
            category = next((c for c in CATEGORIES if c in text), None)
            return category, None if category else f"请从 {'、'.join(CATEGORIES)} 里选一类。"
        if slot == "complaint_description":
            ok = 5 <= len(text) <= 2000
            return (text, None) if ok else (None, "请把事情的经过说得具体一些（5 到 2000 字）。")
        if slot == "complaint_location":
            return (text, None) if len(text) >= 2 else (None, "请说一下具体地点，比如“西城区建设街12号”。")
        if slot == "complaint_contact":
            phone = find_mobile(text)
            contact = phone or ("anonymous" if any(w in text for w in ANONYMOUS_WORDS) else None)
            return contact, None if contact else "请留下 11 位手机号，或者回复“匿名”。"
        return None

    def contact_text(contact: str | None) -> str:
        return "匿名（不接收回复）" if contact == "anonymous" else f"手机 {mask_phone(contact or '')}"

    @actions.register("action_ask_complaint_confirm")
    def ask_confirm(t: Tracker) -> Result:
        text = (
            "请核对要提交的内容：\n"
            f"类别：{t.slot('complaint_category')}\n"
            f"经过：{t.slot('complaint_description')}\n"
            f"地点：{t.slot('complaint_location')}\n"
            f"联系方式：{contact_text(t.slot('complaint_contact'))}\n确认提交到 12345 吗？"
        )
        return Result().say(Reply(text, [Button("确认提交", "/affirm"), Button("取消", "/deny")]))

    @actions.register("action_submit_complaint")
    def submit(t: Tracker) -> Result:
        result = clear_forms(Result())
        if t.slot("complaint_confirm") is not True:
            return result.say(Reply("好的，这次没有提交。需要时随时说“我要反映问题”。"))
        contact = t.slot("complaint_contact")
        location = t.slot("complaint_location") or ""
        description = t.slot("complaint_description") or ""
        key = "|".join((t.sender_id, description, location, contact or ""))
        request = TicketRequest(
            description=description,
            category=t.slot("complaint_category"),
            district=district_in(location, description) or t.slot("region"),
            location=location,
            contact_phone=None if contact == "anonymous" else contact,
            anonymous=contact == "anonymous",
            channel=t.channel,
            idempotency_key="chat:" + hashlib.sha256(key.encode()).hexdigest()[:32],
        )
        try:
            ticket = complaints.file(request)
        except ComplaintError as exc:
            return result.say(Reply(exc.user_message))
        return result.say(filed(ticket))

    def filed(ticket: Ticket) -> Reply:
        reply = "我们会尽快联系您" if not ticket.anonymous else "匿名反映不会收到回复"
        text = (
            f"已受理，工单号：{ticket.number}\n类别：{ticket.category}（{ticket.urgency}）\n"
            f"已转交：{ticket.department}\n承诺 {ticket.respond_by:%m月%d日} 前响应、"
            f"{ticket.resolve_by:%m月%d日} 前办结，{reply}。可凭工单号随时查询进度。"
        )
        return Reply(text, [Button("查询工单", "/query_ticket")], receipt=receipt(ticket))

    def receipt(ticket: Ticket) -> dict:
        return {"kind": "ticket", "number": ticket.number, "status": ticket.status}

    @actions.register("validate_ticket_form")
    def validate_ticket(t: Tracker) -> Result:
        return validated(t, check_ticket_number)

    def check_ticket_number(slot: str, text: str) -> tuple[str | None, str | None] | None:
        if slot != "ticket_number":
            return None
        found = TICKET_NUMBER_RE.search(text.upper().replace(" ", ""))
        return (found.group(0), None) if found else (None, "工单号是 GD 开头的 16 位编号，请核对后再输入。")

    @actions.register("action_query_ticket")
    def query_ticket(t: Tracker) -> Result:
        result = clear_forms(Result())
        try:
            ticket = complaints.get(t.slot("ticket_number"))
        except ComplaintError as exc:
            return result.say(Reply(exc.user_message))
        latest = ticket.history[-1] if ticket.history else None
        text = (
            f"工单 {ticket.number}：{ticket.status}\n类别：{ticket.category}；承办：{ticket.department}\n"
            f"承诺 {ticket.resolve_by:%m月%d日} 前办结"
        )
        if latest and latest.note:
            text += f"\n最新进展：{latest.note}"
        return result.say(Reply(text, receipt=receipt(ticket)))
