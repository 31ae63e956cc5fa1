"""Latency of one chat turn through the app and Rasa (custom actions included), against a
running service (`make run`). Conversations of 5 turns (greeting, a question, two follow-ups in
context, thanks) from distinct senders, one at a time, as a citizen waits for each answer.

Run: ``python -m benchmarks.bench_chat [--url http://127.0.0.1:8000] [--turns 200]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

CONVERSATION = ["你好", "驾照丢了怎么办", "那要多少钱", "在哪办", "谢谢"]
QUESTIONS = ["驾照丢了怎么办", "我想办护照", "身份证过期了怎么换", "公积金怎么提取", "我想开个小饭馆"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    timings, modes = [], {}
    with httpx.Client(base_url=args.url, timeout=30) as client:
        for n in range(args.turns):
            conversation, step = divmod(n, len(CONVERSATION))
            text = CONVERSATION[step] if step != 1 else QUESTIONS[conversation % len(QUESTIONS)]
            started = time.perf_counter()
            resp = client.post("/api/chat", json={"sender": f"bench:{conversation}", "text": text})
            timings.append((time.perf_counter() - started) * 1000)
            resp.raise_for_status()
            mode = resp.json()["mode"]
            modes[mode] = modes.get(mode, 0) + 1
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"{len(timings)} turns: p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms; modes {modes}")


if __name__ == "__main__":
    main()
