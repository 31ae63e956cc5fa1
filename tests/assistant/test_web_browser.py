"""The four surfaces in a real browser: Debian's Chromium driven by Playwright against a live app.

A citizen asks, clarifies by clicking, walks the 开餐馆 checklist and rates the answer; an operator
searches and copies an answer; an editor adds a 相似问 and publishes it, and the citizen page then
finds the guide by that phrase. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import pytest

from tests.browser import (
    ARTIFACTS,
    PHONE,
    ask,
    browser_fixture,
    click_choice,
    last_bot,
    login,
    open_page,
    site_fixture,
)
from tests.browser import shot as _shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "browser"


browser = browser_fixture(SHOTS)
# on its own retriever: the editor's test publishes, which changes the index it serves
site = site_fixture("web", accounts=("editor1", "hotline1"), own_index=True)


@pytest.fixture
def page(browser, site):
    with open_page(browser, PHONE, clipboard=site[0]) as page:
        yield page


def shot(page, name: str) -> None:
    _shot(page, SHOTS, name)


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
