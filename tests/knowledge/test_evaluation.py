"""The evaluation set is what the issue asks for, and quality cannot silently fall (slow: real model)."""

from __future__ import annotations

import pytest

from knowledge.eval_sets import all_questions, eval_files, load_dev_set, load_eval_set
from knowledge.evaluation import evaluate
from knowledge.schema import Bundle
from nlu.normalize import normalize


def test_dev_set_size_and_coverage(sample_entries):
    items = load_eval_set(sample_entries)  # both parts of the team's questions and the public ones
    team = [i for i in items if i.source == "team"]
    in_scope = [i for i in team if i.kind == "in_scope"]
    covered = {c for i in in_scope for c in i.expected}
    bundles = {e.code for e in sample_entries if isinstance(e, Bundle)}
    assert len(in_scope) >= 500
    assert len(covered - bundles) >= 110 and bundles <= covered
    assert sum(i.kind == "none" for i in team) >= 80
    assert sum(i.kind == "ambiguous" for i in team) >= 30


def test_public_test_part_covers_every_guide_and_bundle_with_near_misses(sample_entries):
    test = [i for i in load_eval_set(sample_entries, part="test") if i.source == "public"]
    in_scope = [i for i in test if i.kind == "in_scope"]
    assert len(in_scope) >= 400
    covered = {c for i in in_scope for c in i.expected}
    assert {e.code for e in sample_entries} <= covered
    assert sum(i.kind == "near_miss" for i in test) >= 40
    assert sum(i.bundle for i in in_scope) >= 80  # situation-phrased 一件事 questions
    assert sum(i.long for i in in_scope) >= 20  # a story before the question


def test_dev_and_test_parts_share_no_question(sample_entries):
    assert eval_files("dev") and eval_files("test")
    dev = {normalize(i.q) for i in load_eval_set(sample_entries, part="dev")}
    test = {normalize(i.q) for i in load_eval_set(sample_entries, part="test")}
    assert dev & test == set()


def test_file_syntax_either_name_and_long_marker(tmp_path, sample_entries):
    path = tmp_path / "x.yaml"
    path.write_text(
        "source: public\npart: test\nin_scope:\n  基本养老金申领（退休）｜退休一件事~long:\n"
        "    - 我下个月满60要办退休\nnear_miss:\n  - 老年优待证怎么办\n",
        encoding="utf-8",
    )
    items = load_dev_set(sample_entries, path)
    by_name = {e.name: e.code for e in sample_entries}
    assert items[0].expected == {by_name["基本养老金申领（退休）"], by_name["退休一件事"]}
    assert items[0].long and items[0].source == "public" and items[0].part == "test"
    assert items[1].kind == "near_miss" and items[1].out_of_scope
    path.write_text("in_scope:\n  不存在的事项:\n    - 问题\n", encoding="utf-8")
    with pytest.raises(ValueError, match="不存在的事项"):
        load_dev_set(sample_entries, path)


def test_dev_questions_are_not_copies_of_the_knowledge_base(sample_entries):
    kb = {normalize(t) for e in sample_entries for t in e.search_texts()}
    copies = [q for q in all_questions() if normalize(q) in kb]
    assert copies == [], f"evaluation questions copied from the KB: {copies}"


@pytest.mark.slow
@pytest.mark.integration
def test_quality_gate_on_the_default_model(real_retriever, sample_entries):
    report = evaluate(real_retriever, load_eval_set(sample_entries, part="test"))
    fused = report.groups["test/team"]["fused"]
    print(
        f"\nfused: hit@1 {fused['hit1']:.3f} hit@3 {fused['hit3']:.3f} MRR {fused['mrr']:.3f} "
        f"none→service {fused['none_answered_as_service']:.3f} in-scope→none {fused['in_scope_to_none']:.3f}"
    )
    assert fused["hit1"] >= 0.92
    assert fused["hit3"] >= 0.98
    assert fused["none_answered_as_service"] <= 0.05
    assert fused["in_scope_to_none"] <= 0.03
    assert fused["hit1"] > report.groups["test/team"]["bm25"]["hit1"]  # fusion must beat lexical alone
    # public wording, the learned re-ranker/decision (trained on the dev part only); measured
    # 2026-12-01 after the 一件事-guide, name-cosine and simulated near-miss features: hit@1 0.975,
    # hit@3 0.996, bundles 0.944, out-of-scope answered 0.029 (2 of 68; the gate is 0.03, one
    # question more is allowed here for machines whose cosines differ by a few thousandths), in→none 0.006
    public = report.groups["test/public"]
    learned, static = public["learned"], public["fused"]
    assert learned["hit1"] >= 0.96 and learned["hit3"] >= 0.99
    assert learned["bundle_hit1"] >= 0.92
    assert learned["in_scope_to_none"] <= 0.02
    assert learned["oos_answered"] <= 0.045 and learned["oos_answered"] < static["oos_answered"]
