"""The complaint Protocol over HTTP, for a city's 12345 platform (contract: docs/connectors.md)."""

from __future__ import annotations

from datetime import date, datetime

from connectors.complaint.protocol import (
    ComplaintError,
    InvalidTicketError,
    Ticket,
    TicketEvent,
    TicketNotFoundError,
    TicketRequest,
    TicketStateError,
    TicketUnsupportedError,
)
from connectors.http_client import JsonClient, RetryPolicy

_BY_CODE = {"not_found": TicketNotFoundError, "invalid": InvalidTicketError, "state": TicketStateError}


def _ticket(d: dict) -> Ticket:
    return Ticket(
        number=d["number"],
        category=d["category"],
        category_source=d.get("category_source", "remote"),
        urgency=d.get("urgency", "一般"),
        district=d.get("district"),
        location=d.get("location"),
        description=d.get("description", ""),
        contact_masked=d.get("contact_masked", ""),
        anonymous=bool(d.get("anonymous", False)),
        department=d.get("department", ""),
        status=d["status"],
        respond_by=date.fromisoformat(d["respond_by"]),
        resolve_by=date.fromisoformat(d["resolve_by"]),
        created_at=datetime.fromisoformat(d["created_at"]),
        satisfaction=d.get("satisfaction"),
        history=[
            TicketEvent(datetime.fromisoformat(e["at"]), e["status"], e.get("actor", ""), e.get("note", ""))
            for e in d.get("history", [])
        ],
    )


class HttpComplaintService:
    def __init__(
        self, base_url: str, token: str | None = None, timeout: float = 5.0, retry: RetryPolicy | None = None
    ) -> None:
        self.client = JsonClient(base_url, token, timeout, retry, system="12345 平台")

    def _call(self, method: str, path: str, **kw):
        return self.client.call(method, path, _BY_CODE, ComplaintError, TicketNotFoundError, **kw)

    def file(self, request: TicketRequest) -> Ticket:
        request.check()
        body = {
            "description": request.description,
            "category": request.category,
            "district": request.district,
            "location": request.location,
            "contact_name": request.contact_name,
            "contact_phone": request.contact_phone,
            "anonymous": request.anonymous,
            "channel": request.channel,
        }
        return _ticket(self._call("POST", "/tickets", json=body, idempotency_key=request.idempotency_key))

    def get(self, number: str) -> Ticket:
        return _ticket(self._call("GET", f"/tickets/{number}"))

    def follow_up(self, number: str, text: str, actor: str = "citizen") -> Ticket:
        return _ticket(
            self._call("POST", f"/tickets/{number}/followups", json={"text": text, "actor": actor})
        )

    def rate(self, number: str, satisfaction: str, comment: str = "") -> Ticket:
        body = {"satisfaction": satisfaction, "comment": comment}
        return _ticket(self._call("POST", f"/tickets/{number}/satisfaction", json=body))

    def by_phone(self, phone: str, *, limit: int = 20) -> list[Ticket]:
        raise TicketUnsupportedError("an external 12345 system keeps its own lists")

    def forward(self, payload: dict, idempotency_key: str) -> str:
        """Outbox deliverer: send a locally accepted ticket; returns the platform's number."""
        request = TicketRequest(
            description=payload["description"],
            category=payload.get("category"),
            district=payload.get("district"),
            location=payload.get("location"),
            contact_name=payload.get("contact_name"),
            contact_phone=payload.get("contact_phone"),
            anonymous=bool(payload.get("anonymous")),
            channel=payload.get("channel", "web"),
            idempotency_key=idempotency_key,
        )
        return self.file(request).number
