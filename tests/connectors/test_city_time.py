"""Issue 14 item 5: "today" is the city's (Asia/Shanghai), not the server's UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connectors.booking.builtin import StoreBookingService
from connectors.calendar import CITY_TZ, WorkCalendar
from connectors.complaint.builtin import StoreComplaintService
from connectors.complaint.protocol import TicketRequest
from connectors.complaint.rules import TicketRules
from tests.connectors.conftest import booking_config

MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)
LATE_MONDAY_UTC = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 00:30 on Tuesday in Beijing
MONDAY_EVENING_UTC = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 17:30 in Beijing, office closed


def _booking(engine, sealer, now):
    return StoreBookingService(engine, booking_config(2), sealer, lambda c: "示例市公安局", WorkCalendar(), now=lambda: now)


def test_after_the_city_closes_no_slot_of_today_is_offered(engine, sealer):
    service = _booking(engine, sealer, MONDAY_EVENING_UTC)  # UTC says 09:30: every slot after it looked free
    hall = service.halls("X1")[0].id
    assert not [s for s in service.free_slots(hall, "X1", MONDAY, MONDAY)]
    assert service.now().tzinfo is not None and service.now().hour == 17


def test_after_midnight_in_the_city_today_is_tuesday(engine, sealer):
    service = _booking(engine, sealer, LATE_MONDAY_UTC)
    assert service.now().date() == TUESDAY
    hall = service.halls("X1")[0].id
    days = {s.day for s in service.free_slots(hall, "X1", MONDAY, TUESDAY)}
    assert days == {TUESDAY}  # Monday is over in the city


def test_ticket_numbers_and_deadlines_count_from_the_citys_day(engine, sealer):
    complaints = StoreComplaintService(engine, TicketRules.load(), sealer, WorkCalendar(), now=lambda: LATE_MONDAY_UTC)
    ticket = complaints.file(TicketRequest(description="小区门口路灯坏了", anonymous=True, channel="web", idempotency_key="k1"))
    assert ticket.number.startswith("GD261124")  # Tuesday in the city


def test_the_settings_clock_is_asia_shanghai_and_unknown_zones_are_refused():
    import pytest
    from pydantic import ValidationError

    from assistant.settings import Settings

    assert Settings().tz == CITY_TZ
    with pytest.raises(ValidationError, match="时区"):
        Settings(timezone="Mars/Olympus")
