"""The phrasebook: aspects in the order that keeps "有效期多久" apart from "多久", and its checks."""

from __future__ import annotations

import pytest

from nlu.normalize import normalize
from nlu.phrasebook import Phrasebook, PhrasebookError, default_phrasebook


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("无犯罪证明有效期多久", "validity"),
        ("出生后多久之内要去报", "deadline"),
        ("居住证得住多久才能办", "conditions"),
        ("多久能拿到", "time"),
        ("周六能办吗", "hours"),
        ("要两个人都去吗", "attend"),
        ("西城区哪里能办", "place"),
        ("不收钱吧", "fee"),
        ("没备案能报吗", "conditions"),
        ("那要带什么材料", "materials"),
        ("得先办了啥才能领", "conditions"),  # 发票领用: what must come first is its condition
    ],
)
def test_aspect_of_a_follow_up(text, aspect):
    assert default_phrasebook().aspect_of(normalize(text).replace(" ", "")) == aspect


def test_residue_is_what_is_left_after_small_talk():
    book = default_phrasebook()
    assert book.residue(normalize("谢谢，没别的了"), "thanks", "goodbye") == ""
    assert book.residue(normalize("谢谢，那要带什么"), "thanks", "goodbye") != ""


def test_a_broken_phrasebook_names_file_line_and_field(tmp_path):
    path = tmp_path / "phrasebook.yaml"
    path.write_text("aspects:\n  - id: fee\n    name: 收费\n    words: []\n", encoding="utf-8")
    with pytest.raises(PhrasebookError) as err:
        Phrasebook.load(path)
    assert (
        str(path) in str(err.value) and "第 4 行" in str(err.value) and "aspects[1].words" in str(err.value)
    )
