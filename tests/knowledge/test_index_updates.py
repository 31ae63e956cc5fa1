"""Index updates in place: a catalogue changed by publishes and retires (its deltas, tombstones and
compactions, and the same saved and loaded again) ranks exactly as a fresh build of the same
entries; searching beside publishes and background compactions is safe."""

from __future__ import annotations

import threading
import time

from knowledge.retrieval import Retriever
from knowledge.schema import ServiceGuide, kind_of
from knowledge.store.content import ChangeEvent
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer
from tests.stubs import STUB_THRESHOLDS, HashEmbedder

QUESTIONS = [
    "驾照丢了",
    "身份证丢了咋整",
    "户口簿补领要带什么",
    "生孩子以后要办哪些事",
    "西城区农村宅基地建房",
    "高新区农村宅基地建房",
    "开个小饭馆要办什么证",
    "公积金怎么提取",
    "家里那本红皮的簿子被狗啃了",
    "退休了养老金怎么领",
    "燃气味道很大",
    "柳荫街道残疾人证",
]


def _retriever(index_dir=None) -> Retriever:
    r = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=index_dir
    )
    r.background_compaction = False
    return r


def _publish(r: Retriever, entry) -> None:
    r.apply(ChangeEvent("publish", kind_of(entry), entry.code, entry))


def _retire(r: Retriever, entry) -> None:
    r.apply(ChangeEvent("retire", kind_of(entry), entry.code, None))


def _edited(entry, phrase: str):
    return entry.model_copy(update={"similar_questions": [*entry.similar_questions, phrase]})


def _ranking(r: Retriever, q: str, mode: str):
    res = r.rank(q, mode=mode, limit=10)
    return (
        res.decision,
        res.region,
        res.features,
        [(h.kind, h.code, h.score, h.dense, h.bm25, h.matched) for h in res.results],
    )


def _queries(entries) -> list[str]:
    texts = [t for e in entries for t in e.search_texts()]
    return QUESTIONS + texts[::9]


def _assert_same_rankings(changed: Retriever, entries, queries) -> None:
    fresh = _retriever()
    fresh.tokenizer.warm_up()
    fresh.build(entries)
    assert changed.size == fresh.size
    assert changed.regions == fresh.regions
    for q in queries:
        for mode in ("fused", "dense", "bm25"):
            assert _ranking(changed, q, mode) == _ranking(fresh, q, mode), (q, mode)


def test_delta_and_main_rank_exactly_as_a_fresh_build(sample_entries, tmp_path):
    entries = list(sample_entries)
    live = {e.code: e for e in entries[:100]}
    r = _retriever(tmp_path)
    r.warm_up(entries[:100])  # the main segments

    for e in entries[100:120]:  # new entries: in the delta
        _publish(r, e)
        live[e.code] = e
    for i, e in enumerate(entries[:10]):  # edited entries: old texts become tombstones
        live[e.code] = _edited(e, f"第{i}种说法的补办问题")
        _publish(r, live[e.code])
    assert r.compact()  # folded into new main segments and written as a new generation
    for e in entries[120:]:
        _publish(r, e)
        live[e.code] = e
    for e in entries[10:16]:
        _retire(r, e)
        live.pop(e.code)
    for e in entries[:3]:
        _publish(r, live[e.code])  # the same content again: nothing changes
        live[e.code] = _edited(live[e.code], "再改一次的说法")
        _publish(r, live[e.code])  # and edited twice
    _publish(r, entries[10])  # retired, then published again
    live[entries[10].code] = entries[10]
    guide = next(e for e in entries[16:100] if isinstance(e, ServiceGuide) and e.halls)
    street = guide.halls[0].model_copy(update={"street": "柳荫街道"})
    _publish(r, guide.model_copy(update={"halls": [street, *guide.halls[1:]]}))
    assert r.detect_region("柳荫街道怎么办") == street.district
    live[guide.code] = guide.model_copy(update={"halls": guide.halls[1:]})  # the street is gone again
    _publish(r, live[guide.code])

    final = list(live.values())
    queries = _queries(final)
    _assert_same_rankings(r, final, queries)  # main + deltas + tombstones, in memory
    reloaded = _retriever(tmp_path)
    assert reloaded._load()  # the current generation's main files and its log replayed
    _assert_same_rankings(reloaded, final, queries)
    assert reloaded.compact()
    _assert_same_rankings(reloaded, final, queries)  # and once more folded


def test_searching_is_safe_while_publishing_and_compacting_in_the_background(sample_entries, tmp_path):
    r = _retriever(tmp_path)
    r.warm_up(sample_entries)
    r.background_compaction = True
    r.compact_min_texts, r.compact_share = 40, 0.0  # a compaction every few publishes
    first_generation = r._generation
    steady = {"驾照丢了": "机动车驾驶证遗失补证", "身份证丢了咋整": "居民身份证补领"}
    churn = [e for e in sample_entries if isinstance(e, ServiceGuide) and e.name not in steady.values()][:24]
    live = {e.code: e for e in sample_entries}
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        try:
            while not stop.is_set():
                for q, name in steady.items():
                    assert r.search(q).results[0].name == name
        except BaseException as exc:  # noqa: BLE001 — handed to the test thread
            errors.append(exc)

    searchers = [threading.Thread(target=search) for _ in range(2)]
    for t in searchers:
        t.start()
    try:
        for round_ in range(5):
            for i, e in enumerate(churn):
                live[e.code] = _edited(e, f"第{round_}轮第{i}个说法")
                _publish(r, live[e.code])
                if i % 6 == 0:
                    _retire(r, e)
                    _publish(r, live[e.code])
                time.sleep(0.005)  # let searches in between
    finally:
        stop.set()
        for t in searchers:
            t.join(30)
    while r._compacting:
        time.sleep(0.05)
    assert not errors, errors[0]
    assert r._generation is not None and r._generation > first_generation + 1  # compacted in the background
    final = list(live.values())
    queries = QUESTIONS + [f"第4轮第{i}个说法" for i in range(0, 24, 5)]
    _assert_same_rankings(r, final, queries)
    reloaded = _retriever(tmp_path)
    assert reloaded._load()
    _assert_same_rankings(reloaded, final, queries)


def test_with_an_hnsw_main_segment_a_publish_is_found_at_once_and_after_compaction(sample_entries, tmp_path):
    r = Retriever(
        HashEmbedder(),
        ChineseTokenizer(),
        SynonymTable.load(),
        STUB_THRESHOLDS,
        index_dir=tmp_path,
        hnsw_above=500,
    )
    r.background_compaction = False
    r.warm_up(sample_entries)
    assert r.vectors.kind == "hnsw"
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    phrase = "家里那本红皮的簿子被狗啃了"
    _publish(r, _edited(guide, phrase))
    assert r.vectors.n_delta > 0 and r.search(phrase).results[0].name == "户口簿补领"
    _retire(r, next(e for e in sample_entries if e.name == "机动车驾驶证遗失补证"))
    assert "机动车驾驶证遗失补证" not in [h.name for h in r.rank("驾照丢了", limit=20).results]
    assert r.compact() and r.vectors.n_delta == 0 and r.vectors.kind == "hnsw"
    assert r.search(phrase).results[0].name == "户口簿补领"
    assert "机动车驾驶证遗失补证" not in [h.name for h in r.rank("驾照丢了", limit=20).results]
