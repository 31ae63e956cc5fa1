"""The citizen page as a citizen on a 390×844 phone uses it: accessibility (axe-core), 长辈版,
the human hand-off, reloads and readable answers. Screenshots go to ``test-artifacts/citizen/``."""

from __future__ import annotations

import shutil

import pytest

from assistant.settings import Settings
from tests.assistant.test_wechat import APPID, TOKEN, _query, _text
from tests.axe import assert_accessible, serious_violations
from tests.browser import ARTIFACTS, PHONE, PageErrors, chromium
from tests.connectors.fakes import FakeWeChatApi, serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "citizen"
TIMEOUT = 30_000  # a loaded 2-core machine: waits are for events, this only bounds them


@pytest.fixture(scope="module")
def browser():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def wechat_api():
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def site(real_retriever, sample_entries, tmp_path_factory, wechat_api):
    """The app with staff on duty around the clock and the 公众号 channel on the fake WeChat API."""
    from assistant.app import create_app

    var = tmp_path_factory.mktemp("citizen-web")
    settings = Settings(
        var_dir=var, search_enabled=False, rasa_url="", rate_limit_per_minute=10_000, rate_limit_burst=10_000,
        staff_hours="00:00-24:00", staff_days="every_day", wechat_token=TOKEN, wechat_appid=APPID,
        wechat_secret="s", wechat_api_base=wechat_api.url,
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


def _expected(msg) -> bool:
    """The staff page asks /api/auth/me first: its 401 is how it knows to show the log-in."""
    return "401" in msg.text and msg.location.get("url", "").endswith("/api/auth/me")


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors = PageErrors()
    errors.watch(page, _expected)
    yield page
    assert not errors, errors  # no script errors, no CSP violations


@pytest.fixture
def staff_page(browser, site):
    """A second browser context: the staff member at a desk, logged in on /staff."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT)
    errors = PageErrors()
    errors.watch(page, _expected)
    page.goto(site[0] + "/staff")
    page.get_by_label("用户名").fill("hotline1")
    page.get_by_label("密码").fill("hotline password 1")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="转人工会话").wait_for()
    yield page
    ctx.close()
    assert not errors, errors


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


def test_citizen_page_has_no_serious_accessibility_violation_in_either_mode(page, site):
    url, _ = site
    page.goto(url + "/")
    page.locator("#operator").get_by_text("主办单位").wait_for()
    assert_accessible(page, "citizen page (empty)")
    ask(page, "驾驶证丢了怎么补办")
    assert_accessible(page, "citizen page (answered)")
    page.get_by_role("button", name="长辈版").click()
    ask(page, "我想开个小饭馆，要办哪些手续")
    assert_accessible(page, "citizen page (长辈版, a 一件事 question)")
    shot(page, "a11y-elder")

COVERED = """() => {
  const bar = document.getElementById("say").getBoundingClientRect();
  const last = [...document.querySelectorAll("#turns > li")].pop();
  if (last.getBoundingClientRect().height > bar.top) return null; // taller than the screen: shown from its start
  return [...last.querySelectorAll("button, a, input, textarea")].filter((c) => c.offsetParent).map((c) => {
    const r = c.getBoundingClientRect();
    // cut by the bar's edge: partly shown, partly under it (wholly below it is just further down)
    return { text: c.textContent.trim().slice(0, 20), top: r.top, bottom: r.bottom, bar: bar.top, covered: r.top < bar.top && r.bottom > bar.top + 0.5 };
  });
}"""


def assert_nothing_covered(page) -> None:
    """No control of the newest message is cut by the input bar as shown (when the message fits on
    the screen), and once scrolled to the end of the page every one of them is above the bar."""
    shown = page.evaluate(COVERED)
    assert shown is None or not [c for c in shown if c["covered"]], shown
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    at_end = page.evaluate(COVERED.replace("if (last.getBoundingClientRect().height > bar.top) return null;", ""))
    assert at_end and all(c["bottom"] <= c["bar"] + 0.5 for c in at_end), at_end


def bot_text(page) -> str:
    return page.locator("#turns > li.msg.bot").last.locator(".bubble").inner_text()


def test_a_citizen_asks_for_a_person_who_answers_then_hands_back(page, staff_page, site):
    url, _ = site
    page.goto(url + "/")
    ask(page, "转人工")
    assert "已为您转接人工客服" in bot_text(page)
    banner = page.locator("#handoff")
    banner.get_by_text("正在为您转接人工客服").wait_for()
    assert banner.get_by_role("link", name="拨打 12345").get_attribute("href") == "tel:12345"
    shot(page, "handoff-1-waiting")

    card = staff_page.locator("article.inbox-chat").filter(has_text="市民要求转人工").last
    card.get_by_role("button", name="接手").click()
    card.get_by_label("回复市民").fill("您好，我是人工客服小李，请问有什么可以帮您？")
    card.get_by_role("button", name="发送回复").click()
    staff_page.screenshot(path=str(SHOTS / "handoff-2-staff-replied.png"), full_page=True)

    staff_line = page.locator("#turns > li.msg.staff").last
    staff_line.get_by_text("我是人工客服小李").wait_for()  # pushed: no reload
    banner.get_by_text("正在为您服务").wait_for()
    page.get_by_label("输入您的问题").fill("我想问问护照怎么办")
    page.keyboard.press("Enter")
    page.locator("#turns > li.msg.info").last.get_by_text("已发给人工客服").wait_for()  # the bot is quiet
    card.locator(".transcript").get_by_text("我想问问护照怎么办").wait_for()
    shot(page, "handoff-3-staff-reply-seen")

    card.get_by_role("button", name="交回助手").click()
    page.locator("#turns > li.msg.note").last.get_by_text("结束本次服务").wait_for()
    assert banner.is_hidden()
    ask(page, "驾驶证丢了怎么补办")
    assert bot_text(page).startswith("【机动车驾驶证遗失补证】")
    assert_nothing_covered(page)
    shot(page, "handoff-4-bot-again")


def test_a_wechat_citizen_gets_the_staff_reply_as_a_customer_service_message(staff_page, site, wechat_api):
    import httpx

    url, _ = site

    def wechat(text: str, msg_id: str) -> str:
        body = _text(text, msg_id=msg_id, user="oBrowser")
        return httpx.post(f"{url}/wechat", params=_query(), content=body.encode(), timeout=10).text

    assert "已为您转接人工客服" in wechat("转人工", "9001")
    card = staff_page.locator("article.inbox-chat").filter(has_text="微信").last
    card.get_by_role("button", name="接手").click()
    card.get_by_label("回复市民").fill("您好，微信上的市民，请讲。")
    card.get_by_role("button", name="发送回复").click()
    card.get_by_label("回复市民").wait_for()
    assert wechat("我的居住证到期了", "9002") == "success"  # the bot stays quiet
    card.locator(".transcript").get_by_text("我的居住证到期了").wait_for()
    card.get_by_role("button", name="交回助手").click()
    card.wait_for(state="detached")
    sent = [m["text"]["content"] for m in wechat_api.sent if m["touser"] == "oBrowser"]
    assert "已接入" in sent[0] and sent[1] == "您好，微信上的市民，请讲。" and "结束本次服务" in sent[2]
    assert "机动车驾驶证" in wechat("驾驶证丢了怎么补办", "9003")


MEASURE = """() => {
  const visible = (e) => e.offsetParent && getComputedStyle(e).visibility !== "hidden";
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const text = [...document.querySelectorAll("#turns .bubble p, #turns .bubble li, .starters button, footer.site p, .rate span")].filter(visible);
  const targets = [...document.querySelectorAll("button, a.button, textarea, input:not([type=checkbox]), summary, .checklist .item input")]
    .filter(visible).filter((e) => !e.closest(".answer p"));
  return {
    root: px(document.documentElement),
    smallestText: Math.min(...text.map(px)),
    lineHeight: Math.min(...text.map((e) => parseFloat(getComputedStyle(e).lineHeight) / px(e))),
    small: targets.map((e) => ({ what: (e.textContent || e.id || e.tagName).trim().slice(0, 16), w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height }))
      .filter((t) => t.h < 48 || t.w < 48),
  };
}"""


def test_elder_mode_has_large_text_and_targets_and_is_remembered(page, site):
    url, _ = site
    page.goto(url + "/")
    normal = page.evaluate(MEASURE)
    assert normal["root"] == 16  # the browser's own setting: nothing fixed in px
    page.get_by_role("button", name="长辈版").click()
    assert page.get_by_role("button", name="长辈版").get_attribute("aria-pressed") == "true"
    ask(page, "我想开个小饭馆，要办哪些手续")
    for _ in range(6):  # walk the 一件事 to its checklist: checkboxes, buttons, the rating row
        last = page.locator("#turns > li.msg.bot").last
        if last.locator(".checklist").count():
            break
        before = page.locator("#turns > li.msg.bot").count()
        last.locator(".choices button").first.click()
        page.wait_for_function("n => document.querySelectorAll('#turns > li.msg.bot').length > n && !document.querySelector('#log[aria-busy]')", arg=before)
        assert page.evaluate("document.activeElement.closest('#turns > li') !== null")  # focus went to the reply
    elder = page.evaluate(MEASURE)
    assert elder["smallestText"] >= 18, elder
    assert elder["lineHeight"] >= 1.3, elder
    assert not elder["small"], elder["small"]  # every button, field and checkbox ≥ 48 px
    assert_nothing_covered(page)
    shot(page, "elder-1-checklist")
    page.reload()
    page.locator("#turns .checklist").wait_for()
    assert page.evaluate("document.documentElement.classList.contains('elder')")  # remembered


def test_a_reload_keeps_the_conversation_and_receipt_without_raw_phone_numbers(page, site):
    """The page stores what it showed, masked; a booking confirmation comes back as its card. (The
    booking itself needs the dialogue server, so this one reply is handed to the page as the chat
    API sends it: the page's storage is what is under test.)"""
    url, _ = site
    confirmation = {
        "mode": "rasa", "messages": [{
            "text": "预约成功！【居民身份证换领】示例市政务服务中心，12月3日 09:00-09:30。预约号 YY261203ABCDEFGHJK，手机 139****1111。",
            "buttons": [], "checklist": None, "handoff": False, "about": None, "miss": False,
            "receipt": {"kind": "booking", "number": "YY261203ABCDEFGHJK", "status": "有效"},
        }],
    }  # fmt: skip
    page.goto(url + "/")
    ask(page, "驾驶证丢了怎么补办")
    page.route("**/api/chat", lambda route: route.fulfill(json=confirmation))
    ask(page, "13900001111")  # the phone number a booking form asks for
    page.unroute("**/api/chat")
    page.locator(".receipt").get_by_text("YY261203ABCDEFGHJK").wait_for()
    stored = page.evaluate("localStorage.getItem('yc-chat')")
    assert "13900001111" not in stored and "139****1111" in stored
    page.reload()
    page.locator("#turns .receipt").get_by_text("YY261203ABCDEFGHJK").wait_for()
    assert page.locator("#turns > li.msg.user").first.inner_text().endswith("驾驶证丢了怎么补办")
    assert page.locator("#turns .bubble").get_by_text("机动车驾驶证遗失补证").count()
    assert page.locator("#starters").is_hidden()
    shot(page, "reload-1-kept")
    page.get_by_role("button", name="新对话").click()
    assert page.locator("#turns > li").count() == 1 and page.locator("#starters").is_visible()
    assert "YY261203" not in (page.evaluate("localStorage.getItem('yc-chat')") or "")
