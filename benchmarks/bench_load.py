"""Many citizens at once against a running service (`make run`), on loopback only.

``--conversations`` scripted conversations run side by side for ``--seconds`` (questions,
follow-ups in context, a booking form, a complaint form; a citizen reads each answer for
``--think`` seconds before typing the next), first alone, then with ``--searchers`` search
clients beside them (hotline staff typing a caller's words, one search per
``--search-interval`` each). Every simulated client speaks from its own loopback address
(127.0.1.N), so per-client rate limits apply to it as to one citizen.

Prints per phase: turns, % answered in Rasa mode, errors, forms completed / broken, p50/p95
of a chat turn, and the searches served. A form is broken when it ends without its receipt
(booking number, ticket number); one still running at the end of the phase is not counted.
Bounded: every request times out after 15 s and the run stops after each phase's time.

Several workers (a scale-out, see docs/deployment.md): ``--url`` takes a comma-separated list,
and each citizen's turns go to the workers in turn (turn 1 to the first, turn 2 to the next…),
as a load balancer without sticky sessions would send them; searches rotate the same way.

Run: ``python -m benchmarks.bench_load [--url http://127.0.0.1:8000[,http://127.0.0.1:8001]] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import time
import zlib
from dataclasses import dataclass, field

import httpx

QUESTIONS = [
    ["你好", "驾照丢了怎么办", "那要多少钱", "在哪办", "谢谢"],
    ["我想办护照", "要带什么材料", "多久能拿到", "谢谢"],
    ["身份证过期了怎么换", "要多少钱", "在哪里办", "好的"],
    ["公积金怎么提取", "需要什么材料", "网上能办吗"],
    ["我想开个小饭馆", "要办哪些手续"],
]
COMPLAINT = "楼下饭店油烟太大了，每天晚上都不停，窗户都不敢开"
SEARCHES = [
    "驾照丢了怎么补", "护照怎么办", "身份证到期换领", "公积金提取", "开饭店要什么手续", "生孩子上户口",
    "居住证怎么办", "社保卡丢了", "结婚登记要带什么", "营业执照怎么办", "退休手续", "无犯罪记录证明",
]  # fmt: skip


@dataclass
class Phase:
    turns: list[tuple[float, str]] = field(default_factory=list)  # (seconds, mode)
    errors: list[str] = field(default_factory=list)
    forms_done: int = 0
    forms_broken: list[str] = field(default_factory=list)
    searches: list[float] = field(default_factory=list)
    search_limited: int = 0
    search_errors: list[str] = field(default_factory=list)


def _client(url: str, n: int) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.1.{n + 1}")
    return httpx.AsyncClient(base_url=url, timeout=15, transport=transport)


class Citizen:
    def __init__(self, n: int, urls: list[str], phase: Phase, think: float, rng: random.Random) -> None:
        self.n, self.phase, self.think, self.rng = n, phase, think, rng
        self.clients = [_client(url, n) for url in urls]  # one per worker, all from this citizen's address
        self.conversations = 0
        self.said = 0

    async def say(self, sender: str, text: str) -> list[dict] | None:
        started = time.perf_counter()
        client = self.clients[self.said % len(self.clients)]  # the next worker, turn by turn
        self.said += 1
        try:
            resp = await client.post("/api/chat", json={"sender": sender, "text": text})
        except httpx.HTTPError as exc:
            self.phase.errors.append(f"{type(exc).__name__}")
            return None
        seconds = time.perf_counter() - started
        if resp.status_code != 200:
            self.phase.errors.append(f"HTTP {resp.status_code}: {resp.text[:80]}")
            return None
        data = resp.json()
        self.phase.turns.append((seconds, data["mode"]))
        return data["messages"]

    async def pause(self) -> None:
        await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def run(self, stop_at: float) -> None:
        kinds = ["questions", "booking", "questions", "complaint"]
        while time.monotonic() < stop_at:
            kind = kinds[(self.n + self.conversations) % len(kinds)]
            sender = f"load:{self.n}:{self.conversations}:{int(time.time())}"
            self.conversations += 1
            if kind == "questions":
                for text in QUESTIONS[(self.n + self.conversations) % len(QUESTIONS)]:
                    if time.monotonic() >= stop_at or await self.say(sender, text) is None:
                        break
                    await self.pause()
            else:
                await self.form(sender, kind, stop_at)

    async def form(self, sender: str, kind: str, stop_at: float) -> None:
        opening = "我要预约办理身份证换领" if kind == "booking" else "我要投诉"
        messages = await self.say(sender, opening)
        for _step in range(12):
            if messages is None:
                self.phase.forms_broken.append(f"{kind}: error")
                return
            if any((m.get("receipt") or {}).get("kind") in ("booking", "ticket") for m in messages):
                self.phase.forms_done += 1
                return
            answer = _answer(messages, kind, zlib.crc32(sender.encode()))
            if answer is None:
                last = messages[-1]["text"][:40] if messages else "(no reply)"
                self.phase.forms_broken.append(f"{kind}: stuck at {last!r}")
                return
            await self.pause()
            if time.monotonic() >= stop_at:
                return  # unfinished, not broken
            messages = await self.say(sender, answer)
        last = messages[-1]["text"][:40] if messages else "(no reply)"
        self.phase.forms_broken.append(f"{kind}: no receipt after 12 answers, the last {last!r}")


def _answer(messages: list[dict], kind: str, n: int) -> str | None:
    """What a citizen answers to the form's last question (buttons clicked where offered); ``n``
    numbers the citizen's conversation (its phone: one booking per phone and day is the rule)."""
    last = messages[-1] if messages else {"text": "", "buttons": []}
    text, buttons = last.get("text") or "", last.get("buttons") or []
    if "确认" in text and any(b["payload"] == "/affirm" for b in buttons):
        return "/affirm"
    usable = [b for b in buttons if b["payload"] not in ("/deny", "/stop") and "取消" not in b["title"]]
    if kind == "complaint" and usable and any(b["title"] == "投诉" for b in usable):
        return next(b["payload"] for b in usable if b["title"] == "投诉")
    if usable:
        return usable[0]["payload"]
    if "姓名" in text or "怎么称呼" in text:
        return "张三"
    if "手机" in text or "电话" in text or "联系" in text:
        return f"139{n % 100_000_000:08d}"
    if "地点" in text or "哪里" in text or "地址" in text or "在哪" in text:
        return "西城区建设街12号"
    if kind == "complaint" and ("经过" in text or "什么事" in text or "具体" in text or "说一下" in text):
        return COMPLAINT
    if kind == "booking" and ("哪项" in text or "什么事项" in text or "办什么" in text):
        return "居民身份证换领"
    return None


