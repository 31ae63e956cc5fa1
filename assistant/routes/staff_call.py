"""What a hotline operator needs during a live call: the 答复口径 as spoken text (no web addresses
to read out; for a 一件事 it follows the caller's answers instead of asking the bot's first
question), the caller's existing tickets and bookings by phone (masked, each look-up logged with
the operator's name in the audit trail), and a ticket draft from the caller's words. Logged-in
staff only."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from assistant.deps import AuditDep, BookingDep, ComplaintsDep, StaffSession, StoreDep, require
from assistant.logs import get_logger
from assistant.replies import guide_answer
from assistant.routes.guides import bundle_guides
from assistant.schemas import CallerOut
from connectors.booking.protocol import BookingError
from knowledge.checklist import ChecklistError, build_checklist
from knowledge.schema import Bundle, ServiceGuide
from knowledge.store import MissingEntryError
from nlu.pii import mask_phone

log = get_logger(__name__)
router = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(require("staff"))])
URL_RE = re.compile(r"https?://\S+")
PHONE_RE = re.compile(r"^(1\d{10}|0\d{9,11}|\d{7,8})$")


class ScriptIn(BaseModel):
    answers: dict[str, str] = Field(default_factory=dict, description="一件事的问题 id -> 来电人选的选项 value")
    district: str | None = Field(default=None, max_length=20)


class ScriptOut(BaseModel):
    code: str
    name: str
    text: str
    ask_next: list[str] = Field(default_factory=list, description="一件事还要问来电人的问题")


class DraftIn(BaseModel):
    text: str = Field(max_length=2000, description="来电人的原话")


class DraftOut(BaseModel):
    category: str
    description: str


def spoken(text: str, name: str) -> str:
    """Read-out text: a web address is replaced by where to find it."""
    return URL_RE.sub(f"可在政务服务网搜索“{name}”", text)


def _published(store, code: str):
    try:
        return store.get(code).content
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有找到编码为 {code} 的已发布条目") from None


def guide_script(guide: ServiceGuide, district: str | None) -> ScriptOut:
    return ScriptOut(code=guide.code, name=guide.name, text=spoken(guide_answer(guide, district).text, guide.name))


def bundle_script(store, bundle: Bundle, answers: dict[str, str]) -> ScriptOut:
    """What applies to this caller, given the answers so far; the questions still to ask come first."""
    try:
        checklist = build_checklist(bundle, bundle_guides(store, bundle), answers, [])
    except ChecklistError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    questions = {q.id: q.text for q in bundle.questions}
    ask = [questions[qid] for qid in checklist.unanswered if qid in questions]
    lines = [f"【{bundle.name}】"]
    if ask:
        lines.append(f"（还要问来电人：{'；'.join(ask)}）")
    lines.append(f"按您的情况，一次申请，{len(checklist.guides)} 个事项联办：")
    lines += [f"{i}. {g.name}（{g.department}）" for i, g in enumerate(checklist.guides, 1)]
    lines.append("需要准备的材料：")
    for m in checklist.materials:
        marks = "，免提交" if m.exempt else ""
        marks += "，可以容缺后补" if m.can_defer else ""
        lines.append(f"· {m.name}：{'、'.join(m.forms)}{marks}")
    lines.append(f"统一窗口：{checklist.single_window}")
    if checklist.total_days is not None:
        lines.append(f"承诺 {checklist.total_days} 个工作日内办结")
    return ScriptOut(code=bundle.code, name=bundle.name, text=spoken("\n".join(lines), bundle.name), ask_next=ask)


@router.post("/script/{code}", response_model=ScriptOut)
def script_for_caller(code: str, body: ScriptIn, store: StoreDep) -> ScriptOut:
    """The 答复口径 for this caller: a guide with halls in their district first, a 一件事 following
    the answers the operator has picked."""
    content = _published(store, code)
    if isinstance(content, ServiceGuide):
        return guide_script(content, body.district)
    return bundle_script(store, content, body.answers)


@router.get("/caller", response_model=CallerOut)
def caller(
    complaints: ComplaintsDep,
    booking: BookingDep,
    session: StaffSession,
    audit: AuditDep,
    phone: str = Query(max_length=20, description="来电号码"),
) -> dict:
    """A caller's tickets and bookings by phone number (contacts masked). Every look-up is in the
    audit trail (action ``caller_lookup``) with the operator, the masked number and what was found."""
    phone = re.sub(r"[\s-]", "", phone)
    if not PHONE_RE.match(phone):
        raise HTTPException(status_code=422, detail="电话号码格式不对：手机号 11 位，座机含区号")
    tickets = [t.as_dict() for t in complaints.by_phone(phone)]
    bookings, bookings_note = [], ""
    try:
        bookings = [b.as_dict() for b in booking.find(phone=phone)] if phone.startswith("1") else []
    except BookingError as exc:  # an external booking system that is down or keeps its own lists
        bookings_note = exc.user_message
    audit.record(
        session.user.username, "caller_lookup", kind="caller", code=mask_phone(phone),
        detail={"tickets": len(tickets), "bookings": len(bookings)},
    )  # fmt: skip
    log.info(
        "caller looked up",
        operator=session.user.username,
        phone=mask_phone(phone),
        tickets=len(tickets),
        bookings=len(bookings),
    )
    return {"phone_masked": mask_phone(phone), "tickets": tickets, "bookings": bookings, "bookings_note": bookings_note}


@router.post("/ticket-draft", response_model=DraftOut)
def ticket_draft(body: DraftIn, complaints: ComplaintsDep) -> DraftOut:
    """A ticket form's first values from what the caller said: the category and the description."""
    text = re.sub(r"\s+", " ", body.text).strip()
    return DraftOut(category=complaints.classify(text) if text else "咨询", description=text)
