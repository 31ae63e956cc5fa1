import numpy as np

from knowledge.index.vectors import VectorIndex, semantic_search


def _unit(rng, n, d=32):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_index_matches_pure_numpy_search():
    rng = np.random.default_rng(0)
    corpus, query = _unit(rng, 500), _unit(rng, 1)[0]
    idx = VectorIndex(32)
    idx.build(np.arange(500), corpus)
    ids, scores = idx.search(query, 5)
    ref_ids, ref_scores = semantic_search(query, corpus, 5)
    assert idx.kind == "flat"
    assert list(ids) == list(ref_ids) and np.allclose(scores, ref_scores, atol=1e-5)


def test_hnsw_above_threshold_and_removed_ids_never_returned(tmp_path):
    rng = np.random.default_rng(1)
    corpus = _unit(rng, 2000)
    idx = VectorIndex(32, hnsw_above=1000)
    idx.build(np.arange(2000), corpus)
    assert idx.kind == "hnsw"
    ids, _ = idx.search(corpus[7], 3)
    assert ids[0] == 7
    idx.remove(np.array([7]))
    assert 7 not in idx.search(corpus[7], 3)[0]
    idx.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", hnsw_above=1000)
    assert 7 not in loaded.search(corpus[7], 3)[0]
    loaded.rebuild()
    assert loaded.index.ntotal == 1999
