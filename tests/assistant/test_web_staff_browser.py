"""A hotline operator on a live call, keyboard only: search, move into the results, open, copy the
答复口径, print only the guide, go back with Esc, open a ticket prefilled from the caller's words,
and find the caller's tickets by phone. axe-core on the page while logged in. Screenshots go to
``test-artifacts/staff/`` (desktop and phone)."""

from __future__ import annotations

import pytest

from tests.axe import assert_accessible
from tests.browser import ARTIFACTS, DESKTOP, PHONE, browser_fixture, login, open_page, site_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "staff"
# window.print() would open a dialog: record what the page looked like when it asked instead
NO_PRINT_DIALOG = "window.print = () => { window.__printed = document.body.className; };"


browser = browser_fixture(SHOTS)
site = site_fixture("staff-web", accounts=("hotline1",))  # nothing here publishes: the shared index is safe


def _page(browser, url, viewport):
    return open_page(browser, viewport, clipboard=url, init_script=NO_PRINT_DIALOG)


@pytest.fixture
def desk(browser, site):
    with _page(browser, site[0], DESKTOP) as page:
        yield page


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent")


def tab_to(page, text: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"Tab never reached {text}")


def test_operator_does_a_call_by_keyboard_only(desk, site):
    page = desk
    url, app = site
    page.goto(url + "/staff")
    login(page, "hotline1", "hotline password 1")
    page.locator("#q").wait_for()
    assert focused(page) == "q"
    page.keyboard.type("驾照丢了怎么补")
    first = page.locator("#results button").first
    first.wait_for()
    assert "驾驶证" in first.inner_text()
    # a clear top result opens by itself while the cursor stays in the search box
    page.locator("#detail h2").filter(has_text="驾驶证").wait_for()
    assert focused(page) == "q"
    count = page.locator("#results button").count()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement === document.querySelector('#results button')")
    if count > 1:
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    heading = page.locator("#detail h2")
    heading.filter(has_text="驾驶证").wait_for()
    page.wait_for_function("() => document.activeElement === document.querySelector('#detail h2')")
    tab_to(page, "复制答复")
    page.keyboard.press("Enter")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "需要带的材料" in copied and "http" not in copied
    tab_to(page, "打印")
    page.keyboard.press("Enter")
    assert "printing-detail" in page.evaluate("window.__printed")
    shot_name = heading.inner_text()
    assert_accessible(page, "staff page with a guide open")
    page.screenshot(path=str(SHOTS / "staff-1-guide-desktop.png"), full_page=True)
    page.evaluate("document.body.classList.add('printing-detail')")
    page.emulate_media(media="print")
    assert not page.locator("#results").is_visible() and not page.locator("#script").is_visible()
    title = page.locator(".print-title")
    assert title.is_visible() and title.inner_text().startswith(shot_name) and "打印于" in title.inner_text()
    page.screenshot(path=str(SHOTS / "staff-2-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.evaluate("document.body.classList.remove('printing-detail')")

    page.keyboard.press("Escape")
    assert focused(page) == "q"
    words = "小区路灯坏了一个星期了晚上黑漆漆的，我要投诉"
    page.keyboard.type(words)  # typed over the selected search text
    page.locator("#state, [role=status]").first.wait_for()
    tab_to(page, "为来电人建工单")
    page.keyboard.press("Enter")
    description = page.get_by_label("来电人反映的情况")
    description.wait_for()
    assert description.input_value() == words  # the caller's words, not the guide opened before
    page.wait_for_function("() => document.getElementById('t-category').value === '投诉'")
    page.get_by_label("回访电话").focus()
    page.keyboard.type("13712345678")
    page.keyboard.press("Enter")  # submits the form
    number = page.locator(".receipt .number")
    number.wait_for()
    ticket_no = number.inner_text()
    assert ticket_no.startswith("GD")

    page.get_by_label("来电号码").focus()
    page.keyboard.type("13712345678")
    page.keyboard.press("Enter")
    found = page.locator("#caller-out")
    found.filter(has_text=ticket_no).wait_for()
    assert "137****5678" in found.inner_text() and "13712345678" not in page.content()
    assert_accessible(page, "staff page with a caller's tickets")
    page.screenshot(path=str(SHOTS / "staff-3-ticket-and-caller-desktop.png"), full_page=True)
    [ticket] = app.state.services.complaints.by_phone("13712345678")
    assert ticket.number == ticket_no and words in ticket.description


def test_bundle_answers_change_what_the_operator_reads_out(browser, site):
    url, _ = site
    with _page(browser, url, PHONE) as page:
        _bundle_script(page, url)


def _bundle_script(page, url: str) -> None:
    page.goto(url + "/staff")
    login(page, "hotline1", "hotline password 1")
    page.get_by_label("来电人说的话").fill("开饭馆要办什么手续")
    page.locator("#results button", has_text="开办餐饮店一件事").first.click()
    script = page.locator("#script")
    page.wait_for_function("() => document.getElementById('script') && document.getElementById('script').value.includes('还要问来电人')", timeout=30_000)
    selects = page.locator("#detail select")
    for i in range(selects.count()):
        selects.nth(i).select_option(index=1)
    page.wait_for_function("() => !document.getElementById('script').value.includes('还要问来电人')", timeout=30_000)
    page.wait_for_load_state("networkidle")  # every answer's reply is in: the newest one must be what shows
    text = script.input_value()
    assert "还要问来电人" not in text
    assert "个事项联办" in text and "需要准备的材料" in text and "http" not in text
    assert not text.rstrip().endswith("？")
    page.screenshot(path=str(SHOTS / "staff-4-bundle-phone.png"), full_page=True)
    assert_accessible(page, "staff page with a 一件事 open (phone)")


def test_a_department_takes_a_ticket_through_to_the_callback(desk, site):
    page = desk
    url, app = site
    from connectors.complaint import TicketRequest

    services = app.state.services
    ticket = services.complaints.file(TicketRequest(
        description="来电人反映西城区建设街的井盖松动，车一过就响", district="西城区", channel="hotline",
        contact_phone="13600001111", idempotency_key="desk-browser-1"))  # fmt: skip
    other = services.complaints.file(TicketRequest(
        description="来电人举报西城区建设街一家餐馆无证经营，油烟熏人", district="西城区", channel="hotline",
        anonymous=True, idempotency_key="desk-browser-2"))  # fmt: skip
    assert other.department != ticket.department
    services.accounts.add("xicheng1", "dept password 1", "staff", ticket.department)  # the 承办单位's account
    page.goto(url + "/desk")
    login(page, "xicheng1", "dept password 1")
    page.get_by_text(f"本账号属于{ticket.department}").wait_for()
    page.get_by_role("button", name=ticket.number).wait_for()
    assert page.get_by_role("button", name=other.number).count() == 0  # another department's ticket
    assert page.get_by_label("承办部门").is_disabled()
    page.get_by_role("button", name=ticket.number).click()
    page.get_by_role("button", name="接单办理").click()
    page.get_by_label("办理结果（给市民的答复）").fill("井盖已更换并加固，感谢反映")
    page.get_by_role("button", name="办结", exact=True).click()
    page.get_by_role("heading", name="回访").wait_for()
    page.get_by_label("市民满意度").select_option("满意")
    page.get_by_label("回访记录").fill("市民确认已修好")
    page.get_by_role("button", name="完成回访").click()
    page.locator("#detail").get_by_text("满意度：满意").wait_for()
    history = page.locator("#detail .history").inner_text()
    for step in ("办理", "办结", "回访", "评价"):
        assert step in history
    assert "xicheng1" in history and "13600001111" not in page.content()
    assert_accessible(page, "ticket desk")
    page.screenshot(path=str(SHOTS / "desk-1-done-desktop.png"), full_page=True)
    done = app.state.services.complaints.get(ticket.number)
    assert done.status == "评价" and done.satisfaction == "满意"
    assert [e.actor for e in done.history if e.status in ("办理", "办结")] == ["xicheng1", "xicheng1"]
