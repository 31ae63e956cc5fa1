"""Shared pieces of the browser tests: Debian's Chromium under Playwright, the app served on a free
port with the sample knowledge base and accounts, pages that fail the test on any script error or
CSP violation, the citizen page's and the log-in's moves, screenshots. The pages keep their strict
CSP; axe-core is in ``tests/axe.py``.

    browser = browser_fixture(ARTIFACTS / "editor")   # screenshots of this module go there
    site = site_fixture("editor-web", accounts=("editor1",), own_index=True)  # (url, app)

    def test_x(browser, site):
        with open_page(browser, DESKTOP) as page: ...
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT = 15_000  # waits are for events; this only bounds them
# the machine's network is closed: Chromium must not try to phone home
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
# the test accounts: name -> (password, role)
ACCOUNTS = {
    "editor1": ("editor password 1", "editor"),
    "admin1": ("admin password 1", "admin"),
    "hotline1": ("hotline password 1", "staff"),
}


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


@contextmanager
def shots_browser(shots: Path):
    """A Chromium for one test module, whose screenshots go to the emptied folder ``shots``."""
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with chromium() as browser:
        yield browser


@contextmanager
def serve_site(
    real_retriever, sample_entries, var: Path, *, accounts=(), own_index: bool = False, **settings
):
    """(url, app): the app on a free port, the sample KB published, ``accounts`` (names of
    ``ACCOUNTS``) created. ``own_index``: the app searches its own retriever over a copy of the
    shared index, for tests that publish (the session's retriever must stay as the others expect)."""
    from assistant.app import create_app
    from assistant.settings import Settings
    from tests.connectors.fakes import serve

    retriever = real_retriever
    settings = {"search_enabled": False, "rasa_url": "", "rate_limit_per_minute": 10_000, "rate_limit_burst": 10_000, **settings}  # fmt: skip
    if own_index:
        from assistant.matching import build_retriever

        shutil.copytree(real_retriever.index_dir, var / "index")  # same content: loaded, not rebuilt
        settings["index_dir"] = var / "index"
    config = Settings(var_dir=var, **settings)
    if own_index:
        retriever = build_retriever(config, sample_entries, embedder=real_retriever.embedder)
    app = create_app(config, retriever=retriever)
    with serve(app) as url:
        app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        for name in accounts:
            password, role = ACCOUNTS[name]
            app.state.services.accounts.add(name, password, role)
        yield url, app


def browser_fixture(shots: Path):
    """A module's ``browser`` fixture (``browser = browser_fixture(SHOTS)``)."""

    @pytest.fixture(scope="module")
    def browser():
        with shots_browser(shots) as b:
            yield b

    return browser


def site_fixture(name: str, *, accounts=(), own_index: bool = False, **settings):
    """A module's ``site`` fixture: ``serve_site`` in a fresh folder called ``name``."""

    @pytest.fixture(scope="module")
    def site(real_retriever, sample_entries, tmp_path_factory):
        var = tmp_path_factory.mktemp(name)
        with serve_site(
            real_retriever, sample_entries, var, accounts=accounts, own_index=own_index, **settings
        ) as s:
            yield s

    return site


def expected_401(msg) -> bool:
    """The staff and editor pages ask /api/auth/me first: its 401 is how they know to show the log-in."""
    return "401" in msg.text and msg.location.get("url", "").endswith("/api/auth/me")


class PageErrors(list):
    """Script errors and console errors (CSP violations show there) collected from a page."""

    def watch(self, page, expected=expected_401) -> None:
        page.on("pageerror", lambda exc: self.append(str(exc)))
        page.on(
            "console",
            lambda msg: self.append(msg.text) if msg.type == "error" and not expected(msg) else None,
        )


@contextmanager
def open_page(browser, viewport=DESKTOP, *, clipboard: str | None = None, init_script: str | None = None,
              timeout: float = TIMEOUT):  # fmt: skip
    """A page in a fresh context (zh-CN); the test fails if the page had a script error or a CSP
    violation. ``clipboard``: the origin allowed to read and write it."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=clipboard)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(timeout)
    errors = PageErrors()
    errors.watch(page)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors  # no script errors, no CSP violations


def shot(page, folder: Path, name: str, *, full: bool = True) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full)


def login(page, user: str, password: str | None = None) -> None:
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password or ACCOUNTS[user][0])
    page.get_by_role("button", name="登录").click()


# -- the citizen page --------------------------------------------------------------------------
_ANSWERED = "n => document.querySelectorAll('#log li.msg.bot').length > n && !document.querySelector('#log[aria-busy]')"


def last_bot(page):
    return page.locator("#log li.msg.bot").last


def ask(page, text: str) -> None:
    """Type ``text`` into the citizen page and wait for the answer."""
    before = page.locator("#log li.msg.bot").count()
    page.get_by_label("输入您的问题").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(_ANSWERED, arg=before)


def click_choice(page, title: str) -> None:
    before = page.locator("#log li.msg.bot").count()
    last_bot(page).get_by_role("button", name=title, exact=True).click()
    page.wait_for_function(_ANSWERED, arg=before)
