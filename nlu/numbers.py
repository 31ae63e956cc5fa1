"""Numbers as citizens type them: any script's digits, Chinese numerals, a quantity with its unit.

One place for the booking form (phones, days, times, numbered choices) and the 一件事 answers
("大概50平", "五十平米", "１２０平") to read digits. ``str.isdigit()`` is true for "①" and "²",
which ``int()`` then refuses: whatever turns typed text into a number goes through here.
"""

from __future__ import annotations

import re
import unicodedata

import cn2an

_AREA_UNITS = r"平方米|平方|平米|平|㎡|m2|个平方"
_QUANTITY = re.compile(rf"(\d+(?:\.\d+)?)\s*({_AREA_UNITS}|人|岁|周岁|年|个月|天|万元|元)")
_THRESHOLD = re.compile(
    rf"(超过|大于|多于|高于|不少于|不低于|在|不足|少于|低于|不超过|不到)?\s*(\d+(?:\.\d+)?)\s*"
    rf"({_AREA_UNITS}|人|岁|周岁|年|个月|天|万元|元)\s*(以下|以内|之内|以上|及以上|以下的|以上的)?"
)
UNIT_FAMILY = {
    "平方米": "area",
    "平方": "area",
    "平米": "area",
    "平": "area",
    "㎡": "area",
    "m2": "area",
    "个平方": "area",
}


def ascii_digits(text: str) -> str:
    """Every decimal digit of any script (全角１, Arabic-Indic ٣, Devanagari ३…) as ASCII."""
    return "".join(str(unicodedata.digit(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def arabic(text: str) -> str:
    """Chinese numerals turned into digits ("五十平" → "50平"), digits of any script as ASCII."""
    text = ascii_digits(text)
    try:
        return cn2an.transform(text.replace("两", "二"), "cn2an")
    except (ValueError, KeyError):
        return text


def _family(unit: str) -> str:
    return UNIT_FAMILY.get(unit, "岁" if unit == "周岁" else unit)


def quantities(text: str) -> dict[str, float]:
    """Quantities named in ``text`` by unit family: {"area": 50.0} for "面积不大，大概50平"."""
    found: dict[str, float] = {}
    for m in _QUANTITY.finditer(arabic(text)):
        found.setdefault(_family(m[2]), float(m[1]))
    return found


def threshold(question: str) -> tuple[str, float, str] | None:
    """The condition a yes/no question puts on a quantity: ("area", 300, "gt") for
    "经营面积是否超过 300 平方米？", ("area", 50, "le") for "是否在 50 平方米以下"."""
    m = _THRESHOLD.search(arabic(question))
    if not m:
        return None
    before, number, unit, after = m[1] or "", float(m[2]), m[3], m[4] or ""
    if before in ("超过", "大于", "多于", "高于") or after.startswith("以上") or after.startswith("及以上"):
        op = "ge" if before in ("不少于", "不低于") or after.startswith("及以上") else "gt"
    elif before in ("不少于", "不低于"):
        op = "ge"
    elif before in ("不足", "少于", "低于", "不到"):
        op = "lt"
    elif before == "不超过" or after.startswith(("以下", "以内", "之内")):
        op = "le"
    else:
        return None
    return _family(unit), number, op


def holds(value: float, limit: float, op: str) -> bool:
    return {"gt": value > limit, "ge": value >= limit, "lt": value < limit, "le": value <= limit}[op]


# -- a whole message as a number: numbered choices ("3", "３", "③", "三", "第3个") --

_CHINESE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WRAPPED = re.compile(r"^(?:第|选|选择|选第)?\s*(.+?)\s*(?:个|项|条|号|\.|、)?$")
MAX_DIGITS = 9  # nothing a citizen picks or counts is longer; bounded so int() stays cheap


def _chinese(text: str) -> int | None:
    if text == "十":
        return 10
    if len(text) == 1:
        return _CHINESE.get(text)
    if len(text) == 2 and text[0] == "十" and text[1] in _CHINESE:  # 十三
        return 10 + _CHINESE[text[1]]
    if len(text) in (2, 3) and text[1] == "十" and text[0] in _CHINESE:  # 二十, 二十三
        tail = _CHINESE.get(text[2], -1) if len(text) == 3 else 0
        return _CHINESE[text[0]] * 10 + tail if tail >= 0 else None
    return None


def parse_number(text: str) -> int | None:
    """The whole text as a non-negative integer, or None ("12", "１２", "①", "²", "十二", "第3个")."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_DIGITS + 4:
        return None
    m = _WRAPPED.match(text)
    core = m.group(1) if m else text
    if core.isdecimal() and len(core) <= MAX_DIGITS:  # any script's decimal digits
        return int("".join(str(unicodedata.decimal(c)) for c in core))
    if len(core) == 1:
        value = unicodedata.numeric(core, -1)  # ① ② ⑩ ² ½ …
        if value >= 0 and float(value).is_integer():
            return int(value)
    return _chinese(core)


def parse_choice(text: str, count: int) -> int | None:
    """The 0-based index of a numbered choice out of ``count`` ("2" → 1), or None."""
    number = parse_number(text)
    return number - 1 if number is not None and 1 <= number <= count else None
