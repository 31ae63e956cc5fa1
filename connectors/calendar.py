"""Working days: weekends and holidays off, 调休 weekend days worked (``connectors/data/calendar.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

DEFAULT_CALENDAR = Path(__file__).parent / "data" / "calendar.yaml"
CITY_TIMEZONE = "Asia/Shanghai"  # settings.timezone; "today" and office hours are the city's
CITY_TZ = ZoneInfo(CITY_TIMEZONE)


def city_clock(tz: tzinfo = CITY_TZ, now: Callable[[], datetime] | None = None) -> Callable[[], datetime]:
    """A clock on the city's wall: aware datetimes in ``tz`` (``now`` may be any aware clock)."""
    if now is None:
        return lambda: datetime.now(tz)
    return lambda: _in(now(), tz)


def _in(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz) if moment.tzinfo is not None else moment  # naive: taken as local


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def load(cls, path: Path = DEFAULT_CALENDAR) -> WorkCalendar:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        try:
            return cls(
                frozenset(date.fromisoformat(str(d)) for d in data.get("holidays") or []),
                frozenset(date.fromisoformat(str(d)) for d in data.get("workdays") or []),
            )
        except ValueError as exc:
            raise ValueError(f"{path}: 日期格式应为 YYYY-MM-DD：{exc}") from exc

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (0 = the same day if it is a working day)."""
        current = start
        while not self.is_workday(current):
            current += timedelta(days=1)
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current
