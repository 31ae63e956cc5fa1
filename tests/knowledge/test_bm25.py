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


def test_incremental_add_remove_equals_rebuild(tmp_path):
    inc = BM25Index()
    inc.build(DOCS[:2])
    inc.add(2, DOCS[2][1])
    inc.add(3, DOCS[3][1])
    inc.add(4, ["临时", "身份证"])
    inc.remove(4, ["临时", "身份证"])
    full = BM25Index()
    full.build(DOCS)
    q = ["身份证", "补领", "户口"]
    # before compaction the built postings keep the old average length: same ranking
    assert list(np.argsort(-inc.scores(q)[:4])) == list(np.argsort(-full.scores(q)[:4]))
    inc.compact()
    assert np.allclose(inc.scores(q)[:4], full.scores(q)[:4])
    inc.save(tmp_path / "bm25.pkl")
    loaded = BM25Index.load(tmp_path / "bm25.pkl")
    assert np.allclose(loaded.scores(q)[:4], full.scores(q)[:4])
    assert loaded.scores(["临时"])[4] == 0
