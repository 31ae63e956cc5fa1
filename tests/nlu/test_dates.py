from datetime import date

import pytest

from nlu.dates import parse_day, parse_time

TODAY = date(2026, 11, 21)  # a Saturday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天", date(2026, 11, 22)),
        ("大后天上午", date(2026, 11, 24)),
        ("2026-11-25", date(2026, 11, 25)),
        ("11月25日", date(2026, 11, 25)),
        ("十一月二十五号", date(2026, 11, 25)),
        ("1月3号", date(2027, 1, 3)),  # already past this year: next year
        ("下周一", date(2026, 11, 23)),
        ("周三", date(2026, 11, 25)),
        ("下下周二", date(2026, 12, 1)),
        ("25号", date(2026, 11, 25)),
        ("5号", date(2026, 12, 5)),
    ],
)
def test_days_as_citizens_say_them(text, expected):
    assert parse_day(text, TODAY) == expected


def test_not_a_day():
    assert parse_day("随便哪天", TODAY) is None
    assert parse_day("2月30日", TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", (9, 0)),
        ("下午两点半", (14, 30)),
        ("上午十点", (10, 0)),
        ("3点", (15, 0)),
        ("九点一刻", (9, 15)),
        ("下午", "下午"),
        ("随便", None),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected
