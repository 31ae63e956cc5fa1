"""The HTTP implementations against fake external systems on loopback."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.booking.http import HttpBookingService
from connectors.booking.protocol import BookingNotFoundError, BookingRequest, SlotFullError
from connectors.complaint.http import HttpComplaintService
from connectors.complaint.protocol import (
    ComplaintError,
    InvalidTicketError,
    TicketNotFoundError,
    TicketRequest,
)
from connectors.http_client import RetryPolicy
from tests.connectors.fakes import Fake12345, FakeBookingSystem, serve

FAST = RetryPolicy(attempts=3, backoff=0.01)


def _req(phone: str, key: str | None = None) -> BookingRequest:
    return BookingRequest("S1", "测试事项", "h1", date(2026, 11, 24), "09:00", "王五", phone, key)


def test_booking_contract_with_retries_and_error_mapping():
    fake = FakeBookingSystem(capacity=2)
    with serve(fake.app) as url:
        svc = HttpBookingService(url, retry=FAST)
        assert [h.id for h in svc.halls("S1", "东城区")] == ["h1"]
        fake.fail_next = 2  # two 503s, then it answers: the client retries
        b = svc.book(_req("13800000001", key="k1"))
        assert b.number == "EXT0001" and svc.book(_req("13800000001", key="k1")).number == "EXT0001"
        svc.book(_req("13800000002"))
        with pytest.raises(SlotFullError) as err:
            svc.book(_req("13800000003"))
        assert "约满" in err.value.user_message
        assert svc.free_slots("h1", "S1", date(2026, 11, 24), date(2026, 11, 24))[0].free == 0
        with pytest.raises(BookingNotFoundError):
            svc.cancel("EXT0001", "13999999999")
        assert svc.cancel("EXT0001", "13800000001").status == "cancelled"
        assert [x.number for x in svc.query(number="EXT0002")] == ["EXT0002"]


def test_complaint_contract_and_errors():
    fake = Fake12345()
    with serve(fake.app) as url:
        svc = HttpComplaintService(url, retry=FAST)
        req = TicketRequest("小区垃圾好几天没人收了", contact_phone="13800000001", idempotency_key="t1")
        t = svc.file(req)
        assert svc.file(req).number == t.number and len(fake.tickets) == 1
        assert svc.get(t.number).description == "小区垃圾好几天没人收了"
        with pytest.raises(TicketNotFoundError):
            svc.get("nope")
        fake.mode = "down"
        with pytest.raises(ComplaintError) as err:
            svc.file(TicketRequest("又没人收垃圾了", anonymous=True))
        assert "稍后" in err.value.user_message and fake.requests >= 4  # retried before giving up
        with pytest.raises(InvalidTicketError):
            svc.file(TicketRequest("短", anonymous=True))  # refused locally, never sent


def test_unreachable_system_is_a_polite_error():
    svc = HttpComplaintService("http://127.0.0.1:9", retry=RetryPolicy(attempts=2, backoff=0.01), timeout=0.5)
    with pytest.raises(ComplaintError) as err:
        svc.get("x")
    assert "无法连接" in err.value.user_message
