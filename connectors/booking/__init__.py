"""预约: halls, free slots, bookings — a Protocol with a built-in implementation and an HTTP one."""

from connectors.booking.protocol import (
    Booking,
    BookingError,
    BookingNotFoundError,
    BookingRequest,
    BookingService,
    BookingUnsupportedError,
    DuplicateBookingError,
    HallInfo,
    InvalidBookingError,
    Slot,
    SlotFullError,
)

__all__ = [
    "Booking",
    "BookingError",
    "BookingNotFoundError",
    "BookingRequest",
    "BookingService",
    "BookingUnsupportedError",
    "DuplicateBookingError",
    "HallInfo",
    "InvalidBookingError",
    "Slot",
    "SlotFullError",
]
