"""The learned re-ranker/decision: plain JSON, trained on the dev part, and a clarify stays focused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from knowledge.eval_sets import EvalItem, eval_files
from knowledge.evaluation import Ranked
from knowledge.learning import choose_thresholds, left_out, query_of, training_fingerprint
from knowledge.ranker import (
    QUERY_FEATURES,
    RANK_FEATURES,
    RANKER_FILE,
    TOP_K,
    EntryTexts,
    LearnedDecision,
    Linear,
    Query,
    bundle_cue,
    candidate_features,
    candidates,
    list_items,
)
from knowledge.retrieval import Hit
from knowledge.schema import Bundle


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


_JOINED = {"A": "食品经营许可 开饭店", "B": "小餐饮 小吃店", "C": "开饭店 一起办 执照 许可 消防"}


def _texts(hit: Hit) -> EntryTexts:
    if hit.kind == "bundle":  # 开办餐饮店一件事 joins both guides
        return EntryTexts(hit.name, _JOINED[hit.code], _JOINED["A"] + " " + _JOINED["B"], ("A", "B"))
    return EntryTexts(hit.name, _JOINED.get(hit.code, hit.name))


def test_bundle_cues():
    assert bundle_cue("营业执照、税务、社保都要改吗，能一起变更不")
    assert bundle_cue("要跑几个部门")
    assert not bundle_cue("身份证丢了怎么补办")


def test_list_items_counts_what_a_situation_names():
    assert list_items("公司改了名字，执照、税务、社保、公积金都要去改吗") == 4
    assert list_items("营业执照和药品许可要分开跑吗") == 2
    assert list_items("我和老公今年买了房") == 0  # 和 between people is no list
    assert list_items("身份证丢了") == 0
    assert bundle_cue("养老金、医保、公积金提取要一家家跑吗")


def test_a_bundle_covers_what_its_guides_cover_and_joins_when_they_rank_high():
    q = Query(("小吃店", "消防", "一起"), True, False, items=2)
    rows = candidate_features(q, _hits(), _texts)
    cov, seen = RANK_FEATURES.index("member_cov"), RANK_FEATURES.index("member_hits")
    assert rows[2, cov] == pytest.approx(1.0)  # 小吃店 (小餐饮's) and 消防 (its own), 一起 (its own)
    assert rows[0, cov] == rows[0, RANK_FEATURES.index("text_cov")]  # a guide: its own texts only
    assert rows[2, seen] == pytest.approx(1.0 + 1 / 2) and rows[0, seen] == 0.0
    assert (
        rows[2, RANK_FEATURES.index("bundle_list")] == 0.5
        and rows[0, RANK_FEATURES.index("guide_list")] == 0.5
    )
    # the bundle far down the fused list joins the re-ranked candidates when two of its guides lead
    others = [Hit("guide", f"G{i}", f"事项{i}", "d", 0.5 - i / 100) for i in range(TOP_K)]
    hits = [_hits()[0], _hits()[1], *others, _hits()[2]]
    assert candidates(hits, _texts)[-1].code == "C" and len(candidates(hits, _texts)) == TOP_K + 1
    assert all(h.code != "C" for h in candidates([_hits()[0], *others, _hits()[2]], _texts))


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


def test_the_answer_threshold_keeps_out_of_scope_answers_within_the_gate():
    kinds = ["in_scope"] * 100 + ["near_miss"] * 100
    p_in = np.ones(200)
    right = np.array([1] * 100 + [0] * 100)
    p_top = np.concatenate([np.full(100, 0.95), np.linspace(0.0, 0.9, 100)])  # near-misses up to 0.9
    _, answer_above = choose_thresholds(p_in, p_top, right, kinds)
    answered = (p_top[100:] >= answer_above).mean()
    assert answered <= 0.02 and answer_above <= 0.95  # the lowest threshold that holds the gate


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
    changed = guide.model_copy(
        update={"similar_questions": [*guide.similar_questions, "证件在火车站被扒走了"]}
    )
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


def test_a_near_miss_is_simulated_by_leaving_a_guide_out(stub_retriever, sample_entries):
    guide = next(e for e in sample_entries if e.name == "住房公积金提取（租房）")
    bundle = next(e for e in sample_entries if isinstance(e, Bundle) and e.guides)
    member = next(e for e in sample_entries if e.code == bundle.guides[0].code)
    assert stub_retriever.members_of(bundle.code) == tuple(g.code for g in bundle.guides)
    assert stub_retriever.texts_of(Hit("bundle", bundle.code, bundle.name, "", 0.0)).members
    res = stub_retriever.rank("租房提取公积金要什么材料", limit=1000)
    item = EvalItem("租房提取公积金要什么材料", "in_scope", frozenset({guide.code}))
    sim = left_out(Ranked(item, res.results, res.features), stub_retriever)
    assert sim is not None and sim.item.kind == "near_miss" and not sim.item.expected
    assert guide.code not in {h.code for h in sim.hits}
    # a 一件事 including the guide left out goes too: it could not exist without it
    item = EvalItem("问题", "in_scope", frozenset({member.code}))
    hits = [Hit("guide", member.code, member.name, "", 0.9), Hit("bundle", bundle.code, bundle.name, "", 0.8)]
    assert left_out(Ranked(item, hits, {"words": ["问题"]}), stub_retriever) is None  # nothing left
    # a word only the left-out guide uses no longer names a service, and weighs as a word no text has
    veteran = next(e for e in sample_entries if e.name == "退役军人优待证申领")
    plain = stub_retriever.query("老人优待证怎么办", ["老人", "优待证"])
    gone = {"words": ["老人", "优待证"], "without": (veteran.code,)}
    q = query_of(Ranked(EvalItem("老人优待证怎么办", "in_scope", frozenset()), [], gone), stub_retriever)
    assert plain.defining == (False, True) and q.defining == (False, False)
    assert plain.weights[1] < 1.0 and q.weights[1] == 1.0
