"""Latency of the hotline page's search-as-you-type (``GET /api/staff/lookup``) against a running
service (`make run`): every prefix of a caller's words is one request, as the page sends while
the operator types (it waits 120 ms after the last key, so this is the worst case).

Run: ``python -m benchmarks.bench_lookup --user wang`` (password from ``YICHUANG_BENCH_PASSWORD``
or prompted); create the account first with ``yichuang users add wang --role staff``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import statistics
import time

import httpx

CALLERS = [
    "驾照丢了要去哪补办",
    "孩子刚出生要办哪些手续",
    "我想开个小饭馆要办什么证",
    "公积金怎么提取出来",
    "身份证过期了在哪换",
    "退休了养老金怎么领",
    "户口本丢了怎么办",
    "二手房过户要带什么",
    "残疾证怎么申请",
    "失业了怎么登记领补助",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    password = os.environ.get("YICHUANG_BENCH_PASSWORD") or getpass.getpass("密码：")
    with httpx.Client(base_url=args.url, timeout=30, trust_env=False) as client:
        login = client.post("/api/auth/login", json={"username": args.user, "password": password})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        client.cookies.clear()
        timings, full = [], []
        for _ in range(args.rounds):
            for words in CALLERS:
                for end in range(1, len(words) + 1):
                    started = time.perf_counter()
                    resp = client.get("/api/staff/lookup", params={"q": words[:end]}, headers=headers)
                    ms = (time.perf_counter() - started) * 1000
                    resp.raise_for_status()
                    timings.append(ms)
                    if end == len(words):
                        full.append(ms)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"{len(timings)} lookups (every prefix of {len(CALLERS)} callers' words × {args.rounds}): "
        f"p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms; "
        f"whole sentences p50 {statistics.median(full):.0f} ms"
    )


if __name__ == "__main__":
    main()
