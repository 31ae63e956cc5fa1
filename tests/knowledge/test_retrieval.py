"""Retrieval behaviour with a stub embedding backend (no model)."""

from __future__ import annotations

import json

import pytest

from knowledge.retrieval import Hit, Retriever, decide
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


def test_a_phone_or_id_number_in_the_message_does_not_move_the_search(retriever):
    """"我手机13812345678，驾照丢了怎么办": eleven digits say nothing of what is asked."""
    plain = retriever.search("驾照丢了怎么办，我手机")
    for said in ("驾照丢了怎么办，我手机13812345678", "驾照丢了怎么办，我手机138 1234 5678"):
        with_number = retriever.search(said)
        assert [(h.code, round(h.score, 6)) for h in with_number.results] == [
            (h.code, round(h.score, 6)) for h in plain.results
        ]
        assert with_number.decision == plain.decision


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


class CountingEmbedder(HashEmbedder):
    """Counts passages embedded (queries are not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return self.embed_queries(texts)


def _retriever(embedder, index_dir):
    return Retriever(embedder, ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=index_dir)


def _generation(index_dir):
    manifest = json.loads((index_dir / "stub" / "manifest.json").read_text())
    return index_dir / "stub" / f"gen-{manifest['generation']:06d}"


def test_index_is_reused_when_unchanged_and_only_changed_entries_are_indexed_again(sample_entries, tmp_path):
    emb = CountingEmbedder()
    first = _retriever(emb, tmp_path)
    first.warm_up(sample_entries)
    assert emb.passages == first.size["texts"]
    again = _retriever(emb, tmp_path)
    again.warm_up(sample_entries)
    assert emb.passages == first.size["texts"]  # loaded from var/index, nothing embedded
    assert again.search("身份证丢了").results[0].code == first.search("身份证丢了").results[0].code
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    changed = [e.model_copy(update={"fee": "新收费"}) if e is guide else e for e in sample_entries]
    before = emb.passages
    third = _retriever(emb, tmp_path)
    third.warm_up(changed[:-1])  # one guide changed, the last entry no longer published
    assert emb.passages - before == len(guide.search_texts())  # that guide's texts only
    assert third.size["entries"] == len(sample_entries) - 1
    assert third.search("户口簿丢了").results[0].name == "户口簿补领"


def test_damaged_index_files_are_rebuilt(sample_entries, tmp_path):
    r = _retriever(HashEmbedder(), tmp_path)
    r.warm_up(sample_entries)
    (_generation(tmp_path) / "bm25.pkl").write_bytes(b"garbage")
    again = _retriever(HashEmbedder(), tmp_path)
    again.warm_up(sample_entries)
    assert again.search("身份证丢了").results


def test_a_publish_appends_to_the_log_and_leaves_the_main_files_alone(retriever, sample_entries, tmp_path):
    gen = _generation(tmp_path)
    main = {p.name: p.stat().st_mtime_ns for p in gen.iterdir() if p.name != "delta.log"}
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    phrase = "家里那本红皮的簿子被狗啃了"
    retriever.apply(
        ChangeEvent("publish", "guide", guide.code, guide.model_copy(update={"similar_questions": [phrase]}))
    )
    retriever.apply(ChangeEvent("retire", "guide", "G-NOT-INDEXED", None))  # nothing to do, nothing written
    assert {p.name: p.stat().st_mtime_ns for p in gen.iterdir() if p.name != "delta.log"} == main
    assert (gen / "delta.log").stat().st_size > 0
    reloaded = _retriever(HashEmbedder(), tmp_path)
    assert reloaded._load()  # main files + the log replayed
    assert reloaded.search(phrase).results[0].name == "户口簿补领"
    assert reloaded.size == retriever.size


def test_a_torn_log_record_is_cut_off_and_the_missing_publish_caught_up(retriever, sample_entries, tmp_path):
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    phrase = "家里那本红皮的簿子被狗啃了"
    changed = guide.model_copy(update={"similar_questions": [phrase]})
    retriever.apply(ChangeEvent("publish", "guide", guide.code, changed))
    log = _generation(tmp_path) / "delta.log"
    log.write_bytes(log.read_bytes()[:-7])  # the process died while appending
    entries = [changed if e is guide else e for e in sample_entries]
    emb = CountingEmbedder()
    again = _retriever(emb, tmp_path)
    again.warm_up(entries)
    assert emb.passages == len(changed.search_texts())  # the lost publish, indexed again from the store
    assert again.search(phrase).results[0].name == "户口簿补领"


def test_compaction_writes_its_files_while_searches_and_publishes_go_on(
    retriever, sample_entries, monkeypatch
):
    import threading

    import knowledge.index.catalogue as catalogue

    writing, release = threading.Event(), threading.Event()
    real = catalogue.write_main

    def slow_write(*args):
        writing.set()
        assert release.wait(10)
        real(*args)

    retriever.background_compaction = False
    guide = next(e for e in sample_entries if e.name == "户口簿补领")
    retriever.upsert(guide.model_copy(update={"similar_questions": ["家里那本红皮的簿子被狗啃了"]}))
    monkeypatch.setattr(catalogue, "write_main", slow_write)
    compactor = threading.Thread(target=retriever.compact)
    compactor.start()
    try:
        assert writing.wait(10)
        answered = []
        other = next(e for e in sample_entries if e.name == "机动车驾驶证遗失补证")
        searcher = threading.Thread(
            target=lambda: answered.append(
                (
                    retriever.search("驾照丢了"),
                    retriever.upsert(other.model_copy(update={"similar_questions": ["驾驶本叫风刮跑了"]})),
                    retriever.search("驾驶本叫风刮跑了"),
                )
            )
        )
        searcher.start()
        searcher.join(5)
        assert answered, "search or publish waited for the files"
        first, published, second = answered[0]
        assert first.results[0].name == "机动车驾驶证遗失补证"
        assert published and second.results[0].name == "机动车驾驶证遗失补证"
    finally:
        release.set()
        compactor.join(10)
    retriever.save()  # the publish made while the files were written goes to the new generation's log
    reloaded = _retriever(HashEmbedder(), retriever.index_dir)
    assert reloaded._load()  # the written files are whole
    assert reloaded.search("驾驶本叫风刮跑了").results[0].name == "机动车驾驶证遗失补证"
    assert reloaded.search("家里那本红皮的簿子被狗啃了").results[0].name == "户口簿补领"
    assert len(list((retriever.index_dir / "stub").glob("gen-*"))) == 1  # the old generation is gone
