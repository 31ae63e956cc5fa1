"""预约 for citizens: halls for a service, free slots, book, look up, cancel, reschedule."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from assistant.deps import BookingDep, StoreDep
from assistant.schemas import BookingOut, HallOut, SlotOut
from connectors.booking.protocol import Booking, BookingRequest
from knowledge.store import MissingEntryError

router = APIRouter(prefix="/api", tags=["booking"])


class BookingIn(BaseModel):
    service_code: str = Field(min_length=1, max_length=64)
    hall_id: str = Field(min_length=1, max_length=40)
    day: date
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    name: str = Field(min_length=1, max_length=30)
    phone: str = Field(min_length=11, max_length=11)
    idempotency_key: str | None = Field(default=None, max_length=100)


class PhoneIn(BaseModel):
    phone: str = Field(min_length=11, max_length=11)


class RescheduleIn(PhoneIn):
    day: date
    start: str = Field(pattern=r"^\d{2}:\d{2}$")


def _booking_dict(b: Booking) -> dict:
    return b.as_dict()


@router.get("/halls", response_model=list[HallOut])
def halls(booking: BookingDep, service: str = Query(max_length=64), district: str | None = None) -> list[dict]:
    """Halls that take bookings for a service, the given district first."""
    return [h.__dict__ for h in booking.halls(service, district)]


@router.get("/halls/{hall_id}/slots", response_model=list[SlotOut])
def slots(
    booking: BookingDep,
    hall_id: str,
    service: str = Query(max_length=64),
    first: date | None = None,
    days: int = Query(default=7, ge=1, le=31),
) -> list[dict]:
    """Free slots of a hall for a service."""
    today = booking.now().date()  # the city's today, not the server's (UTC) one
    first = first or today
    if first > today + timedelta(days=366):  # nothing is bookable that far out (and date.max + days overflows)
        return []
    found = booking.free_slots(hall_id, service, first, first + timedelta(days=days - 1))
    return [
        {"day": s.day.isoformat(), "start": s.start, "end": s.end, "free": s.free}
        for s in found
        if s.free > 0
    ]


@router.post("/bookings", status_code=201, response_model=BookingOut)
def book(body: BookingIn, booking: BookingDep, store: StoreDep) -> dict:
    """Book a slot; a retried request with the same idempotency_key returns the same booking."""
    try:
        name = store.get(body.service_code).content.name
    except MissingEntryError:
        raise HTTPException(status_code=404, detail="没有找到这个事项。") from None
    req = BookingRequest(
        body.service_code,
        name,
        body.hall_id,
        body.day,
        body.start,
        body.name,
        body.phone,
        body.idempotency_key or f"web:{uuid.uuid4()}",
    )
    return _booking_dict(booking.book(req))


class LookupIn(PhoneIn):
    number: str = Field(min_length=6, max_length=40, description="预约号（预约成功时告知）")


@router.post("/bookings/lookup", response_model=list[BookingOut])
def lookup(body: LookupIn, booking: BookingDep) -> list[dict]:
    """A booking by its number and the phone it was made with (both: a phone number alone is
    known to too many people, and would let them see and cancel the citizen's bookings)."""
    return [_booking_dict(b) for b in booking.query(number=body.number, phone=body.phone)]


@router.post("/bookings/{number}/cancel", response_model=BookingOut)
def cancel(number: str, body: PhoneIn, booking: BookingDep) -> dict:
    """Cancel a booking (frees the seat)."""
    return _booking_dict(booking.cancel(number, body.phone))


@router.post("/bookings/{number}/reschedule", response_model=BookingOut)
def reschedule(number: str, body: RescheduleIn, booking: BookingDep) -> dict:
    """Move a booking to another free slot of the same hall."""
    return _booking_dict(booking.reschedule(number, body.phone, body.day, body.start))
