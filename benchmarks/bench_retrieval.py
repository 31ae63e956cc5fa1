"""Retrieval benchmark on this machine: latency p50/p95 (query embedding included), index build
time, publish-to-searchable time for one guide, compaction, resident memory.

- sample: the published knowledge base, the real model for passages and queries;
- synthetic N: N texts made from the knowledge base's words (BM25) with vectors placed around
  the real texts' vectors (faiss: flat up to 100k, HNSW above); queries are real dev-set
  questions embedded by the real model, so the latency includes embedding. Embedding a
  million passages with the real model would take hours on 2 cores and says nothing about
  search; only the catalogue's passage vectors are synthetic — a published guide's texts are
  embedded by the real model, as in service.

Publish-to-searchable: the store listener's whole work for one edited guide — embed its texts,
apply the change, append it to the index's delta log — and then the first search that finds it
(the first query after a change recomputes its tokens' BM25 weights). The index is saved in a
temporary folder first, so the append is real. Compaction (folding the deltas into the main
segments and writing a new generation) is then run in a thread while queries are timed beside it.

Run: ``yichuang bench [--sizes 10000,100000,1000000] [--queries 200] [--flat]`` (``make bench``;
also ``python -m benchmarks.bench_retrieval``); ``--flat`` builds a flat main index at every size
(no HNSW build: a million-text build in a third of the time, for publish figures; flat searches
are slower). Results go to stdout and are recorded by hand in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import resource
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from assistant.matching import build_retriever, calibrated_thresholds, dictionary_dir, embedder_for
from assistant.settings import Settings, get_settings
from knowledge.eval_sets import load_eval_set
from knowledge.index.vectors import DEFAULT_HNSW_ABOVE
from knowledge.retrieval import Retriever, SearchDoc
from knowledge.store.content import ChangeEvent
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    arr = np.array(samples_ms)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), float(arr.max())


def time_queries(retriever: Retriever, questions: list[str], n: int) -> list[float]:
    for q in questions[:5]:
        retriever.search(q)  # warm caches
    out = []
    for i in range(n):
        start = time.perf_counter()
        retriever.search(questions[i % len(questions)])
        out.append((time.perf_counter() - start) * 1000)
    return out


PUBLISHED_TEXTS = 64  # batches up to this size are one entry's texts


class SyntheticPassages:
    """Real query embeddings; passage vectors placed near real knowledge-base vectors."""

    def __init__(self, real, anchors: np.ndarray, noise: float = 0.35) -> None:
        self.real = real
        self.anchors = anchors
        self.noise = noise
        self.name = f"{real.name}-synthetic"
        self.dim = anchors.shape[1]

    def warm_up(self) -> None:
        self.real.warm_up()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= PUBLISHED_TEXTS:  # one published entry: the real model, as in service
            return self.real.embed_passages(texts)
        rng = np.random.default_rng(len(texts))
        base = self.anchors[rng.integers(0, len(self.anchors), len(texts))]
        vec = base + rng.normal(0, self.noise / np.sqrt(self.dim), size=base.shape).astype(np.float32)
        return (vec / np.linalg.norm(vec, axis=1, keepdims=True)).astype(np.float32)


def synthetic_docs(words: list[str], n_texts: int, per_doc: int = 10):
    rng = random.Random(n_texts)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(words))]  # Zipf-like word use
    for d in range(0, n_texts, per_doc):
        texts = [
            "".join(rng.choices(words, weights, k=rng.randint(2, 5)))
            for _ in range(min(per_doc, n_texts - d))
        ]
        code = f"SYN-{d // per_doc:07d}"
        yield SearchDoc("guide", code, texts[0], "合成部门"), hashlib.md5(code.encode()).hexdigest(), texts


class _Timed:
    """Wraps one of the embedder's methods for a block and adds up the milliseconds spent in it."""

    def __init__(self, embedder, method: str) -> None:
        self.embedder, self.method, self.ms = embedder, method, 0.0

    def __enter__(self) -> _Timed:
        real = getattr(self.embedder, self.method)

        def timed(texts):
            start = time.perf_counter()
            try:
                return real(texts)
            finally:
                self.ms += (time.perf_counter() - start) * 1000

        setattr(self.embedder, self.method, timed)
        return self

    def __exit__(self, *exc) -> None:
        delattr(self.embedder, self.method)


def publish_to_searchable(retriever: Retriever, guide, phrase: str) -> tuple[float, float, int | None]:
    """Milliseconds from handing the store's publish event to the index until a search has the
    guide; of which in the model (embedding the guide's texts and the query); the guide's rank in
    that search (None: not in the top 10)."""
    changed = guide.model_copy(update={"similar_questions": [*guide.similar_questions, phrase]})
    with (
        _Timed(retriever.embedder, "embed_passages") as passages,
        _Timed(retriever.embedder, "embed_queries") as q,
    ):
        start = time.perf_counter()
        retriever.apply(ChangeEvent("publish", "guide", guide.code, changed))
        hits = retriever.rank(phrase, limit=10).results
        elapsed = (time.perf_counter() - start) * 1000
    codes = [h.code for h in hits]
    return elapsed, passages.ms + q.ms, (codes.index(guide.code) + 1 if guide.code in codes else None)


