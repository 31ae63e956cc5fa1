"""What the dialogue and the surfaces may ask of any booking system."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from connectors.errors import HandoffError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
# a booking number: YY, the day (yymmdd), 10 unguessable characters
BOOKING_NUMBER_RE = re.compile(rf"YY\d{{6}}[{NUMBER_ALPHABET}]{{10}}")


class BookingError(HandoffError):
    user_message = "预约没有成功，请稍后再试，或拨打 12345。"


class InvalidBookingError(BookingError):
    user_message = "预约信息不完整或不正确，请检查后再试。"


class SlotFullError(BookingError):
    kind = "conflict"
    user_message = "这个时段已经约满了，请换一个时段。"


class DuplicateBookingError(BookingError):
    kind = "conflict"
    user_message = "您当天已经预约过这个事项了，同一手机号每天每个事项只能预约一次。"


class BookingNotFoundError(BookingError):
    kind = "not_found"
    user_message = "没有找到这个预约，请核对预约号和手机号。"


class BookingUnsupportedError(BookingError):
    """The configured booking system does not offer this (an external one keeps its own lists)."""

    kind = "unsupported"
    user_message = "已配置外部预约系统，请在该系统中查看预约。"


@dataclass(frozen=True)
class HallInfo:
    id: str
    name: str
    district: str
    address: str
    phone: str


@dataclass(frozen=True)
class Slot:
    hall_id: str
    day: date
    start: str  # "09:00"
    end: str
    free: int


@dataclass(frozen=True)
class BookingRequest:
    service_code: str
    service_name: str
    hall_id: str
    day: date
    start: str
    name: str
    phone: str
    idempotency_key: str | None = None

    def check(self) -> None:
        if not MOBILE_RE.match(self.phone or ""):
            raise InvalidBookingError(
                f"bad phone for {self.service_code}", "手机号格式不正确，请输入 11 位手机号。"
            )
        if not (self.name or "").strip() or len(self.name) > 30:
            raise InvalidBookingError("bad name", "请填写办事人姓名。")
        if not re.fullmatch(r"\d{2}:\d{2}", self.start or ""):
            raise InvalidBookingError("bad start", "预约时段不正确。")


@dataclass(frozen=True)
class Booking:
    number: str
    service_code: str
    service_name: str
    hall: HallInfo
    day: date
    start: str
    end: str
    status: str  # booked | cancelled
    name_masked: str
    phone_masked: str

    def as_dict(self) -> dict:
        """The JSON shape used by the API (contact masked)."""
        return {
            "number": self.number,
            "service_code": self.service_code,
            "service_name": self.service_name,
            "hall": self.hall.__dict__,
            "day": self.day.isoformat(),
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "name_masked": self.name_masked,
            "phone_masked": self.phone_masked,
        }


class BookingService(Protocol):
    """What callers may use; an implementation that cannot do one raises ``BookingUnsupportedError``."""

    def now(self) -> datetime:
        """The booking system's clock (which day is "today" for free slots)."""
        ...

    def halls(self, service_code: str, district: str | None = None) -> list[HallInfo]: ...

    def free_slots(self, hall_id: str, service_code: str, first: date, last: date) -> list[Slot]: ...

    def book(self, request: BookingRequest) -> Booking: ...

    def cancel(self, number: str, phone: str) -> Booking: ...

    def reschedule(self, number: str, phone: str, day: date, start: str) -> Booking: ...

    def query(self, *, number: str | None = None, phone: str | None = None) -> list[Booking]: ...

    def find(
        self,
        *,
        day: date | None = None,
        hall_id: str | None = None,
        status: str | None = None,
        limit: int = 200,
        phone: str | None = None,
    ) -> list[Booking]:
        """For operators: bookings of a day / hall (contacts masked)."""
        ...
