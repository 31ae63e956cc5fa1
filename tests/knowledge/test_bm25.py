import numpy as np

from knowledge.index.bm25 import BM25Index

DOCS = [
    (0, ["身份证", "补领"]),
    (1, ["身份证", "换领"]),
    (2, ["护照", "申领"]),
    (3, ["户口", "补领", "户口"]),
]


def test_rare_matching_token_ranks_first():
    idx = BM25Index()
    idx.build(DOCS)
    scores = idx.scores(["身份证", "补领"])
    assert int(np.argmax(scores)) == 0
    assert scores[2] == 0
    assert 0 < scores.max() <= idx.max_score(["身份证", "补领"])


def test_delta_and_tombstones_score_exactly_as_a_fresh_build(tmp_path):
    inc = BM25Index()
    inc.build(DOCS[:2])
    inc.add(2, DOCS[2][1])
    inc.add(3, DOCS[3][1])
    inc.add(4, ["临时", "身份证"])
    inc.remove(4, ["临时", "身份证"])
    full = BM25Index()
    full.build(DOCS)
    q = ["身份证", "补领", "户口"]
    # the live average length and counts, in the same float32 arithmetic: equal to the last bit
    assert np.array_equal(inc.scores(q)[:4], full.scores(q)[:4])
    inc.fold()
    assert not inc.delta
    assert np.array_equal(inc.scores(q)[:4], full.scores(q)[:4])
    assert 4 not in inc.postings["身份证"][0]  # the fold dropped the removed text's postings
    inc.save(tmp_path / "bm25.pkl")
    loaded = BM25Index.load(tmp_path / "bm25.pkl")
    assert np.array_equal(loaded.scores(q)[:4], full.scores(q)[:4])
    assert loaded.scores(["临时"])[4] == 0


def test_cached_weights_follow_the_average_length():
    idx = BM25Index()
    idx.build(DOCS)
    q = ["补领"]
    idx.scores(q)  # caches the weights of 补领 for this average length
    idx.add(4, ["补领", "户口", "簿", "一", "本", "两", "本"])  # a long text moves the average
    full = BM25Index()
    full.build([*DOCS, (4, ["补领", "户口", "簿", "一", "本", "两", "本"])])
    assert np.array_equal(idx.scores(q), full.scores(q))


def test_a_fold_in_steps_keeps_texts_added_meanwhile():
    idx = BM25Index()
    idx.build(DOCS[:2])
    idx.add(2, DOCS[2][1])
    fold = idx.run_fold(idx.begin_fold())
    idx.add(3, DOCS[3][1])  # while the fold ran off the lock
    idx.finish_fold(fold)
    assert [i for i, _ in idx.delta["户口"]] == [3] and "护照" not in idx.delta
    full = BM25Index()
    full.build(DOCS)
    assert np.array_equal(idx.scores(["户口", "护照", "补领"]), full.scores(["户口", "护照", "补领"]))
