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


def test_main_and_delta_search_like_one_flat_index_over_the_live_vectors():
    rng = np.random.default_rng(2)
    corpus, queries = _unit(rng, 800), _unit(rng, 20)
    idx = VectorIndex(32)
    idx.build(np.arange(500), corpus[:500])
    main = idx.main16
    idx.add(np.arange(500, 800), corpus[500:])
    assert idx.main16 is main and idx.n_delta == 300  # adding never copies the main segment
    dead = np.array([3, 17, 499, 500, 650])
    idx.remove(dead)
    live = np.setdiff1d(np.arange(800), dead)
    for q in queries:
        ref, ref_scores = semantic_search(q, corpus[live], 10)
        ids, scores = idx.search(q, 10)
        assert list(ids) == list(live[ref]) and np.allclose(scores, ref_scores, atol=1e-5)
    idx.fold()
    assert idx.n_delta == 0 and idx.index.ntotal == len(live)  # a flat main drops its tombstones
    for q in queries:
        ref, _ = semantic_search(q, corpus[live], 10)
        assert list(idx.search(q, 10)[0]) == list(live[ref])
    assert np.array_equal(idx.stored(np.array([650, 700])), corpus[[650, 700]].astype(np.float16))


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
    extra = _unit(rng, 10)
    idx.add(np.arange(2000, 2010), extra)
    assert idx.search(extra[4], 1)[0][0] == 2004  # found in the delta beside the HNSW main
    idx.save(tmp_path / "v.faiss")  # folds, then writes the main segment
    loaded = VectorIndex.load(tmp_path / "v.faiss", hnsw_above=1000)
    assert loaded.kind == "hnsw" and loaded.index.ntotal == 2010  # HNSW keeps tombstones…
    assert 7 not in loaded.search(corpus[7], 3)[0]
    assert loaded.search(extra[4], 1)[0][0] == 2004
    loaded.remove(np.arange(0, 800))
    loaded.fold()  # …until they are too many: then the fold rebuilds it without them
    assert loaded.index.ntotal == 2010 - 800
    assert loaded.search(corpus[900], 1)[0][0] == 900


def test_a_fold_across_the_threshold_builds_hnsw():
    rng = np.random.default_rng(3)
    corpus = _unit(rng, 1200)
    idx = VectorIndex(32, hnsw_above=1000)
    idx.build(np.arange(900), corpus[:900])
    assert idx.kind == "flat"
    idx.add(np.arange(900, 1200), corpus[900:])
    idx.fold()
    assert idx.kind == "hnsw" and idx.search(corpus[1100], 1)[0][0] == 1100
