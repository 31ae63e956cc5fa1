"""Issue 14 item 4: numbers typed in any digits are parsed, and nothing typed makes it raise."""

from __future__ import annotations

import pytest

from nlu.numbers import parse_choice, parse_number


@pytest.mark.parametrize(
    ("typed", "value"),
    [("3", 3), ("３", 3), ("③", 3), ("²", 2), ("٣", 3), ("三", 3), ("十二", 12), ("二十三", 23), ("第2个", 2), (" 7 ", 7)],
)
def test_numbers_in_any_script(typed, value):
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed", ["", "abc", "½", "99999999999999999999", "一件事", "3a", "\ud800", "1" * 10_000])
def test_what_is_not_a_small_whole_number_is_none(typed):
    assert parse_number(typed) is None


def test_choice_is_bounded_by_the_number_of_options():
    assert parse_choice("①", 3) == 0 and parse_choice("３", 3) == 2
    assert parse_choice("4", 3) is None and parse_choice("0", 3) is None and parse_choice("²", 1) is None
