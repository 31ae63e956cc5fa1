from __future__ import annotations

from nlu.pii import find_pii, id_card_valid, mask_phone, mask_pii

VALID_ID = "11010519491231002X"


def test_id_card_checksum():
    assert id_card_valid(VALID_ID)
    assert not id_card_valid("110105194912310021")


def _luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        digits = [int(c) for c in prefix + last][::-1]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return prefix + last
    raise AssertionError


def test_mask_id_mobile_and_card_in_free_text():
    card = _luhn_complete("622202020000123456")
    text = f"我叫张三，身份证{VALID_ID}，电话13812345678，卡号{card}？"
    masked = mask_pii(text)
    assert VALID_ID not in masked and "110***********002X" in masked
    assert "13812345678" not in masked and "138****5678" in masked
    assert card not in masked and masked.count("*") >= 11 + 4 + 15
    assert [p.kind for p in find_pii(text)] == ["id_card", "mobile", "bank_card"]


def test_invalid_id_and_ordinary_numbers_are_left_alone():
    text = "办理时限20个工作日，编码370199-000101003000-QR-003-01，电话0000-86110110"
    assert mask_pii(text) == text


def test_mask_phone_field():
    assert mask_phone("138-1234-5678") == "138****5678"
