"""Detect and mask citizens' personal data: 身份证号, 手机号, 固定电话, 银行卡号 and names.

This is the one place that masks PII; logging, replies and exports all call it. Numbers are
found in any digits (全角 "１３８…", other scripts' decimal digits); a 身份证号 is masked when it
has the number's shape (region, a real birth date) even with a wrong check digit — a typo does
not make it less personal; names are masked where the text says it is one (我叫…, 联系人…).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# the shape of an 18-digit (or old 15-digit) number: region, birth date, sequence, check
_ID_SHAPE_RE = re.compile(
    rf"(?<![0-9A-Za-z])([1-9]\d{{5}}(?:(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx]|\d{{2}}{_DATE}\d{{3}}))(?![0-9A-Za-z])"
)
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
# 010-12345678, (0755)88886666, 0571 8888 6666, 021-1234567-801
_LANDLINE_RE = re.compile(
    r"(?<![\d-])(?:\+?86[- ]?)?(\(?0[1-9]\d{1,2}\)?[- ]?[1-9]\d{2,3}[- ]?\d{4}(?:[-转]\d{1,5})?)(?![\d-])"
)
_NAME_CUE = r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是|为)?|联系人(?:是|为)?|本人|办事人(?:是|为)?|叫我)"
_NAME_RE = re.compile(
    rf"{_NAME_CUE}[:：\s]*([\u4e00-\u9fa5](?:(?![想要在的了是我你他她电手身号和与跟办问请，。、,])[\u4e00-\u9fa5·]){{1,3}})"
)
_DASHES = {ord(c): "-" for c in "－—–‐‑﹣"} | {ord("\u3000"): " ", ord("Ｘ"): "X", ord("ｘ"): "x"}
_DASHES |= {ord("（"): "(", ord("）"): ")", ord("＋"): "+"}
_CARD_RE = re.compile(r"(?<!\d)(\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}(?:[- ]?\d{1,3})?)(?!\d)")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # id_card | mobile | landline | bank_card | name
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


def ascii_digits(text: str) -> str:
    """The same text, character for character, with every decimal digit as 0-9 (１ → 1, ١ → 1)
    and full-width dashes, X and spaces folded: positions stay valid in the original."""
    out = []
    for ch in text.translate(_DASHES):
        if ch.isdecimal() and not ch.isascii():
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out)


def find_pii(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []
    plain = ascii_digits(text)

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(kind: str, m: re.Match) -> None:
        found.append(PiiMatch(kind, m.start(1), m.end(1), m.group(1)))
        taken.append((m.start(1), m.end(1)))

    for m in _ID_RE.finditer(plain):
        if id_card_valid(m.group(1)):
            add("id_card", m)
    for m in _ID_SHAPE_RE.finditer(plain):  # a wrong check digit or an old 15-digit number
        if free(m.start(1), m.end(1)):
            add("id_card", m)
    for m in _MOBILE_RE.finditer(plain):
        if free(m.start(1), m.end(1)):
            add("mobile", m)
    for m in _CARD_RE.finditer(plain):
        digits = re.sub(r"\D", "", m.group(1))
        if 16 <= len(digits) <= 19 and _luhn_valid(digits) and free(m.start(1), m.end(1)):
            add("bank_card", m)
    for m in _LANDLINE_RE.finditer(plain):
        if free(m.start(1), m.end(1)):
            add("landline", m)
    for m in _NAME_RE.finditer(plain):
        if free(m.start(1), m.end(1)):
            add("name", m)
    return sorted(found, key=lambda p: p.start)


def mask_value(kind: str, value: str) -> str:
    if kind == "name":
        return mask_name(value)
    digits = re.sub(r"[\s()-]", "", value)
    if kind == "id_card":
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if kind == "mobile":
        return digits[:3] + "****" + digits[-4:]
    if kind == "landline":
        return mask_phone(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_pii(text: str) -> str:
    """Replace every 身份证号/手机号/固定电话/银行卡号/name in ``text`` by a masked form."""
    return _replace_pii(text, lambda m: mask_value(m.kind, m.value))


def drop_numbers(text: str) -> str:
    """``text`` without its 身份证号/手机号/固定电话/银行卡号: what a search should read
    ("我手机13812345678，驾照丢了怎么办" asks about the licence, not about eleven digits). Names
    stay: their cues over-match ("本人必须到场吗"), which masking may afford and a search may not."""
    return _replace_pii(text, lambda m: " ", kinds=("id_card", "mobile", "landline", "bank_card"))


def _replace_pii(text: str, replacement, kinds: tuple[str, ...] | None = None) -> str:
    if not text:
        return text
    matches = [m for m in find_pii(text) if kinds is None or m.kind in kinds]
    if not matches:
        return text
    out, last = [], 0
    for m in matches:
        out.append(text[last : m.start])
        out.append(replacement(m))
        last = m.end
    out.append(text[last:])
    return "".join(out)


def mask_name(name: str) -> str:
    """张三 -> 张*: the family name is enough to greet someone on the phone."""
    name = (name or "").strip()
    return name[0] + "*" * (len(name) - 1) if name else ""


def find_mobile(text: str) -> str | None:
    """The first mobile number in ``text`` as 11 digits ("138 1234-5678", "１３８…" → "13812345678")."""
    found = _MOBILE_RE.search(ascii_digits(text))
    return re.sub(r"\D", "", found.group(1)) if found else None


def mask_phone(phone: str) -> str:
    """Mask a phone number given on its own (form fields)."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def pseudonym(value: str, key: bytes) -> str:
    """A stable stand-in for an identifier that must not be stored (a WeChat openid, a chat's
    sender id): HMAC-SHA256 under ``key``, 16 hex digits. Equal values give equal pseudonyms, so
    rows of one conversation stay together; without the key nobody can tell whose they are."""
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
