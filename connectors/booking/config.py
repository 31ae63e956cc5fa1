"""The booking configuration editors keep (``connectors/booking/data/halls.yaml``) and the schedule it makes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.booking.protocol import HallInfo, Slot
from connectors.calendar import WorkCalendar

DEFAULT_HALLS = Path(__file__).parent / "data" / "halls.yaml"
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class HallConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    district: str
    address: str
    phone: str
    capacity: int = Field(ge=1, le=100)
    hours: dict[str, list[str]]
    services: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, ranges in value.items():
            if key not in ("weekday", "saturday", "sunday"):
                raise ValueError(f"hours 的键应为 weekday/saturday/sunday，不是 {key}")
            for r in ranges:
                if not _RANGE.match(r):
                    raise ValueError(f"时间段「{r}」应写成 09:00-12:00")
        return value

    def serves(self, service_code: str, department: str) -> bool:
        return "*" in self.services or service_code in self.services or department in self.departments

    def info(self) -> HallInfo:
        return HallInfo(self.id, self.name, self.district, self.address, self.phone)


class BookingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_minutes: int = Field(default=30, ge=5, le=240)
    horizon_days: int = Field(default=14, ge=1, le=90)
    halls: list[HallConfig]

    @classmethod
    def load(cls, path: Path = DEFAULT_HALLS) -> BookingConfig:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            config = cls.model_validate(data)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: YAML 语法错误：{exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{path}: {where}: {first['msg']}") from exc
        ids = [h.id for h in config.halls]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{path}: 办理点 id 重复")
        return config

    def hall(self, hall_id: str) -> HallConfig | None:
        return next((h for h in self.halls if h.id == hall_id), None)

    def day_slots(self, hall: HallConfig, day: date, calendar: WorkCalendar) -> list[tuple[str, str]]:
        """(start, end) of every slot the hall opens on ``day``."""
        if day.weekday() == 6 and day not in calendar.workdays:
            key = "sunday"
        elif day.weekday() == 5 and day not in calendar.workdays:
            key = "saturday"
        elif calendar.is_workday(day):
            key = "weekday"
        else:
            return []  # a holiday
        out = []
        for r in hall.hours.get(key, []):
            h1, m1, h2, m2 = map(int, _RANGE.match(r).groups())  # type: ignore[union-attr]
            t = datetime.combine(day, datetime.min.time()).replace(hour=h1, minute=m1)
            end = t.replace(hour=h2, minute=m2)
            step = timedelta(minutes=self.slot_minutes)
            while t + step <= end:
                out.append((t.strftime("%H:%M"), (t + step).strftime("%H:%M")))
                t += step
        return out

    def slot_end(self, hall: HallConfig, day: date, start: str, calendar: WorkCalendar) -> str | None:
        return next((e for s, e in self.day_slots(hall, day, calendar) if s == start), None)


def empty_slots(
    config: BookingConfig,
    hall: HallConfig,
    first: date,
    last: date,
    calendar: WorkCalendar,
    booked: dict[tuple[date, str], int],
) -> list[Slot]:
    out = []
    day = first
    while day <= last:
        for start, end in config.day_slots(hall, day, calendar):
            out.append(Slot(hall.id, day, start, end, max(hall.capacity - booked.get((day, start), 0), 0)))
        day += timedelta(days=1)
    return out