PHRASES = [
    "证件在火车站被扒走了",
    "身份证在公交上叫人偷了",
    "证件洗衣服洗烂了",
    "卡片证件被狗叼走",
    "身份证掉进河里",
]


def publishes(retriever: Retriever, guide) -> str:
    runs = [publish_to_searchable(retriever, guide, p) for p in PHRASES]
    total = [t for t, _, _ in runs]
    model = [m for _, m, _ in runs]
    index = [t - m for t, m, _ in runs]
    ranks = ",".join(str(r) if r else "-" for _, _, r in runs)
    return (
        f"publish-to-searchable first {total[0]:.0f} ms, median {float(np.median(total)):.0f} ms, "
        f"max {max(total):.0f} ms; of which the model (the guide's {len(guide.search_texts()) + 1} texts "
        f"and the query) median {float(np.median(model)):.0f} ms; the rest (change, log append, search) "
        f"median {float(np.median(index)):.0f} ms, max {max(index):.0f} ms (rank of the guide {ranks})"
    )


def compaction_beside_queries(retriever: Retriever, questions: list[str]) -> str:
    """Compact in a thread (as the background compaction does) and time queries meanwhile."""
    took: list[float] = []

    def compact() -> None:
        start = time.perf_counter()
        retriever.compact()
        took.append(time.perf_counter() - start)

    worker = threading.Thread(target=compact)
    worker.start()
    samples, i = [], 0
    while worker.is_alive():
        start = time.perf_counter()
        retriever.search(questions[i % len(questions)])
        samples.append((time.perf_counter() - start) * 1000)
        i += 1
    worker.join()
    if not samples:
        return f"compaction {took[0]:.1f} s"
    p50, p95, worst = percentiles(samples)
    return (
        f"compaction {took[0]:.1f} s, {len(samples)} queries beside it: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, max {worst:.1f} ms"
    )


def run(settings: Settings, sizes: list[int], queries: int = 200, flat: bool = False) -> int:
    from assistant.database import open_store

    store = open_store(settings.database_url)
    entries = store.published()
    questions = [i.q for i in load_eval_set(entries, part="dev")]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; model {settings.embedding_model}; {queries} queries per size"
    )
    guide = next(e for e in entries if e.name == "居民身份证补领")

    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"index_dir": Path(tmp)})
        start = time.perf_counter()
        retriever = build_retriever(local, entries)
        build_s = time.perf_counter() - start
        p50, p95, worst = percentiles(time_queries(retriever, questions, queries))
        size = retriever.size
        print(
            f"sample KB: {size['entries']} entries, {size['texts']} texts; index build {build_s:.1f} s "
            f"(model load + embedding); query p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms; "
            f"RSS {rss_mb():.0f} MB"
        )
        retriever.background_compaction = False
        print(f"sample KB: {publishes(retriever, guide)}")

    anchors = retriever.vectors.stored(np.arange(len(retriever.texts))).astype(np.float32)
    words = sorted({w for t in retriever.texts for w in retriever.tokenizer.words(t)})
    embedder = embedder_for(settings)
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            syn = Retriever(
                SyntheticPassages(embedder, anchors),
                ChineseTokenizer(dictionary_dir(settings)),
                SynonymTable.load(),
                calibrated_thresholds(settings.embedding_model),
                index_dir=Path(tmp),
                hnsw_above=2 * n if flat else DEFAULT_HNSW_ABOVE,  # flat stays flat after publishes
            )
            syn.background_compaction = False  # compacted below, beside timed queries
            syn.tokenizer.warm_up()
            syn.embedder.warm_up()
            before = rss_mb()
            start = time.perf_counter()
            syn.build_docs(synthetic_docs(words, n))
            build_s = time.perf_counter() - start
            start = time.perf_counter()
            syn.save()  # the first generation of files
            save_s = time.perf_counter() - start
            syn.name_words()  # as warm_up does
            p50, p95, worst = percentiles(time_queries(syn, questions, queries))
            print(
                f"synthetic {n:>9,} texts ({syn.vectors.kind}): build {build_s:.1f} s, first save {save_s:.1f} s; "
                f"query p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms; "
                f"RSS {rss_mb():.0f} MB (+{rss_mb() - before:.0f} MB)",
                flush=True,
            )
            print(f"synthetic {n:>9,} texts: {publishes(syn, guide)}", flush=True)
            print(f"synthetic {n:>9,} texts: {compaction_beside_queries(syn, questions)}", flush=True)
            del syn
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="检索性能基准：样例库与 10k/100k/1M 合成库")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--flat", action="store_true", help="合成库一律用精确（flat）主索引，不建 HNSW")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    return run(get_settings(), sizes=sizes, queries=args.queries, flat=args.flat)


if __name__ == "__main__":
    raise SystemExit(main())