async def searcher(n: int, urls: list[str], phase: Phase, interval: float, stop_at: float) -> None:
    rng = random.Random(n)
    clients = [_client(url, 100 + n) for url in urls]
    try:
        for i in itertools.count():
            if time.monotonic() >= stop_at:
                break
            started = time.perf_counter()
            try:
                resp = await clients[i % len(clients)].post(
                    "/api/search", json={"q": rng.choice(SEARCHES), "source": "staff"}
                )
                if resp.status_code == 429:
                    phase.search_limited += 1
                elif resp.status_code != 200:
                    phase.search_errors.append(f"HTTP {resp.status_code}")
                else:
                    phase.searches.append(time.perf_counter() - started)
            except httpx.HTTPError as exc:
                phase.search_errors.append(type(exc).__name__)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    finally:
        for client in clients:
            await client.aclose()


async def run_phase(
    urls: list[str], conversations: int, searchers: int, seconds: float, think: float, interval: float
) -> Phase:
    phase = Phase()
    stop_at = time.monotonic() + seconds
    citizens = [Citizen(n, urls, phase, think, random.Random(n)) for n in range(conversations)]
    tasks = [asyncio.create_task(c.run(stop_at)) for c in citizens]
    tasks += [asyncio.create_task(searcher(n, urls, phase, interval, stop_at)) for n in range(searchers)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    except TimeoutError:
        phase.errors.append("phase did not end within its time + 30 s")
    finally:
        for task in tasks:
            task.cancel()
        for c in citizens:
            for client in c.clients:
                await client.aclose()
    return phase


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] * 1000 if ordered else 0.0


def report(name: str, phase: Phase, seconds: float, workers: int = 1) -> dict:
    times = [s for s, _ in phase.turns]
    rasa = sum(1 for _, m in phase.turns if m == "rasa")
    out = {
        "phase": name,
        "workers": workers,
        "turns": len(phase.turns),
        "turns_per_s": round(len(phase.turns) / seconds, 1),
        "rasa_pct": round(100 * rasa / len(phase.turns), 1) if phase.turns else 0.0,
        "errors": len(phase.errors),
        "forms_done": phase.forms_done,
        "forms_broken": len(phase.forms_broken),
        "p50_ms": round(statistics.median(times) * 1000) if times else 0,
        "p95_ms": round(_pct(times, 0.95)),
        "max_ms": round(max(times) * 1000) if times else 0,
        "searches": len(phase.searches),
        "search_p95_ms": round(_pct(phase.searches, 0.95)),
        "search_rate_limited": phase.search_limited,
        "search_errors": len(phase.search_errors),
    }
    print(
        f"{name}: {out['turns']} turns ({out['turns_per_s']}/s), {out['rasa_pct']} % in Rasa mode, "
        f"{out['errors']} errors, forms {out['forms_done']} done / {out['forms_broken']} broken, "
        f"p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, max {out['max_ms']} ms; "
        f"searches {out['searches']} (p95 {out['search_p95_ms']} ms, {out['search_rate_limited']} rate-limited, "
        f"{out['search_errors']} errors)"
    )
    for problem in (phase.errors + phase.forms_broken)[:8]:
        print(f"  {problem}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="one worker, or several comma-separated"
    )
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--searchers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a citizen reads before answering"
    )
    parser.add_argument("--search-interval", type=float, default=1.0)
    parser.add_argument("--phases", default="alone,search", help="alone, search or both (comma-separated)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    urls = [u.strip().rstrip("/") for u in args.url.split(",") if u.strip()]
    if not urls or not all(u.startswith(("http://127.", "http://localhost")) for u in urls):
        parser.error("loopback only: every --url must be http://127.x.x.x or http://localhost")
    results = []
    for name in args.phases.split(","):
        searchers = args.searchers if name == "search" else 0
        phase = asyncio.run(
            run_phase(urls, args.conversations, searchers, args.seconds, args.think, args.search_interval)
        )
        label = f"{args.conversations} conversations" + (
            f" + {searchers} search clients" if searchers else ""
        )
        if len(urls) > 1:
            label += f" over {len(urls)} workers"
        results.append(report(label, phase, args.seconds, len(urls)))
    if args.json:
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
