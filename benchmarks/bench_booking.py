"""Booking throughput of the built-in system on this machine: successful bookings per second with
concurrent clients, on SQLite and (where it answers) PostgreSQL.

Run: ``python -m benchmarks.bench_booking [--requests 600] [--threads 8]``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from assistant.database import open_store
from connectors.booking.builtin import StoreBookingService
from connectors.booking.config import BookingConfig, HallConfig
from connectors.booking.protocol import BookingRequest
from connectors.calendar import WorkCalendar
from connectors.crypto import Sealer, new_key

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _service(url: str) -> StoreBookingService:
    halls = [
        HallConfig(
            id=f"hall-{i}",
            name=f"大厅{i}",
            district="东城区",
            address="-",
            phone="-",
            capacity=50,
            hours={"weekday": ["09:00-17:00"]},
            services=["*"],
        )
        for i in range(4)
    ]
    config = BookingConfig(slot_minutes=30, horizon_days=14, halls=halls)
    return StoreBookingService(
        open_store(url).engine,
        config,
        Sealer(new_key()),
        lambda _c: "部门",
        WorkCalendar(),
        now=lambda: MONDAY,
    )


def run_one(label: str, url: str, requests: int, threads: int) -> None:
    service = _service(url)
    starts = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]
    days = [date(2026, 11, d) for d in (24, 25, 26, 27)]
    counter = iter(range(requests))
    lock = threading.Lock()
    ok = failed = 0

    def worker() -> None:
        nonlocal ok, failed
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            req = BookingRequest(
                "S",
                "测试事项",
                f"hall-{i % 4}",
                days[(i // 4) % 4],
                starts[(i // 16) % 16],
                "张三",
                f"139{i:08d}",
                str(uuid.uuid4()),
            )
            try:
                service.book(req)
                with lock:
                    ok += 1
            except Exception:
                with lock:
                    failed += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - start
    print(
        f"{label}: {ok} bookings ({failed} refused) in {seconds:.2f} s with {threads} threads = {ok / seconds:.0f} bookings/s"
    )
    service.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_one("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.requests, args.threads)
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        print("PostgreSQL: not answering on 127.0.0.1:5432, skipped")
        return 0
    name = f"yichuang_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run_one("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", args.requests, args.threads)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
