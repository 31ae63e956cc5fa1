"""Days and times as citizens say them: "明天", "下周一", "11月25号", "下午两点半", "09:00"."""

from __future__ import annotations

import re
from datetime import date, timedelta

import cn2an

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_ISO = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_MONTH_DAY = re.compile(r"(\d{1,2})(?:月|/|-)(\d{1,2})[日号]?")
_DAY = re.compile(r"(\d{1,2})[日号]")
_WEEK = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})")
_SPOKEN = re.compile(r"(凌晨|早上|早晨|上午|中午|下午|晚上)?(\d{1,2}|两)点(半|一刻|1刻|(\d{1,2})分?)?")
PARTS = {"早上": (0, 12), "早晨": (0, 12), "上午": (0, 12), "中午": (11, 14), "下午": (12, 24), "晚上": (17, 24)}


def _digits(text: str) -> str:
    try:
        # "点" reads as a decimal point to cn2an ("九点一刻" → "9.1刻"): say 时 while converting
        return cn2an.transform(text.replace("两点", "2点").replace("点", "时"), "cn2an").replace("时", "点")
    except (ValueError, KeyError):
        return text


def parse_day(text: str, today: date) -> date | None:
    """The day meant by ``text`` (never in the past), or None."""
    text = _digits(text.strip())
    if m := _ISO.search(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    for word in sorted(_RELATIVE, key=len, reverse=True):
        if word in text:
            return today + timedelta(days=_RELATIVE[word])
    if m := _WEEK.search(text):
        target = _WEEKDAYS.get(m[2], None)
        target = int(m[2]) - 1 if target is None else target
        monday = today - timedelta(days=today.weekday())
        weeks = {"下下": 2}.get(m[1] or "", 1 if (m[1] or "").startswith("下") else 0)
        day = monday + timedelta(weeks=weeks, days=target)
        return day if day >= today else day + timedelta(weeks=1)
    if m := _MONTH_DAY.search(text):
        month, day = int(m[1]), int(m[2])
        found = _valid(today.year, month, day)
        if found and found < today:
            found = _valid(today.year + 1, month, day)
        return found
    if m := _DAY.search(text):
        day = int(m[1])
        found = _valid(today.year, today.month, day)
        if found is None or found < today:
            nxt = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            found = _valid(nxt.year, nxt.month, day)
        return found
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> tuple[int, int] | str | None:
    """(hour, minute) for a clock time, a part of day ("上午", "下午") alone, or None.

    Hours 1–7 without a part of day are read as afternoon (offices close at 17:00).
    """
    text = _digits(text.strip())
    if m := _CLOCK.search(text):
        return int(m[1]), int(m[2])
    if m := _SPOKEN.search(text):
        hour = 2 if m[2] == "两" else int(m[2])
        minute = 30 if m[3] == "半" else 15 if m[3] in ("一刻", "1刻") else int(m[4]) if m[4] else 0
        part = m[1]
        if (part in ("下午", "晚上") and hour < 12) or (part is None and 1 <= hour <= 7):
            hour += 12
        return hour, minute
    for part in PARTS:
        if part in text:
            return part
    return None
