"""The web pages: served by the app, every asset local, strict CSP, reachable without a build step."""

from __future__ import annotations

import re

import pytest

from assistant.routes.pages import WEB


@pytest.fixture
def client(app_client):
    return app_client()


@pytest.mark.parametrize("path", ["/", "/staff", "/admin"])
def test_pages_are_served_with_a_strict_policy(client, path):
    resp = client.get(path)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    assert '<html lang="zh-CN">' in resp.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', resp.text):
        assert client.get(asset).status_code == 200, asset


def test_no_asset_comes_from_anywhere_else():
    external = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|@import\s+url\(\s*["']?https?:|fetch\(\s*["']https?:""")
    for path in WEB.rglob("*"):
        if path.suffix in {".html", ".js", ".css"}:
            assert not external.search(path.read_text(encoding="utf-8")), path


def test_every_form_control_has_a_label():
    for path in WEB.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        for control in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html):
            ident = re.search(r'id="([^"]+)"', control)
            assert ident and f'for="{ident.group(1)}"' in html, (path.name, control)


def test_pages_are_listed_in_the_api_docs(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/", "/staff", "/admin", "/api/ratings", "/api/staff/lookup"} <= set(paths)
