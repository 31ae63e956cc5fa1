"""A long message is matched on its question clause, not on the story before it."""

from __future__ import annotations

from nlu.clauses import clauses, question_focus, without_lead
from nlu.normalize import normalize


def test_the_question_clause_keeps_the_clause_with_its_object():
    text = normalize("我下个月满60，单位让我自己去社保办退休领养老金，要准备啥")
    assert question_focus(text) == "单位让我自己去社保办退休领养老金，要准备啥"


def test_a_self_contained_question_clause_stands_alone():
    text = normalize("上周末带孩子去公园玩，回来发现钱包不见了，身份证要怎么补办呢")
    assert question_focus(text) == "身份证要怎么补办呢"


def test_short_messages_and_messages_without_a_question_are_matched_whole():
    assert question_focus(normalize("身份证丢了怎么补办")) is None
    assert question_focus(normalize("我在示例市工作了五年，今年准备辞职回老家，公积金账户还有钱")) is None
    assert clauses("一，二。三？") == ["一", "二", "三"]


def test_the_by_the_way_before_a_question_is_not_its_content():
    assert without_lead("另外问下 孩子在学校想申请困难补助") == "孩子在学校想申请困难补助"
    assert without_lead("你好，请问护照怎么办") == "护照怎么办"
    assert without_lead("还有别的吗") == "别的吗" and without_lead("你好") == "你好"  # nothing else: kept


def test_a_guess_that_ends_in_ba_asks_something():
    from nlu.clauses import is_question

    assert is_question("规划许可证还没下来也办不了吧") and is_question("核名不用跑现场吧")
    assert not is_question("那就这样吧") and not is_question("好吧")
