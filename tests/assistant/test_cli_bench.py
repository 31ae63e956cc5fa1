"""``yichuang bench`` runs the retrieval benchmark (benchmarks/ sits above the app: the command execs it)."""

from __future__ import annotations

import os
import subprocess
import sys

from assistant import cli


def test_bench_runs_the_retrieval_benchmark_with_its_options(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append((path, argv)))
    assert cli.main(["bench", "--sizes", "1000000", "--queries", "100", "--flat"]) == 0
    argv = [
        sys.executable,
        "-m",
        "benchmarks.bench_retrieval",
        "--sizes",
        "1000000",
        "--queries",
        "100",
        "--flat",
    ]
    assert calls == [(sys.executable, argv)]


def test_the_benchmark_module_accepts_what_the_command_passes():
    parser_help = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_retrieval", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--sizes" in parser_help and "--queries" in parser_help and "--flat" in parser_help
