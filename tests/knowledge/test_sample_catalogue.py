"""The sample knowledge base covers the required catalogue, with exactly those names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.schema import Bundle, ServiceGuide
from knowledge.store import ContentStore

SPEC_COPY = Path(__file__).resolve().parents[1] / "data" / "service-catalog.md"
SPEC_SHARED = Path(__file__).resolve().parents[3] / "shared" / "spec" / "service-catalog.md"


def _catalogue(text: str) -> tuple[list[str], list[str]]:
    names = [m.group(1).strip() for m in re.finditer(r"^- (.+)$", text, re.M)]
    return [n for n in names if not n.endswith("一件事")], [n for n in names if n.endswith("一件事")]


def test_spec_copy_matches_shared_spec():
    if not SPEC_SHARED.exists():
        pytest.skip("../shared/spec/service-catalog.md is not beside this checkout")
    assert SPEC_COPY.read_text(encoding="utf-8") == SPEC_SHARED.read_text(encoding="utf-8")


def test_every_catalogue_name_is_in_the_store_after_import(loaded_store: ContentStore):
    guides, bundles = _catalogue(SPEC_COPY.read_text(encoding="utf-8"))
    assert len(guides) >= 110 and len(bundles) == 17
    published = {(type(e).__name__, e.name) for e in loaded_store.published()}
    missing = [n for n in guides if ("ServiceGuide", n) not in published]
    missing += [n for n in bundles if ("Bundle", n) not in published]
    assert missing == []


def test_sample_is_marked_as_example_data():
    for path in (Path(__file__).resolve().parents[2] / "knowledge" / "data").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "example_data: true" in text and "示例数据" in text, path


def test_every_guide_has_five_colloquial_questions_halls_and_materials(sample_entries):
    for e in sample_entries:
        if isinstance(e, ServiceGuide):
            assert len(e.similar_questions) >= 5, e.name
            assert e.halls and e.materials and e.conditions, e.name


def test_codes_are_unique_and_in_national_shape(sample_entries):
    codes = [e.code for e in sample_entries]
    assert len(set(codes)) == len(codes)


def test_every_bundle_question_changes_the_guides(sample_entries):
    for b in (e for e in sample_entries if isinstance(e, Bundle)):
        assert b.questions, b.name
        for q in b.questions:
            assert any(o.adds or o.removes for o in q.options), f"{b.name}: {q.id} changes nothing"
