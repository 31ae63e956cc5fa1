"""The citizen page as a citizen on a 390×844 phone uses it: accessibility (axe-core), 长辈版,
the human hand-off, reloads and readable answers. Screenshots go to ``test-artifacts/citizen/``."""

from __future__ import annotations

import shutil

import pytest

from assistant.settings import Settings
from tests.axe import assert_accessible, serious_violations
from tests.browser import ARTIFACTS, PHONE, PageErrors, chromium
from tests.connectors.fakes import serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "citizen"
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def browser():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def site(real_retriever, sample_entries, tmp_path_factory):
    from assistant.app import create_app

    var = tmp_path_factory.mktemp("citizen-web")
    settings = Settings(
        var_dir=var, search_enabled=False, rasa_url="", rate_limit_per_minute=10_000, rate_limit_burst=10_000,
    )  # fmt: skip
    app = create_app(settings, retriever=real_retriever)
    with serve(app) as url:
        app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        app.state.services.accounts.add("hotline1", "hotline password 1", "staff")
        yield url, app


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors = PageErrors()
    errors.watch(page)
    yield page
    assert not errors, errors  # no script errors, no CSP violations


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, text: str) -> None:
    before = page.locator("#log li.msg.bot").count()
    page.get_by_label("输入您的问题").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#log li.msg.bot').length > n && !document.querySelector('#log[aria-busy]')",
        arg=before,
    )


def test_axe_helper_reports_what_a_screen_reader_stumbles_on(page):
    """The check itself: a list item outside a list and an unlabelled field are serious for axe."""
    page.set_content(
        '<!doctype html><html lang="zh-CN"><title>t</title><main><ol role="log"><li>答</li></ol>'
        "<input type=text></main></html>"
    )
    found = {v["id"] for v in serious_violations(page)}
    assert {"listitem", "label"} <= found, found


def test_citizen_page_has_no_serious_accessibility_violation(page, site):
    url, _ = site
    page.goto(url + "/")
    assert_accessible(page, "citizen page (empty)")
    ask(page, "驾驶证丢了怎么补办")
    assert_accessible(page, "citizen page (answered)")
    shot(page, "a11y-answered")
