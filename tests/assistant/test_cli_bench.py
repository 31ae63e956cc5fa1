"""``yichuang bench`` runs the retrieval benchmark (benchmarks/ sits above the app: a process of its own)."""

from __future__ import annotations

import subprocess
import sys

from assistant import cli


def test_bench_runs_the_retrieval_benchmark_with_its_options(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    assert cli.main(["bench", "--sizes", "1000000", "--queries", "100", "--flat"]) == 0
    assert calls == [
        [
            sys.executable,
            "-m",
            "benchmarks.bench_retrieval",
            "--sizes",
            "1000000",
            "--queries",
            "100",
            "--flat",
        ]
    ]


def test_the_benchmark_module_accepts_what_the_command_passes():
    parser_help = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_retrieval", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--sizes" in parser_help and "--queries" in parser_help and "--flat" in parser_help
