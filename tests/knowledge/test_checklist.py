from __future__ import annotations

import pytest

from knowledge.checklist import ChecklistError, build_checklist
from knowledge.schema import Bundle, ServiceGuide


@pytest.fixture(scope="module")
def kb(sample_entries):
    guides = {e.code: e for e in sample_entries if isinstance(e, ServiceGuide)}
    bundles = {e.name: e for e in sample_entries if isinstance(e, Bundle)}
    return guides, bundles


def _names(checklist):
    return [g.name for g in checklist.guides]


def test_restaurant_checklist_changes_with_answers(kb):
    guides, bundles = kb
    b = bundles["开办餐饮店一件事"]
    small = build_checklist(
        b,
        guides,
        {
            "entity": "个体工商户",
            "small_shop": "是",
            "area_over_300": "否",
            "signboard": "否",
            "need_gas": "否",
        },
    )
    assert _names(small) == ["个体工商户设立登记", "小餐饮经营登记"]
    big = build_checklist(
        b,
        guides,
        {"entity": "公司", "small_shop": "否", "area_over_300": "是", "signboard": "是", "need_gas": "是"},
    )
    assert _names(big) == [
        "企业名称自主申报",
        "有限责任公司设立登记",
        "食品经营许可",
        "公众聚集场所投入使用营业前消防安全检查",
        "户外招牌设置",
        "燃气报装",
    ]
    assert big.stages[0] == [g.code for g in big.guides[:2]]


def test_shared_material_appears_once_with_every_guide_it_serves(kb):
    guides, bundles = kb
    c = build_checklist(
        bundles["开办餐饮店一件事"],
        guides,
        {"entity": "公司", "small_shop": "否", "area_over_300": "是", "signboard": "是"},
    )
    licence = [m for m in c.materials if m.name == "营业执照"]
    assert len(licence) == 1
    assert len(licence[0].guides) == 3 and licence[0].exempt and licence[0].e_licence == "营业执照"


def test_deferrable_only_when_every_guide_accepts_it(kb):
    guides, bundles = kb
    c = build_checklist(bundles["开办餐饮店一件事"], guides, {"entity": "公司", "area_over_300": "是"})
    report = next(m for m in c.materials if m.name == "消防设施检测报告")
    assert report.can_defer and not report.exempt


def test_unanswered_questions_are_listed_and_defaults_apply(kb):
    guides, bundles = kb
    c = build_checklist(bundles["新生儿出生一件事"], guides, {})
    assert "need_card" in c.unanswered and "birth_registered" not in c.unanswered
    assert _names(c)[:2] == ["出生医学证明签发", "出生登记（新生儿落户）"]
    assert c.total_days is not None and c.total_days <= 10


def test_done_materials_are_ticked_off(kb):
    guides, bundles = kb
    c = build_checklist(
        bundles["开办餐饮店一件事"], guides, {"entity": "个体工商户"}, done=["经营场所使用证明"]
    )
    ticked = next(m for m in c.materials if m.name == "经营场所使用证明")
    assert ticked.done and ticked not in c.to_submit


def test_bad_answer_is_refused_with_the_allowed_values(kb):
    guides, bundles = kb
    with pytest.raises(ChecklistError, match="是、否"):
        build_checklist(bundles["开办餐饮店一件事"], guides, {"signboard": "也许"})
    with pytest.raises(ChecklistError, match="没有问题"):
        build_checklist(bundles["开办餐饮店一件事"], guides, {"nope": "是"})


def test_materials_mentioned_picks_the_best_match():
    from knowledge.checklist import materials_mentioned

    names = ["营业执照（副本）", "居民身份证", "居民户口簿", "食品经营许可证", "房屋租赁合同"]
    assert materials_mentioned("营业执照我已经有了", names) == ["营业执照（副本）"]
    assert materials_mentioned("身份证带了", names) == ["居民身份证"]
    assert materials_mentioned("租赁合同准备好了", names) == ["房屋租赁合同"]
    assert materials_mentioned("今天天气不错", names) == []
