"""Fake external systems on loopback for contract and fault tests: a city booking system and a
12345 platform. They follow docs/connectors.md, dedupe writes by Idempotency-Key, and can be
told to fail (down, or commit-then-drop-the-answer)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: FastAPI, port: int | None = None):
    """Run ``app`` on 127.0.0.1 (on ``port``, or a free one) in a thread; yields the base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


class Fake12345:
    def __init__(self) -> None:
        self.tickets: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.mode = "ok"  # ok | down | drop_after_commit
        self.requests = 0
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/tickets")
        async def create(request: Request, idempotency_key: str | None = Header(default=None)):
            self.requests += 1
            if self.mode == "down":
                return JSONResponse({"message": "维护中"}, status_code=503)
            body = await request.json()
            if idempotency_key and idempotency_key in self.by_key:
                return self.tickets[self.by_key[idempotency_key]]
            if len(body.get("description") or "") < 5:
                return JSONResponse({"code": "invalid", "message": "描述太短"}, status_code=422)
            number = f"12345-{len(self.tickets) + 1:06d}"
            now = datetime.now(UTC)
            ticket = {
                "number": number,
                "category": body.get("category") or "咨询",
                "status": "受理",
                "department": "派单中心",
                "respond_by": date.today().isoformat(),
                "resolve_by": (date.today() + timedelta(days=3)).isoformat(),
                "created_at": now.isoformat(),
                "description": body["description"],
                "contact_masked": "已脱敏",
                "history": [{"at": now.isoformat(), "status": "受理", "actor": "fake", "note": ""}],
            }
            self.tickets[number] = ticket
            if idempotency_key:
                self.by_key[idempotency_key] = number
            if self.mode == "drop_after_commit":
                return JSONResponse({"message": "gateway timeout"}, status_code=504)  # stored, answer lost
            return ticket

        @app.get("/tickets/{number}")
        def get(number: str):
            if number not in self.tickets:
                raise HTTPException(404, "没有这个工单")
            return self.tickets[number]

        return app


class FakeBookingSystem:
    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self.bookings: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.fail_next = 0  # answer 503 to this many requests first
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()
        hall = {
            "id": "h1",
            "name": "测试大厅",
            "district": "东城区",
            "address": "测试路1号",
            "phone": "0000-1",
        }

        @app.middleware("http")
        async def flaky(request: Request, call_next):
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"message": "busy"}, status_code=503)
            return await call_next(request)

        @app.get("/halls")
        def halls(service: str, district: str | None = None):
            return [hall]

        @app.get("/halls/{hall_id}/slots")
        def slots(hall_id: str, request: Request):
            to = request.query_params["to"]
            taken = sum(1 for b in self.bookings.values() if b["status"] == "booked")
            return [{"day": to, "start": "09:00", "end": "09:30", "free": self.capacity - taken}]

        @app.post("/bookings")
        async def book(request: Request, idempotency_key: str | None = Header(default=None)):
            body = await request.json()
            if idempotency_key in self.by_key:
                return self.bookings[self.by_key[idempotency_key]]
            if sum(1 for b in self.bookings.values() if b["status"] == "booked") >= self.capacity:
                return JSONResponse({"code": "slot_full", "message": "约满了"}, status_code=409)
            number = f"EXT{len(self.bookings) + 1:04d}"
            self.bookings[number] = {
                "number": number,
                "service_code": body["service_code"],
                "service_name": body["service_name"],
                "hall": hall,
                "day": body["day"],
                "start": body["start"],
                "end": "09:30",
                "status": "booked",
                "phone": body["phone"],
                "phone_masked": body["phone"][:3] + "****" + body["phone"][-4:],
            }
            if idempotency_key:
                self.by_key[idempotency_key] = number
            return self.bookings[number]

        @app.post("/bookings/{number}/cancel")
        async def cancel(number: str, request: Request):
            body = await request.json()
            b = self.bookings.get(number)
            if not b or b["phone"] != body["phone"]:
                return JSONResponse({"code": "not_found", "message": "没有这个预约"}, status_code=404)
            b["status"] = "cancelled"
            return b

        @app.get("/bookings")
        def query(number: str | None = None, phone: str | None = None):
            return [
                b
                for b in self.bookings.values()
                if (not number or b["number"] == number) and (not phone or b["phone"] == phone)
            ]

        return app


class FakeWeChatApi:
    """The 公众号 server API: access tokens and 客服消息 (kept in ``sent``); ``expire_next`` answers
    one send with an expired-token error, ``window_closed`` every send with 45015 (48 hours over)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.tokens = 0
        self.expire_next = False
        self.window_closed = False  # answer 45015: the citizen's 48 hours are over
        self.attempts = 0
        self.token_delay = 0.0  # seconds each token request takes (workers asking at once)
        self.app = FastAPI()

        @self.app.get("/cgi-bin/token")
        def token(appid: str, secret: str):
            time.sleep(self.token_delay)
            self.tokens += 1
            return {"access_token": f"T{self.tokens}", "expires_in": 7200}

        @self.app.post("/cgi-bin/message/custom/send")
        async def send(request: Request, access_token: str):
            self.attempts += 1
            if self.window_closed:
                return {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
            if self.expire_next:
                self.expire_next = False
                return {"errcode": 42001, "errmsg": "access_token expired"}
            self.sent.append({"token": access_token, **(await request.json())})
            return {"errcode": 0, "errmsg": "ok"}
