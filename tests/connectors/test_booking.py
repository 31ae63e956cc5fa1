"""The built-in booking system on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from connectors.booking.protocol import (
    BookingNotFoundError,
    BookingRequest,
    DuplicateBookingError,
    InvalidBookingError,
    SlotFullError,
)
from connectors.booking.tables import BookingRow
from tests.connectors.conftest import SERVICE, TUESDAY, make_booking


def _req(phone="13800000001", start="09:00", key=None, day=TUESDAY):
    return BookingRequest(SERVICE, "居民身份证补领", "test-hall", day, start, "张三", phone, key)


def test_halls_put_the_citizens_district_first(booking):
    assert [h.id for h in booking.halls(SERVICE, "西城区")] == [
        "test-hall"
    ]  # west-hall serves another department


def test_free_slots_follow_opening_hours_and_skip_weekends(booking):
    slots = booking.free_slots("test-hall", SERVICE, TUESDAY, TUESDAY + timedelta(days=5))
    days = {s.day for s in slots}
    assert TUESDAY in days and all(d.weekday() < 5 for d in days)
    assert [s.start for s in slots if s.day == TUESDAY] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_book_query_cancel_frees_the_seat(booking):
    b = booking.book(_req())
    assert b.number.startswith("YY261124") and len(b.number) == 18
    assert b.phone_masked == "138****0001" and b.name_masked == "张*"
    slot = next(s for s in booking.free_slots("test-hall", SERVICE, TUESDAY, TUESDAY) if s.start == "09:00")
    assert slot.free == 1
    assert [x.number for x in booking.query(number=b.number, phone="13800000001")] == [b.number]
    with pytest.raises(BookingNotFoundError):
        booking.cancel(b.number, "13900000000")  # someone else's phone learns nothing
    assert booking.cancel(b.number, "13800000001").status == "cancelled"
    slot = next(s for s in booking.free_slots("test-hall", SERVICE, TUESDAY, TUESDAY) if s.start == "09:00")
    assert slot.free == 2
    booking.book(_req())  # the same phone may book again after cancelling


def test_one_active_booking_per_phone_service_and_day(booking):
    booking.book(_req(start="09:00"))
    with pytest.raises(DuplicateBookingError):
        booking.book(_req(start="10:00"))
    slot = next(s for s in booking.free_slots("test-hall", SERVICE, TUESDAY, TUESDAY) if s.start == "10:00")
    assert slot.free == 2  # the refused request took no seat


def test_idempotency_key_returns_the_same_booking(booking):
    first = booking.book(_req(key="k-1"))
    again = booking.book(_req(key="k-1"))
    assert again.number == first.number
    assert len(booking.find(day=TUESDAY)) == 1


def test_full_slot_refused(booking):
    booking.book(_req(phone="13800000001"))
    booking.book(_req(phone="13800000002"))
    with pytest.raises(SlotFullError):
        booking.book(_req(phone="13800000003"))


def test_reschedule_moves_the_seat(booking):
    b = booking.book(_req())
    moved = booking.reschedule(b.number, "13800000001", TUESDAY, "11:00")
    assert (moved.start, moved.end) == ("11:00", "11:30")
    free = {s.start: s.free for s in booking.free_slots("test-hall", SERVICE, TUESDAY, TUESDAY)}
    assert free["09:00"] == 2 and free["11:00"] == 1


def test_bad_input_is_refused_politely(booking):
    for bad, message in (
        (_req(phone="123"), "手机号"),
        (_req(start="08:00"), "不开放"),
        (_req(day=TUESDAY + timedelta(days=40)), "天内"),
    ):
        with pytest.raises(InvalidBookingError) as err:
            booking.book(bad)
        assert message in err.value.user_message


def test_contacts_are_ciphertext_in_the_database(booking, engine):
    b = booking.book(_req(phone="13812345678"))
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT contact, phone_hash FROM bookings WHERE number = :n"), {"n": b.number}
        ).one()
    assert "13812345678" not in raw.contact and "张三" not in raw.contact and raw.contact.startswith("v2:")
    assert "13812345678" not in raw.phone_hash


def test_fifty_concurrent_requests_never_overbook(engine, sealer):
    capacity = 8
    service = make_booking(engine, sealer, capacity=capacity)
    for i in range(3):  # three seats already taken
        service.book(_req(phone=f"1370000000{i}"))
    results, errors = [], []
    barrier = threading.Barrier(50)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            results.append(service.book(_req(phone=f"139{i:08d}")))
        except SlotFullError:
            errors.append("full")
        except Exception as exc:  # anything else is a bug
            errors.append(repr(exc))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == capacity - 3
    assert errors == ["full"] * (50 - (capacity - 3))
    with engine.connect() as conn:
        booked = conn.execute(text("SELECT booked FROM booking_slots WHERE start = '09:00'")).scalar()
        rows = conn.execute(select(BookingRow).where(BookingRow.status == "booked")).all()
    assert booked == capacity and len(rows) == capacity


def test_a_phone_alone_never_lists_booking_numbers(booking):
    """Issue 14 item 11: whoever knows a phone number could otherwise read and cancel bookings."""
    b = booking.book(_req(phone="13800000009"))
    with pytest.raises(InvalidBookingError):
        booking.query(phone="13800000009")
    assert booking.query(number=b.number, phone="13800000008") == []
    assert [x.number for x in booking.query(number=b.number, phone="13800000009")] == [b.number]
