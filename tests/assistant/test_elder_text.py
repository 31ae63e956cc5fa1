"""The 长辈版 pages of text replies, over every guide and bundle of the sample knowledge base."""

from __future__ import annotations

import pytest

from assistant.dialogue.safety import safety_replies
from assistant.elder_text import NEXT_PAGE, asks_for_more, elder_pages, render_page, switch_command
from assistant.replies import Reply, as_text, checklist_reply, guide_answer, guide_detail
from knowledge.checklist import build_checklist
from knowledge.schema import Bundle, ServiceGuide


@pytest.fixture(scope="module")
def kb(sample_entries):
    guides = {e.code: e for e in sample_entries if isinstance(e, ServiceGuide)}
    bundles = [e for e in sample_entries if isinstance(e, Bundle)]
    return guides, bundles


def rendered(replies):
    pages = elder_pages(replies)
    return [render_page(pages, i) for i in range(len(pages))]


def test_every_guide_answer_is_short_pages_materials_first_nothing_lost(kb):
    guides, _ = kb
    for guide in guides.values():
        pages = rendered([guide_answer(guide)])
        texts = [text for text, _ in pages]
        assert all(len(t.encode("utf-8")) <= 1200 and len(t.splitlines()) <= 16 for t in texts), guide.code
        if guide.materials:
            title, materials = texts[0].splitlines()[:2]
            assert title == f"【{guide.name}】", texts[0]
            if all(m.exempt for m in guide.materials):
                assert materials.startswith("不用带材料，窗口从系统调取："), texts[0]
            else:  # what to bring, then the 免提交 ones apart: never "需要带" beside "免提交"
                # (a guide's own note may say 免提交 of a case, "税务已推送的免提交"; the mark may not)
                assert materials == "需要带的材料：" and "（免提交" not in texts[0], texts[0]
        whole = "\n".join(texts)
        for m in guide.materials:
            assert m.name in whole, (guide.code, m.name)
        for hall in guide.halls[:2]:
            assert hall.phone in whole and hall.address in whole, (guide.code, hall.name)
        for text, payloads in pages[:-1]:
            assert payloads[0] == NEXT_PAGE and "回复 1：看下一段" in text
        last_text, last_payloads = pages[-1]
        assert NEXT_PAGE not in last_payloads and len(last_payloads) == len(guide_answer(guide).buttons)


def test_every_checklist_names_what_to_bring_first(kb):
    guides, bundles = kb
    for bundle in bundles:
        answers = {q.id: q.options[0].value for q in bundle.questions if q.options}
        checklist = build_checklist(bundle, guides, answers)
        texts = [text for text, _ in rendered([checklist_reply(checklist)])]
        assert texts[0].startswith(f"【{bundle.name}】要带的材料"), texts[0]
        whole = "\n".join(texts)
        for m in checklist.materials:
            assert m.name in whole, (bundle.code, m.name)
        assert checklist.single_window in whole
        assert all(len(t.encode("utf-8")) <= 1200 for t in texts)


def test_a_short_answer_is_one_page_like_the_standard_one(kb):
    guides, _ = kb
    guide = next(iter(guides.values()))
    [(text, payloads)] = rendered([guide_detail(guide, "fee")])
    assert "第 1 段" not in text and payloads == as_text([guide_detail(guide, "fee")])[1]


@pytest.mark.parametrize("report", ["楼下着火了", "我爸晕倒了", "有人落水了", "他又打我了"])
def test_an_emergency_is_first_and_whole_even_beside_a_long_answer(kb, report):
    guides, _ = kb
    guide = max(guides.values(), key=lambda g: len(as_text([guide_answer(g)])[0]))
    [urgent] = safety_replies(report)
    pages = rendered([guide_answer(guide), urgent])
    first = pages[0][0]
    assert first.startswith("⚠️")
    for line in urgent.text.splitlines():  # every number and step, on the first page
        assert line.split(". ", 1)[-1] in first
    assert "【" + guide.name not in first


def test_list_numbers_do_not_look_like_choices():
    [(text, payloads)] = rendered([Reply("办理流程：\n1. 申请\n2. 受理", [])])
    assert "（1）申请" in text and "1. " not in text and payloads == []


def test_a_long_paragraph_is_cut_by_size():
    pages = rendered([Reply("很长的一段话。" * 400)])
    assert len(pages) > 1 and all(len(t.encode("utf-8")) <= 1200 for t, _ in pages)
    assert "".join(t.split("\n（第")[0] for t, _ in pages).replace("\n", "") == "很长的一段话。" * 400


@pytest.mark.parametrize(
    "text, expected",
    [
        ("长辈版", True), ("大字版", True), ("长辈模式", True), ("切换到长辈版", True), ("打开大字版！", True),
        ("关怀模式", True), ("标准版", False), ("普通版", False), ("退出长辈版", False), ("换回标准版", False),
        ("长辈版怎么用", None), ("我给长辈办身份证", None), ("老年证怎么办", None), ("1", None),
    ],
)  # fmt: skip
def test_switch_commands(text, expected):
    assert switch_command(text) is expected


def test_asks_for_more():
    assert asks_for_more("下一段") and asks_for_more("继续。") and not asks_for_more("继续办营业执照")
