"""The ticket desk of the built-in 12345 system: a department works its tickets through
受理→派单→办理→办结→回访→评价. Every step is a ticket event with the logged-in user as actor
(the audit trail the ticket shows); deadlines are working days from the holiday calendar,
fixed when the ticket was filed. Logged-in staff only; an account with a department (a 承办单位)
lists and works only that department's tickets, the 12345 centre's accounts (no department) all."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from assistant.deps import ComplaintsDep, StaffSession, require
from assistant.schemas import TicketOut
from connectors.complaint.protocol import Ticket

router = APIRouter(prefix="/api/desk", tags=["desk"], dependencies=[Depends(require("staff"))])
OPEN = ("受理", "派单", "办理")


class DeskTicketOut(TicketOut):
    overdue: bool = Field(description="还没办结且已过办结期限")
    deadline_kept: bool | None = Field(description="办结时是否在期限内；未办结为空")


class NoteIn(BaseModel):
    note: str = Field(min_length=2, max_length=1000)


class FinishIn(BaseModel):
    reply: str = Field(min_length=5, max_length=2000, description="给市民的答复（办理结果）")


class VisitIn(BaseModel):
    satisfaction: Literal["满意", "基本满意", "不满意"]
    note: str = Field(default="", max_length=1000, description="回访记录")


def _finished_on(t: Ticket) -> date | None:
    done = [e for e in t.history if e.status == "办结"]
    return done[-1].at.date() if done else None


def desk_out(t: Ticket, today: date | None = None) -> dict:
    """A ticket with where it stands against its deadline: overdue while open, kept or missed once done."""
    today = today or date.today()
    finished = _finished_on(t)
    return {
        **t.as_dict(),
        "overdue": t.status in OPEN and t.resolve_by < today,
        "deadline_kept": None if finished is None else finished <= t.resolve_by,
    }


def _ours(complaints, number: str, session) -> None:
    """An account without a department works any ticket, one with a department only that
    department's (403 in Chinese otherwise)."""
    mine = session.user.department
    if mine:
        ticket = complaints.get(number)
        if ticket.department != mine:
            raise HTTPException(status_code=403, detail=f"工单 {number} 由{ticket.department}承办，不归{mine}办理")


@router.get("/tickets", response_model=list[DeskTicketOut])
def desk_tickets(
    complaints: ComplaintsDep,
    session: StaffSession,
    status: str | None = Query(default=None, max_length=8),
    department: str | None = Query(default=None, max_length=100, description="an account with a department sees only its own"),
    district: str | None = Query(default=None, max_length=40),
    overdue: bool = False,
    limit: int = Query(default=200, ge=1, le=500),
) -> list[dict]:
    """Tickets by status, department and district (contacts masked); ``overdue`` keeps the late ones."""
    department = session.user.department or department
    rows = [desk_out(t) for t in complaints.find(status=status, department=department, limit=limit)]
    return [r for r in rows if (not district or r["district"] == district) and (not overdue or r["overdue"])]


@router.post("/tickets/{number}/take", response_model=DeskTicketOut)
def take(number: str, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """The department takes the ticket on (派单 -> 办理)."""
    _ours(complaints, number, session)
    return desk_out(complaints.advance(number, "办理", actor=session.user.username, note="承办单位接单"))


@router.post("/tickets/{number}/return", response_model=DeskTicketOut)
def hand_back(number: str, body: NoteIn, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """Not ours: back to 派单 with the reason, for the 12345 centre to dispatch again."""
    _ours(complaints, number, session)
    return desk_out(complaints.advance(number, "派单", actor=session.user.username, note=f"退回派单：{body.note}"))


@router.post("/tickets/{number}/note", response_model=DeskTicketOut)
def add_note(number: str, body: NoteIn, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """A working note on the ticket (its status stays)."""
    _ours(complaints, number, session)
    return desk_out(complaints.follow_up(number, body.note, actor=session.user.username))


@router.post("/tickets/{number}/finish", response_model=DeskTicketOut)
def finish(number: str, body: FinishIn, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """办结 with the reply the citizen gets."""
    _ours(complaints, number, session)
    return desk_out(complaints.advance(number, "办结", actor=session.user.username, note=body.reply))


@router.post("/tickets/{number}/visit", response_model=DeskTicketOut)
def visit(number: str, body: VisitIn, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """回访: call the citizen back and record their 满意度 (the ticket then ends at 评价)."""
    _ours(complaints, number, session)
    complaints.advance(number, "回访", actor=session.user.username, note=body.note or "电话回访")
    return desk_out(complaints.rate(number, body.satisfaction, body.note))
