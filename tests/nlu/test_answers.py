"""Typed answers to 一件事 questions, the quantities in them, and what they settle later."""

from __future__ import annotations

import pytest

from nlu.answers import implied, match_option, stated
from nlu.numbers import arabic, ascii_digits, quantities, threshold

YES_NO = [("是", "是"), ("否", "否")]
FORM = [("个体工商户", "个体工商户"), ("公司", "有限责任公司")]
OVER_300 = "经营面积是否超过 300 平方米？"
UNDER_50 = "经营面积是否在 50 平方米以下、只做简单小吃（小餐饮）？"


@pytest.mark.parametrize(
    ("text", "question", "options", "kind", "expected"),
    [
        ("个体户", "打算以什么形式经营？", FORM, "choice", "个体工商户"),
        ("想注册个公司", "打算以什么形式经营？", FORM, "choice", "公司"),
        ("面积不大，大概50平", OVER_300, YES_NO, "yes_no", "否"),
        ("四百平米左右", OVER_300, YES_NO, "yes_no", "是"),
        ("大概50平", UNDER_50, YES_NO, "yes_no", "是"),
        ("房东还有贷款没还完", "房屋是否还有抵押贷款未还清？", YES_NO, "yes_no", "是"),
        ("早就还清了，没有贷款", "房屋是否还有抵押贷款未还清？", YES_NO, "yes_no", "否"),
        ("还没办呢", "是否已办理生育登记？", YES_NO, "yes_no", "否"),
        ("已经办了", "是否已办理生育登记？", YES_NO, "yes_no", "是"),
        ("要挂个门头", "是否设置户外招牌？", YES_NO, "yes_no", "是"),
        ("不需要", "是否需要新装燃气？", YES_NO, "yes_no", "否"),
    ],
)
def test_typed_answers_match_their_option(text, question, options, kind, expected):
    assert match_option(text, question, options, kind) == expected


@pytest.mark.parametrize("text", ["明天天气怎么样", "有什么要注意的吗", "这个要多少钱"])
def test_words_that_answer_nothing_match_no_option(text):
    assert match_option(text, "是否设置户外招牌？", YES_NO) is None


def test_a_quantity_or_a_bound_settles_later_questions():
    later = [("area_over_300", OVER_300, YES_NO)]
    assert implied("大概50平", "是", UNDER_50, YES_NO, later) == {"area_over_300": "否"}
    assert implied("是的", "是", UNDER_50, YES_NO, later) == {"area_over_300": "否"}
    assert implied("不是", "否", UNDER_50, YES_NO, later) == {}  # over 50 says nothing about 300


def test_numbers_in_any_script_and_chinese_numerals():
    assert ascii_digits("١٣٨１２３") == "138123"
    assert quantities("五十平米") == {"area": 50.0} and quantities("１２０平") == {"area": 120.0}
    assert arabic("两百平") == "200平"
    assert threshold(OVER_300) == ("area", 300.0, "gt") and threshold(UNDER_50) == ("area", 50.0, "le")


@pytest.mark.parametrize(
    "text, question, expected",
    [
        ("兼卖咖啡", "是否兼营咖啡、饮品或简餐？", "是"),  # says what is asked, with no yes-word
        ("以前在外地交过几年社保", "是否有外地参保经历需要归集到本市？", "是"),
        ("退休后就在本地住", "退休后是否长期在外地居住？", "否"),  # the opposite of what is asked
        ("店面就80平", "是否兼营咖啡、饮品或简餐？", None),  # about something else: no answer
        ("退休后再看情况吧", "退休后是否长期在外地居住？", None),  # shares only the setting, not the question
    ],
)
def test_answers_that_restate_or_contradict_the_question(text, question, expected):
    assert match_option(text, question, YES_NO) == expected


def test_a_first_message_states_only_what_it_says_not_what_it_asks():
    from nlu.answers import stated

    yes_no = [("是", "是"), ("否", "否")]
    assert stated("二代残疾证早就有了 补贴能一起申请吗", "是否已持有第二代残疾人证？", yes_no) == "是"
    assert stated("二手房过户 要还完贷款吗", "房屋是否还有抵押贷款未还清？", yes_no) is None  # it asks
    entity = [("个体工商户", "个体工商户"), ("公司", "有限责任公司")]
    assert stated("打算个体户开个绘本馆", "打算以什么形式经营？", entity, "choice") == "个体工商户"
    assert stated("好的", "打算以什么形式经营？", entity, "choice") is None


def test_the_clause_about_what_is_asked_answers_not_a_no_in_another():
    yes_no = [("是", "是"), ("否", "否")]
    assert match_option("家里就他一个人 也没收入 想申请低保", "家庭是否需要申请最低生活保障？", yes_no) == "是"


def test_debts_in_everyday_words():
    yes_no = [("是", "是"), ("否", "否")]
    question = "企业是否有未结清的债权债务？"
    assert match_option("账都清了 没欠别人的 也没人欠我们", question, yes_no) == "否"
    assert match_option("公司还欠着供应商的货款", question, yes_no) == "是"


@pytest.mark.parametrize(
    "text, expected",
    [("租了个门面，水和电都得重新报装，燃气用不上，能一块办吗", "no"), ("门面的燃气要装", "yes"), ("没有燃气", "no")],
)
def test_the_first_message_says_no_after_the_topic_too(text, expected):
    assert stated(text, "是否需要接入燃气？", [("yes", "是"), ("no", "否")]) == expected
