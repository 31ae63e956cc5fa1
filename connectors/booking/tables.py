"""Tables of the built-in booking system."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base


class SlotRow(Base):
    """Seats taken in one time slot of one hall (shared by all services of the hall)."""

    __tablename__ = "booking_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("hall_id", "day", "start", name="uq_booking_slots_hall_day_start"),)


class BookingRow(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    hall_id: Mapped[str] = mapped_column(String(40))
    service_code: Mapped[str] = mapped_column(String(64))
    service_name: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    contact: Mapped[str] = mapped_column(Text)  # sealed {"name", "phone"}
    status: Mapped[str] = mapped_column(String(12))
    # 1 while active, NULL once cancelled: the unique constraint below then allows re-booking
    active: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("phone_hash", "service_code", "day", "active", name="uq_bookings_one_per_phone_day"),
    )
