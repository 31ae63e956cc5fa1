"""The conversation suite (issue 12) against a running service: pass rate per category, per
mode, dev vs holdout, the emergency and false-alarm figures, and every failing turn with why.

Run against `make run` (Rasa mode, with the fallback behind it)::

    YICHUANG_RATE_LIMIT_PER_MINUTE=100000 YICHUANG_RATE_LIMIT_BURST=10000 make run
    python -m benchmarks.bench_conversations --url http://127.0.0.1:8000

The fallback mode is the same suite against a service without the dialogue server
(``YICHUANG_RASA_URL= yichuang serve --port 8001`` → ``--url http://127.0.0.1:8001``), or
in this process with ``--fallback-in-process`` (the sample knowledge base, a fresh var folder).
Several ``--url`` may be given; each is reported on its own. The service's rate limit (60 per
minute per client by default) slows the run down: the client waits and retries on 429.
Conversations are played one at a time, each with its own sender (a fresh run id per run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tests.assistant.conversation_runner import Report, http_sender, run_suite
from tests.assistant.conversation_suite import kb_names, load_suite

ROOT = Path(__file__).resolve().parent.parent


def entries():
    from knowledge.validation import validate_path

    report = validate_path(ROOT / "knowledge" / "data")
    if not report.ok:
        raise SystemExit("knowledge/data 校验未通过：\n" + "\n".join(str(p) for p in report.problems))
    return report.entries


def fallback_in_process(conversations, run_id: str) -> Report:
    """The suite against the app alone (no dialogue server), on the real embedding model."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.matching import build_retriever
    from assistant.settings import Settings

    kb = entries()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            var_dir=Path(tmp), models_dir=ROOT / "var" / "models", index_dir=ROOT / "var" / "index",
            search_enabled=False, rasa_url="", rate_limit_per_minute=100_000, rate_limit_burst=100_000,
        )  # fmt: skip
        retriever = build_retriever(settings, kb)
        with TestClient(create_app(settings, retriever=retriever)) as client:
            client.app.state.services.store.save_many(kb, author="bench", publish=True)
            results = run_suite(conversations, http_sender(client), f"bench-{run_id}", "retrieval")
    return Report("fallback（进程内，无 Rasa）", results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", default=[], help="a running service (repeatable)")
    parser.add_argument("--fallback-in-process", action="store_true", help="also run the app alone, in process")
    parser.add_argument("--category", action="append", default=[], help="only these categories")
    parser.add_argument("--id", action="append", default=[], help="only conversations whose id contains this")
    parser.add_argument("--holdout", choices=["all", "dev", "only"], default="all")
    parser.add_argument("--failures", type=int, default=1000, help="print at most this many failing turns")
    args = parser.parse_args()
    conversations = load_suite(names=kb_names(entries()))
    if args.category:
        conversations = [c for c in conversations if c.category in args.category]
    if args.id:
        conversations = [c for c in conversations if any(part in c.id for part in args.id)]
    if args.holdout != "all":
        conversations = [c for c in conversations if c.holdout == (args.holdout == "only")]
    run_id = uuid.uuid4().hex[:8]
    urls = args.url or ([] if args.fallback_in_process else ["http://127.0.0.1:8000"])
    reports = []
    for url in urls:
        started = time.perf_counter()
        with httpx.Client(base_url=url, timeout=30) as client:
            results = run_suite(conversations, http_sender(client), f"bench-{run_id}")
        report = Report(url, results)
        print(report.text(args.failures), f"\n（用时 {time.perf_counter() - started:.0f} s）\n", flush=True)
        reports.append(report)
    if args.fallback_in_process:
        started = time.perf_counter()
        report = fallback_in_process(conversations, run_id)
        print(report.text(args.failures), f"\n（用时 {time.perf_counter() - started:.0f} s）\n", flush=True)
        reports.append(report)
    for report in reports:
        print(report.figures())


if __name__ == "__main__":
    main()
