"""Protection for public endpoints: a per-client rate limit and a request body size limit.

Both answer in Chinese (429 / 413) and are pure ASGI middleware, so they run before any body
is parsed. Staff and WeChat traffic (the WeChat servers speak for many citizens) are not rate
limited here.
"""

from __future__ import annotations

import json

import anyio

from foundation.shared_state import LocalState, SharedState

LIMITED_PREFIXES = (
    "/api/search",
    "/api/chat",
    "/api/tickets",
    "/api/bookings",
    "/api/halls",
    "/api/auth/login",
)


async def _send_json(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TokenBuckets:
    """``rate`` requests per minute per key, with bursts up to ``burst``; the buckets live in the
    shared state, so with Redis a client's budget is one across every worker."""

    def __init__(self, rate: float, burst: int, state: SharedState | None = None) -> None:
        self.rate, self.burst = rate / 60.0, burst
        self.state = state or LocalState()

    def allow(self, key: str, now: float | None = None) -> bool:
        return self.state.take("rate:" + key, self.rate, self.burst, now)


class RateLimitMiddleware:
    def __init__(self, app, per_minute: float, burst: int, state: SharedState | None = None) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, burst, state)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(LIMITED_PREFIXES):
            client = (scope.get("client") or ("?", 0))[0]
            if self.buckets.state.shared:  # a network round trip: never on the event loop
                allowed = await anyio.to_thread.run_sync(self.buckets.allow, client)
            else:
                allowed = self.buckets.allow(client)
            if not allowed:
                await _send_json(send, 429, "请求太频繁，请稍后再试。")
                return
        await self.app(scope, receive, send)


class BodySizeMiddleware:
    """Refuse bodies above ``max_bytes`` (413); ``larger`` gives some path prefixes their own cap."""

    def __init__(self, app, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app, self.default, self.larger = app, max_bytes, larger or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.larger.items() if path.startswith(prefix)), self.default)
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope, receive, send, max_bytes: int):
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _send_json(send, 413, f"请求内容太大（上限 {max_bytes // 1024} KB）。")
            return
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _send_json(send, 413, f"请求内容太大（上限 {max_bytes // 1024} KB）。")


class _TooLarge(Exception):
    pass
