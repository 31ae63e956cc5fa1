"""Retrieval benchmark on this machine: latency p50/p95 (query embedding included), index build
time, in-place update time for one published guide, resident memory.

- sample: the published knowledge base, the real model for passages and queries;
- synthetic N: N texts made from the knowledge base's words (BM25) with vectors placed around
  the real texts' vectors (faiss: flat up to 100k, HNSW above); queries are real dev-set
  questions embedded by the real model, so the latency includes embedding. Embedding a
  million passages with the real model would take hours on 2 cores and says nothing about
  search; only the passage vectors are synthetic.

Run: ``python -m benchmarks.bench_retrieval [--sizes 10000,100000,1000000] [--queries 200]``
(``make bench``); results go to
stdout and are recorded by hand in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.matching import build_retriever, calibrated_thresholds, dictionary_dir, embedder_for
from assistant.settings import Settings, get_settings
from knowledge.eval_sets import load_eval_set
from knowledge.retrieval import Retriever, SearchDoc
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


def run(settings: Settings, sizes: list[int], queries: int = 200) -> int:
    from assistant.database import open_store

    store = open_store(settings.database_url)
    entries = store.published()
    questions = [i.q for i in load_eval_set(entries, part="dev")]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"model {settings.embedding_model}; {queries} queries per size"
    )

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
        guide = next(e for e in entries if e.name == "居民身份证补领")
        changed = guide.model_copy(
            update={"similar_questions": [*guide.similar_questions, "证件在火车站被扒走了"]}
        )
        start = time.perf_counter()
        retriever.upsert(changed)
        upsert_ms = (time.perf_counter() - start) * 1000
        found = retriever.search("证件在火车站被扒走了").results[0].name
        print(f"one published guide reflected in search: {upsert_ms:.0f} ms (then top hit: {found})")

    anchors = retriever.vectors.vectors[: len(retriever.texts)].astype(np.float32)
    words = sorted({w for t in retriever.texts for w in retriever.tokenizer.words(t)})
    embedder = embedder_for(settings)
    for n in sizes:
        syn = Retriever(
            SyntheticPassages(embedder, anchors),
            ChineseTokenizer(dictionary_dir(settings)),
            SynonymTable.load(),
            calibrated_thresholds(settings.embedding_model),
        )
        syn.tokenizer.warm_up()
        syn.embedder.warm_up()
        before = rss_mb()
        start = time.perf_counter()
        syn.build_docs(synthetic_docs(words, n))
        build_s = time.perf_counter() - start
        p50, p95, worst = percentiles(time_queries(syn, questions, queries))
        start = time.perf_counter()
        syn.upsert(guide)
        upsert_ms = (time.perf_counter() - start) * 1000
        print(
            f"synthetic {n:>9,} texts ({syn.vectors.kind}): build {build_s:.1f} s; query p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms, max {worst:.1f} ms; one-guide update {upsert_ms:.0f} ms; "
            f"RSS {rss_mb():.0f} MB (+{rss_mb() - before:.0f} MB)"
        )
        del syn
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="检索性能基准：样例库与 10k/100k/1M 合成库")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    return run(get_settings(), sizes=[int(x) for x in args.sizes.split(",") if x], queries=args.queries)


if __name__ == "__main__":
    raise SystemExit(main())
