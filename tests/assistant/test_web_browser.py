"""The four surfaces in a real browser: Debian's Chromium driven by Playwright against a live app.

A citizen asks, clarifies by clicking, walks the 开餐馆 checklist and rates the answer; an operator
searches and copies an answer; an editor adds a 相似问 and publishes it, and the citizen page then
finds the guide by that phrase. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.connectors.fakes import serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
# the machine's network is closed: Chromium must not try to phone home
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("YICHUANG_REQUIRE_BROWSER"):
            pytest.fail("Playwright or /usr/bin/chromium missing: `make test` installs both")
        pytest.skip("browser tests need Playwright and Debian's chromium (`make browser`)")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(real_retriever, sample_entries, tmp_path_factory):
    """The app on its own retriever: the editor's test publishes, which changes the index it serves
    (the session's shared retriever and its saved index must stay as the other tests expect)."""
    from assistant.app import create_app
    from assistant.matching import build_retriever

    var = tmp_path_factory.mktemp("web")
    shutil.copytree(real_retriever.index_dir, var / "index")  # same content: loaded, not rebuilt
    settings = Settings(
        var_dir=var, index_dir=var / "index", search_enabled=False, rasa_url="",
        rate_limit_per_minute=10_000, rate_limit_burst=10_000,
    )  # fmt: skip
    retriever = build_retriever(settings, sample_entries, embedder=real_retriever.embedder)
    app = create_app(settings, retriever=retriever)
    with serve(app) as url:
        app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        app.state.services.accounts.add("editor1", "editor password 1", "editor")
        app.state.services.accounts.add("hotline1", "hotline password 1", "staff")
        yield url, app


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site[0])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not _expected(msg) else None)
    yield page
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def _expected(msg) -> bool:
    """The staff and editor pages ask /api/auth/me first: its 401 is how they know to show the log-in."""
    return "401" in msg.text and msg.location.get("url", "").endswith("/api/auth/me")


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


def last_bot(page):
    return page.locator("#log li.msg.bot").last


def click_choice(page, title: str) -> None:
    before = page.locator("#log li.msg.bot").count()
    last_bot(page).get_by_role("button", name=title, exact=True).click()
    page.wait_for_function(
        "n => document.querySelectorAll('#log li.msg.bot').length > n && !document.querySelector('#log[aria-busy]')",
        arg=before,
    )


def login(page, user: str, password: str) -> None:
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_citizen_asks_clarifies_walks_a_checklist_and_rates(page, site):
    url, app = site
    page.goto(url + "/")
    ask(page, "身份证的事")
    clarify = last_bot(page)
    assert clarify.locator(".bubble").inner_text() == "您是不是想问："
    choice = clarify.locator(".choices button").first.inner_text()
    shot(page, "citizen-1-clarify")
    click_choice(page, choice)
    assert last_bot(page).locator(".bubble").inner_text().startswith(f"【{choice}】")

    ask(page, "我想开个小饭馆，要办哪些手续")
    for _ in range(6):  # answer the bundle's questions with the first option until the checklist shows
        if last_bot(page).locator(".checklist").count():
            break
        buttons = last_bot(page).locator(".choices button")
        assert buttons.count(), last_bot(page).inner_text()
        click_choice(page, buttons.first.inner_text())
    checklist = last_bot(page).locator(".checklist")
    assert "开办餐饮店一件事" in checklist.locator("h3").inner_text()
    progress = checklist.locator(".progress")
    total = int(progress.inner_text().split("/")[1].split()[0])
    assert progress.inner_text().startswith("已备齐 0 /") and total > 1
    first = checklist.locator("input[type=checkbox]:not([disabled])").first
    first.check()  # by its label, the way a screen reader user would
    assert progress.inner_text().startswith("已备齐 1 /")
    shot(page, "citizen-2-checklist")

    rater = last_bot(page).locator(".rate")
    rater.get_by_role("button", name="没帮助").click()
    rater.get_by_role("button", name="材料不全或有误").click()
    rater.get_by_label("哪里不满意？").press_sequentially("，希望写明健康证去哪办")
    rater.get_by_role("button", name="提交评价").click()
    rater.get_by_text("谢谢反馈").wait_for()
    shot(page, "citizen-3-rated")
    [rating] = app.state.services.ratings.items()
    assert rating.about and rating.about["name"] == "开办餐饮店一件事"
    assert rating.reason == "材料不全或有误，希望写明健康证去哪办"
    assert "小饭馆" in rating.question


def test_operator_searches_and_copies_an_answer(page, site):
    url, _ = site
    page.goto(url + "/staff")
    login(page, "hotline1", "hotline password 1")
    page.get_by_label("来电人说的话").press_sequentially("驾照丢了")
    first = page.locator("#results button").first
    first.wait_for()
    assert "驾驶证" in first.inner_text()
    assert int(page.locator("[data-ms]").get_attribute("data-ms")) < 1000
    first.click()
    script = page.get_by_label("答复口径")
    script.wait_for()
    page.get_by_role("button", name="复制答复").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == script.input_value() and "需要带的材料" in copied
    assert page.get_by_role("heading", name="材料清单").is_visible()
    shot(page, "staff-1-guide")
