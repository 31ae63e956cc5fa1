"""The learned re-ranker/decision: plain JSON, trained on the dev part, and a clarify stays focused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from knowledge.eval_sets import eval_files
from knowledge.learning import choose_thresholds, training_fingerprint
from knowledge.ranker import (
    QUERY_FEATURES,
    RANK_FEATURES,
    RANKER_FILE,
    LearnedDecision,
    Linear,
    Query,
    bundle_cue,
    candidate_features,
)
from knowledge.retrieval import Hit


def _zero(n: int, bias: float = 0.0, **weights: float) -> Linear:
    names = RANK_FEATURES if n == len(RANK_FEATURES) else QUERY_FEATURES
    coef = tuple(weights.get(name, 0.0) for name in names)
    return Linear((0.0,) * n, (1.0,) * n, coef, bias)


def _hits() -> list[Hit]:
    return [
        Hit("guide", "A", "食品经营许可", "市场", 0.8, 0.93, 0.7, ""),
        Hit("guide", "B", "小餐饮经营登记", "市场", 0.7, 0.92, 0.5, ""),
        Hit("bundle", "C", "开办餐饮店一件事", "市场", 0.6, 0.91, 0.4, ""),
    ]


def _texts(hit: Hit) -> tuple[str, str]:
    return hit.name, {"A": "食品经营许可 开饭店", "B": "小餐饮 小吃店", "C": "开饭店 一起办 执照 许可 消防"}[hit.code]


def test_bundle_cues():
    assert bundle_cue("营业执照、税务、社保都要改吗，能一起变更不")
    assert bundle_cue("要跑几个部门")
    assert not bundle_cue("身份证丢了怎么补办")


def test_features_see_words_the_entry_does_not_cover():
    q = Query(("食品", "生产", "许可"), False, False)
    rows = candidate_features(q, _hits(), _texts)
    text_cov = rows[:, RANK_FEATURES.index("text_cov")]
    assert text_cov[0] == pytest.approx(2 / 3)  # 生产 is in no text of 食品经营许可
    assert rows[2, RANK_FEATURES.index("bundle")] == 1.0


def test_the_rank_model_reorders_and_the_decision_follows_its_probabilities():
    rank = _zero(len(RANK_FEATURES), bias=-4.0, bundle_cue_bundle=6.0)
    learned = LearnedDecision(
        rank, _zero(len(QUERY_FEATURES), bias=3.0), _zero(len(QUERY_FEATURES), bias=-3.0), 0.5, 0.5
    )
    hits, decision, info = learned.decide(Query(("开饭店", "一起"), True, False), _hits(), _texts)
    assert hits[0].code == "C"  # the bundle, because the question asks for everything at once
    assert decision == "clarify"  # P(top1) = sigmoid(-3) is below answer_above
    assert info["close"] == 1  # the other two are far behind: a clarify offers only the bundle
    none = LearnedDecision(rank, _zero(len(QUERY_FEATURES), bias=-3.0), learned.top1)
    assert none.decide(Query(("开饭店",), False, False), _hits(), _texts)[1] == "none"


def test_json_round_trip_and_feature_mismatch_is_refused():
    x = np.random.default_rng(0).normal(size=(60, len(QUERY_FEATURES)))
    y = (x[:, 0] > 0).astype(int)
    lin = Linear.fit(x, y)
    learned = LearnedDecision(_zero(len(RANK_FEATURES)), lin, lin, 0.3, 0.7)
    again = LearnedDecision.from_json(json.loads(json.dumps(learned.as_json())))
    assert again == learned
    bad = learned.as_json() | {"rank_features": ["dense"]}
    with pytest.raises(ValueError, match="yichuang eval --learn --write"):
        LearnedDecision.from_json(bad)


def test_thresholds_keep_in_scope_rejections_within_one_percent():
    rng = np.random.default_rng(1)
    kinds = ["in_scope"] * 200 + ["none"] * 50
    p_in = np.concatenate([rng.uniform(0.3, 1.0, 200), rng.uniform(0.0, 0.4, 50)])
    right = np.array([1] * 180 + [0] * 20 + [0] * 50)
    p_top = np.where(right == 1, 0.9, 0.35)
    none_below, answer_above = choose_thresholds(p_in, p_top, right, kinds)
    assert (p_in[:200] < none_below).mean() <= 0.01
    assert 0.35 < answer_above <= 0.9


def test_the_shipped_decision_was_trained_on_the_current_dev_part():
    data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    for model in ("e5-small",):
        learned = LearnedDecision.from_json(data[model])
        assert learned.trained_on == training_fingerprint(eval_files("dev"), model), (
            "the dev questions changed: run yichuang eval --learn --write"
        )


def test_word_coverage_follows_a_published_entry_without_retraining(stub_retriever, sample_entries):
    guide = next(e for e in sample_entries if e.name == "居民身份证补领")
    hit = Hit("guide", guide.code, guide.name, guide.department, 0.0)
    assert "火车站被扒走" not in stub_retriever.texts_of(hit)[1]
    changed = guide.model_copy(update={"similar_questions": [*guide.similar_questions, "证件在火车站被扒走了"]})
    stub_retriever.upsert(changed)
    assert "火车站被扒走" in stub_retriever.texts_of(hit)[1]


def test_a_clarify_offers_only_close_candidates(stub_retriever):
    res = stub_retriever.search("证件丢了怎么办")
    res.features["close"] = 2
    assert len(res.options()) == 2
    res.features.pop("close")
    top = res.results[0].score
    assert all(h.score >= 0.6 * top for h in res.options())


def test_a_word_that_names_another_service_and_the_entry_never_uses_is_seen():
    # 生产 names a service elsewhere (食品生产许可 is not in this catalogue, but the word tells services
    # apart); 食品经营许可's texts never use it, so answering with it would claim the wrong licence
    q = Query(("食品", "生产", "许可"), False, False, (0.4, 0.8, 0.3), (True, True, True))
    rows = candidate_features(q, _hits(), _texts)
    col = RANK_FEATURES.index("defining_uncovered_max")
    assert rows[0, col] == pytest.approx(0.8)
    plain = Query(("食品", "生产", "许可"), False, False, (0.4, 0.8, 0.3), (True, False, True))
    assert candidate_features(plain, _hits(), _texts)[0, col] == 0.0  # 生产 names no service: not counted


def test_defining_words_come_from_the_published_names(stub_retriever, sample_entries):
    assert stub_retriever.defining_words(["身份证", "火车站"]) == (True, False)
    guide = next(e for e in sample_entries if e.name == "居民身份证补领")
    stub_retriever.upsert(guide.model_copy(update={"name": "居民身份证火车站补领"}))
    assert stub_retriever.defining_words(["火车站"]) == (True,)
