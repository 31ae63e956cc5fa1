"""Issue 14, done-when: arbitrary Unicode through normalisation, PII masking, dates and numbers —
surrogates, control characters, full-width and other digits, 繁体, emoji, 10 KB strings: no
exception escapes, and PII put inside any of it comes out masked."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu.dates import parse_day, parse_time
from nlu.normalize import clean_text, normalize
from nlu.numbers import parse_choice, parse_number
from nlu.pii import mask_pii

SPECIAL = ["\ud800", "\udfff", "\x00", "\x07", "\x1b", "\u200b", "\ufeff", "１３８", "①", "²", "٣", "壹佰",
           "護照", "戶口", "😀", "👨‍👩‍👧", "\r\n", "號", "十二點半", "下週一", "Ｘ"]  # fmt: skip
ANY_CHAR = st.characters(codec=None, categories=None)  # every code point, surrogates included
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(ANY_CHAR, max_size=5)), max_size=40).map("".join),
    st.text(st.sampled_from("１２３４５６７８９０①②³护照身份证号码明天下周一点半😀\x00\ud800"), min_size=9000, max_size=10_240),
)
PII = [("13812345678", "138****5678"), ("11010519491231002X", "110***********002X"),
       ("110105194912310021", "110***********0021"), ("１３９１２３４５６７８", "139****5678")]  # fmt: skip
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(TEXT)
def test_normalise_and_clean_never_raise_and_leave_no_controls(text):
    cleaned = clean_text(text)
    assert not any(ch in cleaned for ch in "\x00\x07\x1b\ud800\udfff")
    out = normalize(text)
    assert isinstance(out, str)
    out.encode("utf-8")  # storable, loggable


@FEW
@given(TEXT, TEXT, st.sampled_from(PII), st.sampled_from([" ", "，", "：", "\n", "号码"]))
def test_pii_inside_anything_is_masked(before, after, pii, sep):
    raw, masked = pii
    text = f"{clean_text(before)}{sep}{raw}{sep}{clean_text(after)}"
    out = mask_pii(text)
    assert raw not in out and masked in out


@FEW
@given(TEXT)
def test_masking_never_raises(text):
    assert isinstance(mask_pii(text), str)


@FEW
@given(TEXT, st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_dates_and_times_never_raise(text, today):
    day = parse_day(text, today)
    assert day is None or day >= today or day.year >= 1
    parse_time(text)


@FEW
@given(TEXT, st.integers(min_value=0, max_value=20))
def test_numbers_never_raise_and_choices_stay_in_range(text, count):
    number = parse_number(text)
    assert number is None or number >= 0
    choice = parse_choice(text, count)
    assert choice is None or 0 <= choice < count
