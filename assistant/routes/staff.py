"""Operator routes for hotline staff: tickets, bookings, the outbox. Logged-in staff only."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from assistant.deps import (
    BookingDep,
    ComplaintsDep,
    OutboxDep,
    RetrieverDep,
    StaffSession,
    StoreDep,
    require,
)
from assistant.fields import DB_INT_MAX, CleanStr
from assistant.logs import get_logger
from assistant.routes.staff_call import bundle_script, guide_script
from assistant.routes.tickets import TicketIn, file_with, ticket_out
from assistant.schemas import BookingOut, FacetsOut, LookupOut, OutboxOut, RetriedOut, ScriptOut, TicketOut
from knowledge.schema import EntryStatus, ServiceGuide
from knowledge.store import MissingEntryError

log = get_logger(__name__)
CONFIDENT_WINDOW = 0.2  # a result this far below the best one is more likely off-topic than a choice
router = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(require("staff"))])


class AdvanceIn(BaseModel):
    status: Literal["办理", "办结", "回访"]
    actor: str = Field(min_length=1, max_length=100)
    note: CleanStr = Field(default="", max_length=1000)


@router.get("/lookup", response_model=LookupOut)
def lookup(
    store: StoreDep,
    retriever: RetrieverDep,
    q: str = Query(default="", max_length=200, description="来电人的原话"),
    department: str | None = Query(default=None, max_length=100),
    district: str | None = Query(default=None, max_length=20),
    limit: int = Query(default=8, ge=1, le=20),
    confident: bool = Query(default=True, description="只给有把握的结果"),
) -> dict:
    """Search-as-you-type for operators: guides and bundles, filtered by department and district."""
    if not q.strip():  # filters alone: browse the published entries
        rows = store.find(status=EntryStatus.PUBLISHED, department=department)
        hits = [{"kind": r.kind, "code": r.code, "name": r.name, "department": r.department} for r in rows]
        return {"decision": "browse", "region": district, "results": hits[:limit]}
    result = retriever.rank(q, region=district, limit=max(limit, 20))
    t = retriever.thresholds
    hits = [
        {
            "kind": h.kind,
            "code": h.code,
            "name": h.name,
            "department": h.department,
            "score": round(h.score, 3),
            # in scope on its own and not far behind the best: what an operator should see first
            "confident": result.decision != "none" and h.dense >= t.none_dense_below
            and h.score >= result.results[0].score - CONFIDENT_WINDOW,
        }
        for h in result.results
        if not department or h.department == department
    ]
    shown = [h for h in hits if h["confident"]] if confident else hits
    return {
        "decision": result.decision,
        "region": result.region,
        "results": shown[:limit],
        "hidden": len(hits[:limit]) - len(shown[:limit]) if confident else 0,
    }


@router.get("/facets", response_model=FacetsOut)
def facets(store: StoreDep) -> dict:
    """The departments and districts the filters offer."""
    departments, districts = set(), set()
    for entry in store.published():
        departments.add(entry.department)
        if isinstance(entry, ServiceGuide):
            districts.update(h.district for h in entry.halls if h.district)
    return {"departments": sorted(departments), "districts": sorted(districts)}


@router.get("/script/{code}", response_model=ScriptOut)
def script(code: str, store: StoreDep, district: str | None = Query(default=None, max_length=20)) -> dict:
    """The answer as text an operator can read out on the phone (halls in the caller's district
    first, no web addresses; a 一件事 before any answer: what always applies and what to ask)."""
    try:
        content = store.get(code).content
    except MissingEntryError:
        raise HTTPException(status_code=404, detail=f"没有找到编码为 {code} 的已发布条目") from None
    out = guide_script(content, district) if isinstance(content, ServiceGuide) else bundle_script(store, content, {})
    return out.model_dump()


@router.post("/tickets", status_code=201, response_model=TicketOut)
def open_ticket(body: TicketIn, complaints: ComplaintsDep, session: StaffSession) -> dict:
    """Open a ticket for a caller (channel ``hotline``)."""
    ticket = file_with(complaints, body, channel="hotline", key=body.idempotency_key or f"hotline:{uuid.uuid4()}")
    log.info("ticket opened for a caller", operator=session.user.username, ticket=ticket["number"])
    return ticket


@router.get("/tickets", response_model=list[TicketOut])
def tickets(
    complaints: ComplaintsDep, status: str | None = None, department: str | None = None, limit: int = Query(default=100, ge=1, le=500)
) -> list[dict]:
    """Tickets, newest first (contacts masked)."""
    return [ticket_out(t) for t in complaints.find(status=status, department=department, limit=limit)]


@router.post("/tickets/{number}/advance", response_model=TicketOut)
def advance(number: str, body: AdvanceIn, complaints: ComplaintsDep) -> dict:
    """Move a ticket on: 办理, 办结, 回访."""
    return ticket_out(complaints.advance(number, body.status, actor=body.actor, note=body.note))


@router.get("/bookings", response_model=list[BookingOut])
def bookings(booking: BookingDep, day: date | None = None, hall: str | None = None) -> list[dict]:
    """Bookings of a day or hall (contacts masked)."""
    return [b.as_dict() for b in booking.find(day=day, hall_id=hall)]  # external system: 501


def _outbox_item(i) -> dict:
    return {
        "id": i.id,
        "kind": i.kind,
        "ref": i.ref,
        "attempts": i.attempts,
        "next_attempt_at": i.next_attempt_at.isoformat(),
        "last_error": i.last_error,
    }


@router.get("/outbox", response_model=OutboxOut)
def outbox(box: OutboxDep) -> dict:
    """Hand-offs waiting for the 12345 platform, and those it gave up on (``dead``: look at
    ``last_error``, fix the cause, then retry)."""
    return {
        "counts": box.counts(),
        "pending": [_outbox_item(i) for i in box.items("pending")],
        "dead": [_outbox_item(i) for i in box.items("dead")],
    }


@router.post("/outbox/retry", response_model=RetriedOut)
def outbox_retry(box: OutboxDep, item_id: int | None = Query(default=None, ge=1, le=DB_INT_MAX)) -> dict:
    """Make pending hand-offs due now; requeue dead ones."""
    return {"retried": box.retry_now(item_id)}
