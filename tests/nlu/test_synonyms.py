import pytest

from nlu.synonyms import SynonymTable


def test_colloquial_words_are_expanded_to_formal_terms():
    table = SynonymTable.load()
    assert table.expand("驾照丢了") == "驾照丢了 机动车驾驶证"
    assert "出生登记" in table.formal_terms("宝宝上户口要带什么")
    assert {"注销", "简易"} <= set(table.formal_terms("想把公司注消了 有没有简单点的法子"))  # a pinyin typo
    assert "逾期" in table.formal_terms("违章罚款晚交了会怎么样")  # what the FAQ says: 罚款逾期
    assert "转移接续" in table.formal_terms("那边交的医保能挪过来不")


def test_formal_term_already_present_is_not_repeated():
    assert SynonymTable.load().formal_terms("机动车驾驶证 驾照") == []


def test_bad_table_names_the_item(tmp_path):
    path = tmp_path / "syn.yaml"
    path.write_text("synonyms:\n  - formal: 护照\n    colloquial: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="第 1 项"):
        SynonymTable.load(path)
