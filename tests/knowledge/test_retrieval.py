"""Retrieval behaviour with a stub embedding backend (no model)."""

from __future__ import annotations

import pytest

from knowledge.retrieval import Hit, Retriever, decide
from knowledge.schema import ServiceGuide
from knowledge.store.content import ChangeEvent
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer
from tests.stubs import STUB_THRESHOLDS, HashEmbedder


@pytest.fixture
def retriever(sample_entries, tmp_path):
    r = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path
    )
    r.warm_up(sample_entries)
    return r


def _hit(score, dense=0.9):
    return Hit("guide", "c", "n", "d", score, dense=dense)


def test_decision_rules():
    t = STUB_THRESHOLDS
    assert decide([], t) == "none"
    assert decide([_hit(0.9, dense=0.1)], t) == "none"  # lexical overlap alone is not enough
    assert decide([_hit(0.9), _hit(0.5)], t) == "answer"
    assert decide([_hit(0.9), _hit(0.85)], t) == "clarify"
    assert decide([_hit(0.3), _hit(0.1)], t) == "clarify"
    assert decide([_hit(0.1)], t, "bm25") == "none"


def test_finds_guide_from_colloquial_words(retriever):
    res = retriever.search("驾照丢了")
    assert res.results[0].name == "机动车驾驶证遗失补证"
    assert "机动车驾驶证" in res.expanded_terms


def test_published_phrase_is_found_after_in_place_update(retriever, sample_entries):
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    phrase = "家里那本红皮的簿子被狗啃了"
    assert retriever.search(phrase).results[0].name != "户口簿补领"
    changed = guide.model_copy(update={"similar_questions": [*guide.similar_questions, phrase]})
    before = retriever.size["texts"]
    retriever.apply(ChangeEvent("publish", "guide", guide.code, changed))
    assert retriever.search(phrase).results[0].name == "户口簿补领"
    assert retriever.size["texts"] == before + 1


def test_retired_guide_is_no_longer_returned(retriever, sample_entries):
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    retriever.apply(ChangeEvent("retire", "guide", guide.code, None))
    res = retriever.rank("户口簿补领", limit=50)
    assert guide.code not in [h.code for h in res.results]


def test_region_hint_drops_guides_that_serve_other_districts(retriever):
    assert retriever.search("高新区农村宅基地建房").results[0].name == "农村村民宅基地建房审批"
    res = retriever.rank("西城区农村宅基地建房", limit=20)
    assert res.region == "西城区"
    assert "农村村民宅基地建房审批" not in [h.name for h in res.results]


def test_index_is_reused_when_content_is_unchanged_and_rebuilt_when_it_changed(sample_entries, tmp_path):
    emb = HashEmbedder()
    first = Retriever(emb, ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path)
    first.warm_up(sample_entries)
    calls = emb.calls
    again = Retriever(emb, ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path)
    again.warm_up(sample_entries)
    assert emb.calls == calls  # loaded from var/index, nothing embedded
    assert again.search("身份证丢了").results[0].code == first.search("身份证丢了").results[0].code
    changed = [
        e.model_copy(update={"fee": "新收费"})
        if isinstance(e, ServiceGuide) and e.name == "户口簿补领"
        else e
        for e in sample_entries
    ]
    third = Retriever(emb, ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path)
    third.warm_up(changed)
    assert emb.calls > calls + 1


def test_damaged_index_files_are_rebuilt(sample_entries, tmp_path):
    r = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path
    )
    r.warm_up(sample_entries)
    (tmp_path / "stub" / "bm25.pkl").write_bytes(b"garbage")
    again = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=tmp_path
    )
    again.warm_up(sample_entries)
    assert again.search("身份证丢了").results


def test_saving_does_not_hold_the_search_lock_while_writing(retriever, sample_entries, monkeypatch):
    import threading

    import knowledge.retrieval as retrieval

    writing, release = threading.Event(), threading.Event()
    real = retrieval.write_index_files

    def slow_write(*args):
        writing.set()
        assert release.wait(10)
        real(*args)

    monkeypatch.setattr(retrieval, "write_index_files", slow_write)
    saver = threading.Thread(target=retriever.save)
    saver.start()
    try:
        assert writing.wait(10)
        answered = []
        searcher = threading.Thread(target=lambda: answered.append(retriever.search("驾照丢了")))
        searcher.start()
        searcher.join(5)
        assert answered and answered[0].results[0].name == "机动车驾驶证遗失补证"  # while files are written
    finally:
        release.set()
        saver.join(10)
    reloaded = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=retriever.index_dir
    )
    assert reloaded._load(reloaded._fingerprint(sample_entries))  # the written files are whole
