"""Operator routes for hotline staff: tickets, bookings, the outbox. Logged-in staff only."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from assistant.deps import require
from assistant.routes.tickets import ticket_out
from connectors.complaint.protocol import ComplaintError, TicketNotFoundError

router = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(require("staff"))])


class AdvanceIn(BaseModel):
    status: Literal["办理", "办结", "回访"]
    actor: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=1000)


@router.get("/tickets")
def tickets(
    request: Request, status: str | None = None, department: str | None = None, limit: int = 100
) -> list[dict]:
    """Tickets, newest first (contacts masked)."""
    return [
        ticket_out(t)
        for t in request.app.state.complaints.find(status=status, department=department, limit=limit)
    ]


@router.post("/tickets/{number}/advance")
def advance(number: str, body: AdvanceIn, request: Request) -> dict:
    """Move a ticket on: 办理, 办结, 回访."""
    try:
        return ticket_out(
            request.app.state.complaints.advance(number, body.status, actor=body.actor, note=body.note)
        )
    except ComplaintError as exc:
        code = 404 if isinstance(exc, TicketNotFoundError) else 409
        raise HTTPException(status_code=code, detail=exc.user_message) from None


@router.get("/bookings")
def bookings(request: Request, day: date | None = None, hall: str | None = None) -> list[dict]:
    """Bookings of a day or hall (contacts masked)."""
    service = request.app.state.booking
    if not hasattr(service, "find"):
        raise HTTPException(status_code=501, detail="已配置外部预约系统，请在该系统中查看预约。")
    return [b.as_dict() for b in service.find(day=day, hall_id=hall)]


@router.get("/outbox")
def outbox(request: Request) -> dict:
    """Hand-offs waiting for the 12345 platform."""
    box = request.app.state.complaints.outbox
    return {
        "counts": box.counts(),
        "pending": [
            {
                "id": i.id,
                "kind": i.kind,
                "ref": i.ref,
                "attempts": i.attempts,
                "next_attempt_at": i.next_attempt_at.isoformat(),
                "last_error": i.last_error,
            }
            for i in box.items("pending")
        ],
    }


@router.post("/outbox/retry")
def outbox_retry(request: Request, item_id: int | None = None) -> dict:
    """Make pending hand-offs due now."""
    return {"retried": request.app.state.complaints.outbox.retry_now(item_id)}
