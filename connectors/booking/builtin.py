"""The built-in booking system on the project's own database, good enough to run a district hall on.

Seats are counted per hall and slot; taking one is a single conditional UPDATE
(``booked < capacity``), so concurrent requests can never overbook, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.booking.config import BookingConfig, HallConfig, empty_slots
from connectors.booking.protocol import (
    NUMBER_ALPHABET,
    Booking,
    BookingNotFoundError,
    BookingRequest,
    DuplicateBookingError,
    HallInfo,
    InvalidBookingError,
    Slot,
    SlotFullError,
)
from connectors.booking.tables import BookingRow, SlotRow
from connectors.calendar import CITY_TZ, WorkCalendar, city_clock
from connectors.crypto import Sealer
from foundation.db import session_factory
from nlu.pii import mask_name, mask_phone


def new_number(day: date) -> str:
    """Unguessable: 10 random characters from 32 (50 bits) after the date."""
    return "YY" + day.strftime("%y%m%d") + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


class StoreBookingService:
    def __init__(
        self,
        engine: Engine,
        config: BookingConfig,
        sealer: Sealer,
        departments: Callable[[str], str | None],
        calendar: WorkCalendar | None = None,
        now: Callable[[], datetime] | None = None,
        tz: tzinfo = CITY_TZ,
    ) -> None:
        """``departments`` maps a service code to its 实施主体 (None: not a bookable service).
        ``now()`` answers on the city's clock (``tz``): "today" and passed slots are the city's."""
        self.engine = engine
        self.config = config
        self.sealer = sealer
        self.department_of = departments
        self.calendar = calendar or WorkCalendar.load()
        self.now = city_clock(tz, now)
        self._sessions = session_factory(engine)

    # -- reads -------------------------------------------------------------------------------
    def halls(self, service_code: str, district: str | None = None) -> list[HallInfo]:
        """Halls that take bookings for the service, the citizen's own district first."""
        department = self.department_of(service_code)
        if department is None:
            return []
        found = [h for h in self.config.halls if h.serves(service_code, department)]
        found.sort(key=lambda h: (h.district != district, h.id != "city-center", h.id))
        return [h.info() for h in found]

    def free_slots(self, hall_id: str, service_code: str, first: date, last: date) -> list[Slot]:
        hall = self._hall_for(hall_id, service_code)
        today = self.now().date()
        first = max(first, today)
        last = min(last, today + timedelta(days=self.config.horizon_days))
        with self._sessions() as s:
            rows = s.execute(
                select(SlotRow.day, SlotRow.start, SlotRow.booked).where(
                    SlotRow.hall_id == hall_id, SlotRow.day >= first, SlotRow.day <= last
                )
            )
            booked = {(d, st): b for d, st, b in rows}
        now_hm = self.now().strftime("%H:%M")
        return [
            slot
            for slot in empty_slots(self.config, hall, first, last, self.calendar, booked)
            if not (slot.day == today and slot.start <= now_hm)
        ]

    def query(self, *, number: str | None = None, phone: str | None = None) -> list[Booking]:
        if not number or not phone:  # a phone alone would list someone's booking numbers
            raise InvalidBookingError("query needs number and phone", "请提供预约号和预约时留的手机号。")
        stmt = select(BookingRow).order_by(BookingRow.day, BookingRow.start)
        if number:
            stmt = stmt.where(BookingRow.number == number.strip().upper())
        if phone:
            stmt = stmt.where(BookingRow.phone_hash.in_(self.sealer.lookup_hashes(phone)))
            if not number:
                stmt = stmt.where(BookingRow.active == 1)
        with self._sessions() as s:
            return [self._booking(r) for r in s.scalars(stmt)]

    def find(
        self,
        *,
        day: date | None = None,
        hall_id: str | None = None,
        status: str | None = None,
        limit: int = 200,
        phone: str | None = None,
    ) -> list[Booking]:
        """For operators: bookings of a day / hall / caller's phone (contacts masked). Citizens
        look up by number and phone together (``query``)."""
        stmt = select(BookingRow).order_by(BookingRow.day, BookingRow.start, BookingRow.id).limit(limit)
        if phone:
            stmt = stmt.where(BookingRow.phone_hash.in_(self.sealer.lookup_hashes(phone)), BookingRow.active == 1)
        if day:
            stmt = stmt.where(BookingRow.day == day)
        if hall_id:
            stmt = stmt.where(BookingRow.hall_id == hall_id)
        if status:
            stmt = stmt.where(BookingRow.status == status)
        with self._sessions() as s:
            return [self._booking(r) for r in s.scalars(stmt)]

    # -- writes ------------------------------------------------------------------------------
    def book(self, request: BookingRequest) -> Booking:
        request.check()
        hall = self._hall_for(request.hall_id, request.service_code)
        end = self._check_slot(hall, request.day, request.start)
        if request.idempotency_key:
            existing = self._by_key(request.idempotency_key)
            if existing:
                return existing
        now = self.now()
        try:
            with self._sessions.begin() as s:
                self._take_seat(s, hall, request.day, request.start)
                row = BookingRow(
                    number=new_number(request.day),
                    idempotency_key=request.idempotency_key,
                    hall_id=hall.id,
                    service_code=request.service_code,
                    service_name=request.service_name,
                    day=request.day,
                    start=request.start,
                    end=end,
                    phone_hash=self.sealer.lookup_hash(request.phone),
                    contact=self.sealer.seal({"name": request.name.strip(), "phone": request.phone}),
                    status="booked",
                    active=1,
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                s.flush()
                return self._booking(row)
        except IntegrityError as exc:  # the transaction (and the seat) was rolled back
            if request.idempotency_key:
                existing = self._by_key(request.idempotency_key)
                if existing:
                    return existing  # a concurrent retry of the same request won
            raise DuplicateBookingError(
                f"{request.service_code} {request.day} already booked by this phone"
            ) from exc

    def cancel(self, number: str, phone: str) -> Booking:
        with self._sessions.begin() as s:
            row = self._owned(s, number, phone)
            if row.status == "cancelled":
                return self._booking(row)
            self._free_seat(s, row.hall_id, row.day, row.start)
            row.status, row.active, row.updated_at = "cancelled", None, self.now()
            return self._booking(row)

    def reschedule(self, number: str, phone: str, day: date, start: str) -> Booking:
        with self._sessions.begin() as s:
            row = self._owned(s, number, phone)
            if row.status != "booked":
                raise BookingNotFoundError(f"{number} is {row.status}", "这个预约已经取消，不能改期。")
            hall = self._hall_for(row.hall_id, row.service_code)
            end = self._check_slot(hall, day, start)
            if (row.day, row.start) == (day, start):
                return self._booking(row)
            self._take_seat(s, hall, day, start)
            self._free_seat(s, row.hall_id, row.day, row.start)
            row.day, row.start, row.end, row.updated_at = day, start, end, self.now()
            try:
                s.flush()
            except IntegrityError as exc:
                raise DuplicateBookingError(f"{number}: phone already booked on {day}") from exc
            return self._booking(row)

    # -- internals ---------------------------------------------------------------------------
    def _hall_for(self, hall_id: str, service_code: str) -> HallConfig:
        hall = self.config.hall(hall_id)
        department = self.department_of(service_code)
        if hall is None or department is None or not hall.serves(service_code, department):
            raise InvalidBookingError(
                f"hall {hall_id} does not serve {service_code}", "这个办理点不受理该事项的预约。"
            )
        return hall

    def _check_slot(self, hall: HallConfig, day: date, start: str) -> str:
        today = self.now().date()
        if day < today or day > today + timedelta(days=self.config.horizon_days):
            raise InvalidBookingError(
                f"{day} outside horizon", f"只能预约今天起 {self.config.horizon_days} 天内的时段。"
            )
        end = self.config.slot_end(hall, day, start, self.calendar)
        if end is None or (day == today and start <= self.now().strftime("%H:%M")):
            raise InvalidBookingError(
                f"{hall.id} has no slot {day} {start}", "这个时段不开放预约，请选择其他时段。"
            )
        return end

    def _take_seat(self, s: Session, hall: HallConfig, day: date, start: str) -> None:
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        s.execute(
            insert(SlotRow)
            .values(hall_id=hall.id, day=day, start=start, capacity=hall.capacity, booked=0)
            .on_conflict_do_nothing(index_elements=["hall_id", "day", "start"])
        )
        taken = s.execute(
            update(SlotRow)
            .where(SlotRow.hall_id == hall.id, SlotRow.day == day, SlotRow.start == start)
            .where(SlotRow.booked < SlotRow.capacity)
            .values(booked=SlotRow.booked + 1)
        )
        if taken.rowcount != 1:
            raise SlotFullError(f"{hall.id} {day} {start} is full")

    @staticmethod
    def _free_seat(s: Session, hall_id: str, day: date, start: str) -> None:
        s.execute(
            update(SlotRow)
            .where(SlotRow.hall_id == hall_id, SlotRow.day == day, SlotRow.start == start, SlotRow.booked > 0)
            .values(booked=SlotRow.booked - 1)
        )

    def _owned(self, s: Session, number: str, phone: str) -> BookingRow:
        row = s.scalar(
            select(BookingRow).where(BookingRow.number == number.strip().upper()).with_for_update()
        )
        if row is None or row.phone_hash not in self.sealer.lookup_hashes(phone):
            raise BookingNotFoundError(f"no booking {number} for this phone")
        return row

    def _by_key(self, key: str) -> Booking | None:
        with self._sessions() as s:
            row = s.scalar(select(BookingRow).where(BookingRow.idempotency_key == key))
            return self._booking(row) if row else None

    def _booking(self, row: BookingRow) -> Booking:
        contact = self.sealer.open(row.contact)
        hall = self.config.hall(row.hall_id)
        info = hall.info() if hall else HallInfo(row.hall_id, row.hall_id, "", "", "")
        return Booking(
            number=row.number,
            service_code=row.service_code,
            service_name=row.service_name,
            hall=info,
            day=row.day,
            start=row.start,
            end=row.end,
            status=row.status,
            name_masked=mask_name(contact["name"]),
            phone_masked=mask_phone(contact["phone"]),
        )
