"""The built-in 12345 ticket system: classify, route, set deadlines, keep the status history.

A ticket is 受理 (accepted) and 派单 (dispatched to the routed department) when it is filed;
the department moves it through 办理 and 办结; the hotline does 回访 and records 评价.
When forwarding to an external 12345 platform is configured, the ticket and an outbox item
are written in the same transaction, so a ticket accepted from a citizen is never lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.booking.protocol import NUMBER_ALPHABET
from connectors.calendar import CITY_TZ, WorkCalendar, city_clock
from connectors.complaint.protocol import (
    CATEGORIES,
    SATISFACTION,
    STATUSES,
    InvalidTicketError,
    Ticket,
    TicketEvent,
    TicketNotFoundError,
    TicketRequest,
    TicketStateError,
)
from connectors.complaint.rules import TicketRules
from connectors.complaint.tables import TicketEventRow, TicketRow
from connectors.crypto import Sealer
from connectors.outbox import Outbox
from foundation.db import session_factory
from nlu.pii import mask_name, mask_phone, mask_pii

FORWARD_KIND = "ticket.forward"
# which statuses may follow which (the department may skip 办理 and close at once)
# 办理 -> 派单: the department hands it back to dispatch (not ours), with the reason in the note
_NEXT = {"派单": ("办理", "办结"), "办理": ("办结", "派单"), "办结": ("回访",), "回访": ("评价",)}


def new_ticket_number(day: date) -> str:
    return "GD" + day.strftime("%y%m%d") + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


class StoreComplaintService:
    def __init__(
        self,
        engine: Engine,
        rules: TicketRules,
        sealer: Sealer,
        calendar: WorkCalendar | None = None,
        *,
        forward: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        tz: tzinfo = CITY_TZ,
        regions: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        """``regions()``: the city's districts and streets (word -> district, from the knowledge
        base); a ticket naming another district is refused. None: any district is taken."""
        self.engine = engine
        self.rules = rules
        self.sealer = sealer
        self.calendar = calendar or WorkCalendar.load()
        self.forward = forward
        self.now = now
        self.tz = tz
        self.regions = regions
        self._sessions = session_factory(engine)
        self.outbox = Outbox(engine, sealer)

    def _district(self, named: str | None) -> str | None:
        """The district a ticket goes to: a known district, the district of a known street, or
        None (city level) when none is named; an unknown one is refused (no "火星区城市管理局")."""
        named = (named or "").strip()
        if not named:
            return None
        if self.regions is None:
            return named
        known = self.regions()
        if named in known:
            return known[named]
        districts = sorted(set(known.values()))
        raise InvalidTicketError(
            f"unknown district {named!r}",
            f"本市没有“{named[:20]}”这个区或街道。请选择：{'、'.join(districts)}；不清楚可以不填，由市级部门受理。",
        )

    # -- citizen side -------------------------------------------------------------------------
    def classify(self, text: str) -> str:
        return self.rules.classify(text)

    def file(self, request: TicketRequest) -> Ticket:
        request.check()
        if request.category and request.category not in CATEGORIES:
            raise InvalidTicketError(
                f"category {request.category}", f"类别应为 {'、'.join(CATEGORIES)} 之一。"
            )
        if request.idempotency_key:
            existing = self._find(key=request.idempotency_key)
            if existing:
                return existing
        district = self._district(request.district)
        text = " ".join(x for x in (request.description, request.location or "") if x)
        category = request.category or self.rules.classify(text)
        urgency = self.rules.urgency(text)
        department = self.rules.route(text, category, district)
        now = self.now()
        today = city_clock(self.tz, lambda: now)().date()  # deadlines count the city's days
        days = self.rules.days_to_resolve(category, urgency)
        contact = None
        if not request.anonymous:
            contact = self.sealer.seal(
                {"name": (request.contact_name or "").strip(), "phone": request.contact_phone}
            )
        row = TicketRow(
            number=new_ticket_number(today),
            idempotency_key=request.idempotency_key,
            category=category,
            category_source="form" if request.category else "rules",
            urgency=urgency,
            district=district,
            location=mask_pii(request.location) if request.location else None,
            description=mask_pii(request.description.strip()),
            contact=contact,
            anonymous=request.anonymous,
            channel=request.channel,
            department=department,
            status="派单",
            respond_by=self.calendar.add_workdays(today, 0 if urgency == "紧急" else 1),
            resolve_by=self.calendar.add_workdays(today, days),
            created_at=now,
            updated_at=now,
        )
        row.events = [
            TicketEventRow(at=now, status="受理", actor="system", note=f"{request.channel} 渠道受理"),
            TicketEventRow(at=now, status="派单", actor="system", note=f"按规则派至 {department}"),
        ]
        try:
            with self._sessions.begin() as s:
                s.add(row)
                s.flush()
                if self.forward:
                    self.outbox.add(s, FORWARD_KIND, row.number, self._forward_payload(row, request))
                return self._ticket(row)
        except IntegrityError:
            if request.idempotency_key:
                existing = self._find(key=request.idempotency_key)
                if existing:
                    return existing
            raise

    def get(self, number: str) -> Ticket:
        ticket = self._find(number=number)
        if ticket is None:
            raise TicketNotFoundError(f"no ticket {number}")
        return ticket

    def follow_up(self, number: str, text: str, actor: str = "citizen") -> Ticket:
        if not text.strip():
            raise InvalidTicketError("empty follow-up", "补充内容不能为空。")
        with self._sessions.begin() as s:
            row = self._row(s, number)
            row.events.append(
                TicketEventRow(at=self.now(), status=row.status, actor=actor, note=mask_pii(text))
            )
            row.updated_at = self.now()
            return self._ticket(row)

    def rate(self, number: str, satisfaction: str, comment: str = "") -> Ticket:
        if satisfaction not in SATISFACTION:
            raise InvalidTicketError(
                f"satisfaction {satisfaction}", f"评价应为 {'、'.join(SATISFACTION)} 之一。"
            )
        with self._sessions.begin() as s:
            row = self._row(s, number)
            if row.status not in ("办结", "回访"):
                raise TicketStateError(f"{number} is {row.status}", "工单办结后才能评价。")
            if row.status == "办结":
                row.events.append(TicketEventRow(at=self.now(), status="回访", actor="hotline", note="回访"))
            row.status, row.satisfaction = "评价", satisfaction
            row.events.append(
                TicketEventRow(
                    at=self.now(),
                    status="评价",
                    actor="citizen",
                    note=f"{satisfaction} {mask_pii(comment)}".strip(),
                )
            )
            row.updated_at = self.now()
            return self._ticket(row)

    # -- department / hotline side -----------------------------------------------------------
    def advance(self, number: str, status: str, *, actor: str, note: str = "") -> Ticket:
        if status not in STATUSES:
            raise InvalidTicketError(f"status {status}", f"状态应为 {'、'.join(STATUSES)} 之一。")
        with self._sessions.begin() as s:
            row = self._row(s, number)
            if status not in _NEXT.get(row.status, ()):
                raise TicketStateError(f"{number}: {row.status} -> {status} not allowed")
            row.status = status
            row.events.append(TicketEventRow(at=self.now(), status=status, actor=actor, note=mask_pii(note)))
            row.updated_at = self.now()
            return self._ticket(row)

    def find(
        self, *, status: str | None = None, department: str | None = None, limit: int = 100
    ) -> list[Ticket]:
        stmt = select(TicketRow).order_by(TicketRow.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(TicketRow.status == status)
        if department:
            stmt = stmt.where(TicketRow.department == department)
        with self._sessions() as s:
            return [self._ticket(r) for r in s.scalars(stmt)]

    # contacts are sealed without a lookup hash: the caller's phone is compared on the latest tickets
    RECENT_FOR_PHONE = 2000

    def by_phone(self, phone: str, *, limit: int = 20) -> list[Ticket]:
        phone = phone.strip()
        out: list[Ticket] = []
        stmt = (
            select(TicketRow)
            .where(TicketRow.contact.is_not(None), TicketRow.anonymous.is_(False))
            .order_by(TicketRow.id.desc())
            .limit(self.RECENT_FOR_PHONE)
        )
        with self._sessions() as s:
            for row in s.scalars(stmt):
                if self.sealer.open(row.contact).get("phone") == phone:
                    out.append(self._ticket(row))
                    if len(out) >= limit:
                        break
        return out

    def export(self, tickets: Iterable[Ticket], *, include_contact: bool = False) -> dict:
        """The documented JSON shape for a 12345 platform (docs/12345-export.md)."""
        out = []
        with self._sessions() as s:
            for t in tickets:
                item = t.as_dict()
                if include_contact and not t.anonymous:
                    row = s.scalar(select(TicketRow).where(TicketRow.number == t.number))
                    item.pop("contact_masked")
                    item["contact"] = self.sealer.open(row.contact) if row and row.contact else None
                out.append(item)
        return {"format": "yichuang-12345-tickets", "version": 1, "tickets": out}

    def mark_forwarded(self, number: str, external_ref: str) -> None:
        with self._sessions.begin() as s:
            row = self._row(s, number)
            row.external_ref = external_ref
            row.events.append(
                TicketEventRow(
                    at=self.now(), status=row.status, actor="outbox", note=f"已转 12345 平台：{external_ref}"
                )
            )

    # -- internals ---------------------------------------------------------------------------
    def _forward_payload(self, row: TicketRow, request: TicketRequest) -> dict:
        return {
            "description": row.description,
            "category": row.category,
            "district": row.district,
            "location": row.location,
            "contact_name": None if request.anonymous else request.contact_name,
            "contact_phone": None if request.anonymous else request.contact_phone,
            "anonymous": request.anonymous,
            "channel": request.channel,
            "local_number": row.number,
        }

    @staticmethod
    def _row(s: Session, number: str) -> TicketRow:
        row = s.scalar(select(TicketRow).where(TicketRow.number == number.strip().upper()).with_for_update())
        if row is None:
            raise TicketNotFoundError(f"no ticket {number}")
        return row

    def _find(self, *, number: str | None = None, key: str | None = None) -> Ticket | None:
        stmt = select(TicketRow)
        stmt = (
            stmt.where(TicketRow.number == number.strip().upper())
            if number
            else stmt.where(TicketRow.idempotency_key == key)
        )
        with self._sessions() as s:
            row = s.scalar(stmt)
            return self._ticket(row) if row else None

    def _ticket(self, row: TicketRow) -> Ticket:
        if row.anonymous or not row.contact:
            masked = "匿名"
        else:
            c = self.sealer.open(row.contact)
            masked = f"{mask_name(c.get('name') or '') or '市民'}，{mask_phone(c['phone'])}"
        return Ticket(
            number=row.number,
            category=row.category,
            category_source=row.category_source,
            urgency=row.urgency,
            district=row.district,
            location=row.location,
            description=row.description,
            contact_masked=masked,
            anonymous=row.anonymous,
            department=row.department,
            status=row.status,
            respond_by=row.respond_by,
            resolve_by=row.resolve_by,
            created_at=row.created_at,
            satisfaction=row.satisfaction,
            external_ref=row.external_ref,
            history=[TicketEvent(e.at, e.status, e.actor, e.note) for e in row.events],
        )
