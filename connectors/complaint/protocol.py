"""What the dialogue and the surfaces may ask of any 12345 complaint system."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from connectors.booking.protocol import MOBILE_RE, NUMBER_ALPHABET
from connectors.errors import HandoffError

CATEGORIES = ("咨询", "求助", "投诉", "举报", "建议")
STATUSES = ("受理", "派单", "办理", "办结", "回访", "评价")
SATISFACTION = ("满意", "基本满意", "不满意")
# a ticket number: GD, the day (yymmdd), 8 unguessable characters
TICKET_NUMBER_RE = re.compile(rf"GD\d{{6}}[{NUMBER_ALPHABET}]{{8}}")


class ComplaintError(HandoffError):
    user_message = "工单没有提交成功，请稍后再试，或直接拨打 12345。"


class InvalidTicketError(ComplaintError):
    user_message = "工单信息不完整或不正确，请检查后再试。"


class TicketNotFoundError(ComplaintError):
    kind = "not_found"
    user_message = "没有找到这个工单，请核对工单号。"


class TicketStateError(ComplaintError):
    kind = "conflict"
    user_message = "工单当前的状态不能进行这个操作。"


class TicketUnsupportedError(ComplaintError):
    """The configured 12345 system does not offer this (an external one keeps its own lists)."""

    kind = "unsupported"
    user_message = "已配置外部 12345 系统，请在该系统中查询。"


@dataclass(frozen=True)
class TicketRequest:
    description: str
    category: str | None = None  # an explicit category from the form wins over classification
    district: str | None = None
    location: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    anonymous: bool = False
    channel: str = "web"
    idempotency_key: str | None = None

    def check(self) -> None:
        text = (self.description or "").strip()
        if len(text) < 5:
            raise InvalidTicketError("description too short", "请把事情的经过说得具体一些（至少 5 个字）。")
        if len(text) > 2000:
            raise InvalidTicketError("description too long", "描述太长了，请精简到 2000 字以内。")
        if not self.anonymous:
            if not (self.contact_phone and MOBILE_RE.match(self.contact_phone)):
                raise InvalidTicketError(
                    "bad phone", "请留下 11 位手机号，方便工作人员回复您；也可以选择匿名。"
                )


@dataclass(frozen=True)
class TicketEvent:
    at: datetime
    status: str
    actor: str
    note: str


@dataclass(frozen=True)
class Ticket:
    number: str
    category: str
    category_source: str  # form | rules
    urgency: str
    district: str | None
    location: str | None
    description: str
    contact_masked: str
    anonymous: bool
    department: str
    status: str
    respond_by: date
    resolve_by: date
    created_at: datetime
    satisfaction: str | None = None
    external_ref: str | None = None
    history: list[TicketEvent] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The JSON shape used by the API and the 12345 export (contact masked)."""
        return {
            "number": self.number,
            "category": self.category,
            "urgency": self.urgency,
            "district": self.district,
            "location": self.location,
            "description": self.description,
            "anonymous": self.anonymous,
            "contact_masked": self.contact_masked,
            "department": self.department,
            "status": self.status,
            "respond_by": self.respond_by.isoformat(),
            "resolve_by": self.resolve_by.isoformat(),
            "created_at": self.created_at.isoformat(),
            "satisfaction": self.satisfaction,
            "history": [
                {"at": e.at.isoformat(), "status": e.status, "actor": e.actor, "note": e.note}
                for e in self.history
            ],
        }


class ComplaintService(Protocol):
    """What the dialogue, the surfaces and the outbox use of a 12345 ticket system."""

    def classify(self, text: str) -> str:
        """The category (咨询/求助/投诉/举报/建议) the 12345 rules give a description."""
        ...

    def file(self, request: TicketRequest) -> Ticket: ...

    def get(self, number: str) -> Ticket: ...

    def follow_up(self, number: str, text: str, actor: str = "citizen") -> Ticket: ...

    def rate(self, number: str, satisfaction: str, comment: str = "") -> Ticket: ...

    # -- department / hotline side
    def advance(self, number: str, status: str, *, actor: str, note: str = "") -> Ticket: ...

    def find(
        self, *, status: str | None = None, department: str | None = None, limit: int = 100
    ) -> list[Ticket]: ...

    def by_phone(self, phone: str, *, limit: int = 20) -> list[Ticket]:
        """A caller's tickets, newest first (contacts masked), for the hotline operator on the call."""
        ...

    def export(self, tickets: Iterable[Ticket], *, include_contact: bool = False) -> dict:
        """The documented JSON shape for a 12345 platform (docs/12345-export.md)."""
        ...

    def mark_forwarded(self, number: str, external_ref: str) -> None:
        """The outbox delivered the ticket to the 12345 platform under ``external_ref``."""
        ...
