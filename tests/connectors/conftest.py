from __future__ import annotations

from datetime import date, datetime

import pytest

from connectors.booking.builtin import StoreBookingService
from connectors.booking.config import BookingConfig, HallConfig
from connectors.calendar import CITY_TZ, WorkCalendar
from connectors.complaint.builtin import StoreComplaintService
from connectors.complaint.rules import TicketRules
from connectors.crypto import Sealer, new_key

MONDAY_8AM = datetime(2026, 11, 23, 8, 0, tzinfo=CITY_TZ)  # the city's morning
TUESDAY = date(2026, 11, 24)
SERVICE = "370199-000101003000-QR-003-01"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(new_key())


@pytest.fixture
def engine(store):
    return store.engine


def booking_config(capacity: int = 2) -> BookingConfig:
    hall = HallConfig(
        id="test-hall",
        name="测试大厅",
        district="东城区",
        address="测试路1号",
        phone="0000-1",
        capacity=capacity,
        hours={"weekday": ["09:00-12:00"]},
        services=["*"],
    )
    other = HallConfig(
        id="west-hall",
        name="西城大厅",
        district="西城区",
        address="测试路2号",
        phone="0000-2",
        capacity=capacity,
        hours={"weekday": ["09:00-10:00"]},
        departments=["别的部门"],
    )
    return BookingConfig(slot_minutes=30, horizon_days=14, halls=[hall, other])


def make_booking(engine, sealer, capacity: int = 2) -> StoreBookingService:
    return StoreBookingService(
        engine,
        booking_config(capacity),
        sealer,
        lambda code: "示例市公安局",
        WorkCalendar(),
        now=lambda: MONDAY_8AM,
    )


@pytest.fixture
def booking(engine, sealer):
    return make_booking(engine, sealer)


@pytest.fixture
def complaints(engine, sealer):
    return StoreComplaintService(engine, TicketRules.load(), sealer, WorkCalendar(), now=lambda: MONDAY_8AM)
