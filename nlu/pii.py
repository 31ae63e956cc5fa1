"""Detect and mask citizens' personal data: 身份证号 (with checksum), 手机号, 银行卡号.

This is the one place that masks PII; logging, replies and exports all call it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
_CARD_RE = re.compile(r"(?<!\d)(\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}(?:[- ]?\d{1,3})?)(?!\d)")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # id_card | mobile | bank_card
    start: int
    end: int
    value: str


def id_card_valid(number: str) -> bool:
    """GB 11643 check digit of an 18-digit 居民身份证号码."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_pii(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _ID_RE.finditer(text):
        if id_card_valid(m.group(1)):
            found.append(PiiMatch("id_card", m.start(1), m.end(1), m.group(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _MOBILE_RE.finditer(text):
        if free(m.start(1), m.end(1)):
            found.append(PiiMatch("mobile", m.start(1), m.end(1), m.group(1)))
            taken.append((m.start(1), m.end(1)))
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if 16 <= len(digits) <= 19 and _luhn_valid(digits) and free(m.start(1), m.end(1)):
            found.append(PiiMatch("bank_card", m.start(1), m.end(1), m.group(1)))
            taken.append((m.start(1), m.end(1)))
    return sorted(found, key=lambda p: p.start)


def mask_value(kind: str, value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if kind == "id_card":
        return digits[:3] + "*" * 11 + digits[-4:]
    if kind == "mobile":
        return digits[:3] + "****" + digits[-4:]
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_pii(text: str) -> str:
    """Replace every 身份证号/手机号/银行卡号 in ``text`` by a masked form."""
    if not text:
        return text
    matches = find_pii(text)
    if not matches:
        return text
    out, last = [], 0
    for m in matches:
        out.append(text[last : m.start])
        out.append(mask_value(m.kind, m.value))
        last = m.end
    out.append(text[last:])
    return "".join(out)


def mask_name(name: str) -> str:
    """张三 -> 张*: the family name is enough to greet someone on the phone."""
    name = (name or "").strip()
    return name[0] + "*" * (len(name) - 1) if name else ""


def find_mobile(text: str) -> str | None:
    """The first mobile number in ``text`` as 11 digits ("138 1234-5678" → "13812345678")."""
    found = _MOBILE_RE.search(text)
    return re.sub(r"\D", "", found.group(1)) if found else None


def mask_phone(phone: str) -> str:
    """Mask a phone number given on its own (form fields)."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
