from __future__ import annotations

from nlu.pii import drop_numbers, find_pii, id_card_valid, mask_phone, mask_pii

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
    assert [p.kind for p in find_pii(text)] == ["name", "id_card", "mobile", "bank_card"]
    assert "张三" not in masked and "我叫张*" in masked


def test_invalid_id_and_ordinary_numbers_are_left_alone():
    text = "办理时限20个工作日，编码370199-000101003000-QR-003-01，电话0000-86110110"
    assert mask_pii(text) == text


def test_mask_phone_field():
    assert mask_phone("138-1234-5678") == "138****5678"


def test_an_id_number_with_a_wrong_check_digit_is_still_masked():
    wrong = "110105194912310021"  # the right check digit is X: a typo, still a person's number
    assert not id_card_valid(wrong)
    assert mask_pii(f"身份证号{wrong}") == "身份证号110***********0021"
    assert "110105491231002" not in mask_pii("老身份证110105491231002")  # 15 digits, old cards


def test_full_width_and_other_script_digits_are_masked():
    assert mask_pii("电话１３８１２３４５６７８") == "电话138****5678"
    assert "13812345678" not in mask_pii("手机\u0661\u0663\u0668" + "12345678")  # Arabic-Indic digits
    full_id = "".join(chr(0xFF10 + int(c)) if c.isdigit() else "Ｘ" for c in VALID_ID)
    assert mask_pii(f"身份证{full_id}") == "身份证110***********002X"


def test_landlines_are_masked_but_not_hotlines_or_codes():
    masked = mask_pii("座机010-12345678，或者（0755）8888 6666，分机021-1234567-801")
    assert "12345678" not in masked and "8888 6666" not in masked and "1234567" not in masked
    assert [p.kind for p in find_pii("打010-12345678")] == ["landline"]
    for text in ("请拨打12345", "编码370199-000101003000-QR-003-01", "2024-11-25 09:00", "YY241101ABCDEFGHJK"):
        assert mask_pii(text) == text


def test_names_after_a_cue_are_masked():
    assert mask_pii("我叫王小明，想办护照") == "我叫王**，想办护照"
    assert mask_pii("联系人：李华 电话13812345678") == "联系人：李* 电话138****5678"
    assert mask_pii("姓名张三想预约") == "姓名张*想预约"
    assert mask_pii("我想办理护照") == "我想办理护照"


def test_numbers_leave_what_a_search_reads_but_words_after_a_name_cue_stay():
    assert drop_numbers("身份证110101199003071237丢了，电话13812345678").split() == ["身份证", "丢了，电话"]
    assert drop_numbers("本人必须到场吗") == "本人必须到场吗"  # masking reads 必须 as a name; a search may not
    assert drop_numbers("店面50平，办卫生许可") == "店面50平，办卫生许可"
