"""The booking Protocol over HTTP, for a city's existing booking system (contract: docs/connectors.md)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from connectors.booking.protocol import (
    Booking,
    BookingError,
    BookingNotFoundError,
    BookingRequest,
    BookingUnsupportedError,
    DuplicateBookingError,
    HallInfo,
    InvalidBookingError,
    Slot,
    SlotFullError,
)
from connectors.calendar import CITY_TZ
from connectors.http_client import JsonClient, RetryPolicy

_BY_CODE = {
    "slot_full": SlotFullError,
    "duplicate": DuplicateBookingError,
    "not_found": BookingNotFoundError,
    "invalid": InvalidBookingError,
}


def _hall(d: dict) -> HallInfo:
    return HallInfo(d["id"], d["name"], d.get("district", ""), d.get("address", ""), d.get("phone", ""))


def _booking(d: dict) -> Booking:
    return Booking(
        number=d["number"],
        service_code=d["service_code"],
        service_name=d.get("service_name", ""),
        hall=_hall(d["hall"]),
        day=date.fromisoformat(d["day"]),
        start=d["start"],
        end=d["end"],
        status=d["status"],
        name_masked=d.get("name_masked", ""),
        phone_masked=d.get("phone_masked", ""),
    )


class HttpBookingService:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        tz: tzinfo = CITY_TZ,
    ) -> None:
        self.client = JsonClient(base_url, token, timeout, retry, system="预约系统")
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def _call(self, method: str, path: str, **kw):
        return self.client.call(method, path, _BY_CODE, BookingError, BookingNotFoundError, **kw)

    def halls(self, service_code: str, district: str | None = None) -> list[HallInfo]:
        params = {"service": service_code, **({"district": district} if district else {})}
        return [_hall(d) for d in self._call("GET", "/halls", params=params)]

    def free_slots(self, hall_id: str, service_code: str, first: date, last: date) -> list[Slot]:
        params = {"service": service_code, "from": first.isoformat(), "to": last.isoformat()}
        return [
            Slot(hall_id, date.fromisoformat(d["day"]), d["start"], d["end"], int(d["free"]))
            for d in self._call("GET", f"/halls/{hall_id}/slots", params=params)
        ]

    def book(self, request: BookingRequest) -> Booking:
        request.check()
        body = {
            "service_code": request.service_code,
            "service_name": request.service_name,
            "hall_id": request.hall_id,
            "day": request.day.isoformat(),
            "start": request.start,
            "name": request.name,
            "phone": request.phone,
        }
        return _booking(self._call("POST", "/bookings", json=body, idempotency_key=request.idempotency_key))

    def cancel(self, number: str, phone: str) -> Booking:
        return _booking(self._call("POST", f"/bookings/{number}/cancel", json={"phone": phone}))

    def reschedule(self, number: str, phone: str, day: date, start: str) -> Booking:
        body = {"phone": phone, "day": day.isoformat(), "start": start}
        return _booking(self._call("POST", f"/bookings/{number}/reschedule", json=body))

    def query(self, *, number: str | None = None, phone: str | None = None) -> list[Booking]:
        params = {k: v for k, v in (("number", number), ("phone", phone)) if v}
        return [_booking(d) for d in self._call("GET", "/bookings", params=params)]

    def find(
        self,
        *,
        day: date | None = None,
        hall_id: str | None = None,
        status: str | None = None,
        limit: int = 200,
        phone: str | None = None,
    ) -> list[Booking]:
        raise BookingUnsupportedError("an external booking system keeps its own lists")
