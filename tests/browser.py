"""Shared pieces of the browser tests: Debian's Chromium under Playwright, phone-sized contexts,
screenshots. The pages keep their strict CSP; axe-core is in ``tests/axe.py``."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
# the machine's network is closed: Chromium must not try to phone home
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip


@contextmanager
def chromium():
    """A headless Chromium; skips (fails under ``YICHUANG_REQUIRE_BROWSER``) without Playwright or it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("YICHUANG_REQUIRE_BROWSER"):
            pytest.fail("Playwright or /usr/bin/chromium missing: `make test` installs both")
        pytest.skip("browser tests need Playwright and Debian's chromium (`make browser`)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class PageErrors(list):
    """Script errors and console errors (CSP violations show there) collected from a page."""

    def watch(self, page, expected=lambda msg: False) -> None:
        page.on("pageerror", lambda exc: self.append(str(exc)))
        page.on("console", lambda msg: self.append(msg.text) if msg.type == "error" and not expected(msg) else None)
