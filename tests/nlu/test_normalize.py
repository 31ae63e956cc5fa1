from nlu.normalize import normalize, to_simplified


def test_full_width_traditional_and_case():
    assert normalize("身份證丟了，怎麼補辦？ＡＢＣ１２３") == "身份证丢了 怎么补办 abc123"


def test_numerals_with_units_become_digits_but_idioms_stay():
    assert normalize("孩子十六岁了，面积三百平方米") == "孩子16岁了 面积300平方米"
    assert normalize("新生儿出生一件事") == "新生儿出生一件事"


def test_empty_and_punctuation_only():
    assert normalize("") == ""
    assert normalize("？？！！……") == ""


def test_to_simplified():
    assert to_simplified("戶口簿") == "户口簿"
