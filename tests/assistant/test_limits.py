from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.limits import TokenBuckets
from assistant.settings import Settings


def test_token_bucket_refills():
    buckets = TokenBuckets(rate=60, burst=2)
    assert buckets.allow("ip", now=0) and buckets.allow("ip", now=0)
    assert not buckets.allow("ip", now=0.1)
    assert buckets.allow("ip", now=1.2)  # one token per second at 60/min
    assert buckets.allow("other", now=0.1)


def test_public_endpoints_are_rate_limited_and_bodies_capped(tmp_path):
    settings = Settings(
        var_dir=tmp_path,
        search_enabled=False,
        rate_limit_per_minute=60,
        rate_limit_burst=3,
        max_body_bytes=2048,
    )
    with TestClient(create_app(settings)) as c:
        codes = [c.post("/api/chat", json={"sender": "s", "text": "你好"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        assert "太频繁" in c.post("/api/chat", json={"sender": "s", "text": "x"}).json()["detail"]
        assert c.get("/health").status_code == 200  # not a limited path
        big = c.post("/api/guides", content=b"x" * 4096, headers={"content-type": "application/json"})
        assert big.status_code == 413 and "太大" in big.json()["detail"]
