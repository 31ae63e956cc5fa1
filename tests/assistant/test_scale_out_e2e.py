"""The scale-out for real: two `yichuang serve` workers, each with its Rasa, on PostgreSQL + Redis.

One conversation alternates between the workers and keeps its context and its booking form
(trackers and locks in Redis, any Rasa continues it); a publish on one worker is found by search
on the other within a second; one worker and one Rasa are killed with -9 in the middle of the
form and the conversation goes on with the others; at the end there is one booking and one
ticket, neither lost nor doubled. Two Rasa servers take about 1.5 GB each and a minute or two
to start on a busy machine; the whole test is bounded to a few minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import flushed_redis
from tests.connectors.fakes import free_port
from tests.stubs import until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.redis,
]
ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("YICHUANG_TEST_REDIS_E2E", "redis://127.0.0.1:6379/14")
LICENCE = "机动车驾驶证遗失补证"
PHONE = "13812345678"
ARTIFACTS = ROOT / "test-artifacts" / "scale-out"


def _health(url: str) -> dict | None:
    try:
        return httpx.get(f"{url}/health", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return None


class Worker:
    def __init__(self, n: int, var: Path, env: dict[str, str]) -> None:
        self.n, self.var = n, var
        self.url = f"http://127.0.0.1:{env['YICHUANG_PORT']}"
        self.log = (var / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def rasa_pid(self) -> int | None:
        health = _health(self.url)
        return (health or {}).get("dialogue_server", {}).get("pid")

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"worker {self.n} exited: {(self.var / 'serve.log').read_text()[-3000:]}")
        health = _health(self.url)
        return bool(health and health["dialogue_server"]["state"] == "ready")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def deployment(model, real_retriever, sample_entries, postgres_url, tmp_path):
    """Two workers (their Rasa beside each), one PostgreSQL database, one Redis database."""
    from assistant.auth import Accounts
    from assistant.database import open_store

    _, model_file = model
    redis_url = flushed_redis(REDIS)
    store = open_store(postgres_url)
    store.save_many(sample_entries, author="seed", publish=True)
    Accounts(store.engine).add("editor1", "editor password 1", "editor")
    store.engine.dispose()
    app_ports, rasa_ports = [free_port(), free_port()], [free_port(), free_port()]
    workers = []
    for n in range(2):
        var = tmp_path / f"worker{n}"
        (var / "rasa" / "models").mkdir(parents=True)
        shutil.copy(
            model_file, var / "rasa" / "models" / model_file.name
        )  # never a link: training replaces it
        shutil.copytree(ROOT / "var" / "index", var / "index")  # the sample KB's index, as built once
        env = os.environ | {
            "PYTHONPATH": str(ROOT), "YICHUANG_VAR_DIR": str(var), "YICHUANG_MODELS_DIR": str(ROOT / "var" / "models"),
            "YICHUANG_DATABASE_URL": postgres_url, "YICHUANG_REDIS_URL": redis_url,
            "YICHUANG_PORT": str(app_ports[n]), "YICHUANG_RASA_URL": f"http://127.0.0.1:{rasa_ports[n]}",
            "YICHUANG_RASA_URLS": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
            "YICHUANG_RASA_TIMEOUT": "20", "YICHUANG_RATE_LIMIT_PER_MINUTE": "100000",
            "YICHUANG_RATE_LIMIT_BURST": "100000", "YICHUANG_LOG_LEVEL": "INFO",
        }  # fmt: skip
        env.pop("YICHUANG_RASA_BIN", None)
        workers.append(Worker(n, var, env))
    try:
        assert until(lambda: all(w.ready() for w in workers), within=240, step=0.5), [_health(w.url) for w in workers]
        yield workers, postgres_url
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)  # stops its Rasa too
        for w in workers:
            try:
                w.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                w.proc.kill()
            w.log.close()
            kept = ARTIFACTS / f"worker{w.n}"  # the logs outlive pytest's temporary folders
            kept.mkdir(parents=True, exist_ok=True)
            for log in (w.var / "serve.log", w.var / "rasa" / "rasa.log"):
                if log.exists():
                    shutil.copy(log, kept / log.name)
        flushed_redis(redis_url)


def _say(worker: Worker, sender: str, said: str) -> list[dict]:
    resp = httpx.post(f"{worker.url}/api/chat", json={"sender": sender, "text": said}, timeout=60)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["mode"] == "rasa" and body["messages"], (worker.n, said, body)
    return body["messages"]


def _published_on_one_found_on_the_other(one: Worker, two: Worker) -> float:
    login = httpx.post(
        f"{one.url}/api/auth/login", json={"username": "editor1", "password": "editor password 1"}
    )
    ed = {"Authorization": f"Bearer {login.json()['token']}"}
    code = next(g["code"] for g in httpx.get(f"{one.url}/api/guides").json() if g["name"] == LICENCE)
    entry = httpx.get(f"{one.url}/api/admin/entries/{code}", headers=ed).json()
    phrase = "萤火虫在窗台上开会需要登记吗"
    content = {**entry["content"], "similar_questions": [*entry["content"]["similar_questions"], phrase]}
    assert httpx.put(
        f"{one.url}/api/admin/entries/{code}", json={"kind": "guide", "content": content}, headers=ed
    )
    published = httpx.post(f"{one.url}/api/admin/entries/{code}/publish", json={}, headers=ed, timeout=30)
    assert published.status_code == 200, published.text
    started = time.monotonic()

    def found() -> bool:
        results = httpx.post(f"{two.url}/api/search", json={"q": phrase}, timeout=10).json()["results"]
        return bool(results) and results[0]["code"] == code

    assert until(found, within=10, step=0.05)
    return time.monotonic() - started


def test_two_workers_two_rasa_on_postgresql_and_redis(deployment, capsys):
    (one, two), database = deployment
    booking, complaint = "web:scale-booking", "web:scale-complaint"

    assert LICENCE in _say(one, booking, "驾照丢了怎么办")[0]["text"]
    kept = redis.Redis.from_url(REDIS).ttl(f"yichuang:tracker:{booking}")
    assert 0 < kept <= 1800  # the tracker is in Redis, and it expires
    assert _say(two, booking, "那要多少钱")[0]["text"].startswith(
        f"【{LICENCE}】收费"
    )  # context on the other
    form = _say(one, booking, "我要预约办结婚登记")[-1]
    assert "大厅" in form["text"]
    form = _say(two, booking, form["buttons"][0]["payload"])[-1]  # the hall, on the other worker
    form = _say(one, booking, form["buttons"][0]["payload"])[-1]  # the day: the time is asked next
    talk = _say(two, complaint, "/complain")[-1]
    if talk.get("buttons"):
        _say(one, complaint, "投诉")
    _say(two, complaint, "楼下饭店油烟太大了，晚上都不停")

    seconds = _published_on_one_found_on_the_other(one, two)
    assert seconds < 1.0, f"the other worker's search followed after {seconds:.2f} s"
    with capsys.disabled():
        print(f"\n发布后另一个工作进程的检索 {seconds * 1000:.0f} ms 内找到")

    rasa = one.rasa_pid()
    assert rasa and _alive(rasa)
    os.kill(rasa, signal.SIGKILL)  # a Rasa and a worker die in the middle of both forms
    os.kill(one.proc.pid, signal.SIGKILL)
    one.proc.wait(timeout=10)
    assert until(lambda: not _alive(rasa), within=10, step=0.5)

    asked = _say(two, booking, form["buttons"][0]["payload"])[-1]["text"]  # the time: the form goes on
    assert "姓名" in asked, asked
    assert "手机号" in _say(two, booking, "张三")[-1]["text"]
    confirm = _say(two, booking, PHONE)[-1]["text"]
    assert "138****5678" in confirm and "确认" in confirm
    number = re.search(r"YY\d{6}[A-Z2-9]{10}", _say(two, booking, "/affirm")[-1]["text"]).group(0)
    _say(two, complaint, "西城区建设街12号")
    assert "139****1111" in _say(two, complaint, "13900001111")[-1]["text"]
    ticket = re.search(r"GD\d{6}[A-Z2-9]{8}", _say(two, complaint, "/affirm")[-1]["text"]).group(0)

    engine = create_engine(database)
    with engine.connect() as conn:
        bookings = conn.execute(text("SELECT number FROM bookings")).scalars().all()
        tickets = conn.execute(text("SELECT number FROM tickets")).scalars().all()
    engine.dispose()
    assert bookings == [number] and tickets == [ticket]  # none lost, none doubled
    assert httpx.get(f"{two.url}/ready", timeout=10).json()["ready"]
