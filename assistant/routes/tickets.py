"""12345 工单 for citizens: file a complaint / request / suggestion, look it up, add to it, rate it."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.deps import ComplaintsDep
from assistant.fields import CleanStr
from assistant.schemas import TicketOut
from connectors.complaint.protocol import ComplaintService, Ticket, TicketRequest

router = APIRouter(prefix="/api", tags=["12345"])


class TicketIn(BaseModel):
    description: CleanStr = Field(min_length=1, max_length=2000)
    category: Literal["咨询", "求助", "投诉", "举报", "建议"] | None = None
    district: CleanStr | None = Field(default=None, max_length=40)
    location: CleanStr | None = Field(default=None, max_length=200)
    contact_name: CleanStr | None = Field(default=None, max_length=30)
    contact_phone: str | None = Field(default=None, max_length=11)
    anonymous: bool = False
    idempotency_key: str | None = Field(default=None, max_length=100)


class FollowUpIn(BaseModel):
    text: CleanStr = Field(min_length=1, max_length=1000)


class RatingIn(BaseModel):
    satisfaction: Literal["满意", "基本满意", "不满意"]
    comment: CleanStr = Field(default="", max_length=500)


def ticket_out(t: Ticket) -> dict:
    return t.as_dict()


@router.post("/tickets", status_code=201, response_model=TicketOut)
def file_ticket(body: TicketIn, complaints: ComplaintsDep) -> dict:
    """File a ticket; returns its number, the department it went to and the promised dates."""
    return file_with(complaints, body, channel="web", key=body.idempotency_key or f"web:{uuid.uuid4()}")


def file_with(complaints: ComplaintService, body: TicketIn, *, channel: str, key: str) -> dict:
    req = TicketRequest(**body.model_dump(exclude={"idempotency_key"}), channel=channel, idempotency_key=key)
    return ticket_out(complaints.file(req))


@router.get("/tickets/{number}", response_model=TicketOut)
def get_ticket(number: str, complaints: ComplaintsDep) -> dict:
    """A ticket's status and history (contact masked)."""
    return ticket_out(complaints.get(number))


@router.post("/tickets/{number}/followups", response_model=TicketOut)
def follow_up(number: str, body: FollowUpIn, complaints: ComplaintsDep) -> dict:
    """Add information to a ticket."""
    return ticket_out(complaints.follow_up(number, body.text))


@router.post("/tickets/{number}/rating", response_model=TicketOut)
def rate(number: str, body: RatingIn, complaints: ComplaintsDep) -> dict:
    """回访评价 after the ticket is closed."""
    return ticket_out(complaints.rate(number, body.satisfaction, body.comment))
