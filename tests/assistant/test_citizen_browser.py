"""The citizen page as a citizen on a 390×844 phone uses it: accessibility (axe-core), 长辈版,
the human hand-off, reloads and readable answers. Screenshots go to ``test-artifacts/citizen/``."""

from __future__ import annotations

import pytest

from connectors.wechat.messages import parse_xml
from tests.assistant.test_wechat import APPID, TOKEN, _query, _text
from tests.axe import assert_accessible, serious_violations
from tests.browser import ARTIFACTS, PHONE, ask, browser_fixture, login, open_page, serve_site
from tests.connectors.fakes import FakeWeChatApi, serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = ARTIFACTS / "citizen"
TIMEOUT = 30_000  # a loaded 2-core machine: waits are for events, this only bounds them

browser = browser_fixture(SHOTS)


@pytest.fixture(scope="module")
def wechat_api():
    fake = FakeWeChatApi()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def site(real_retriever, sample_entries, tmp_path_factory, wechat_api):
    """The app with staff on duty around the clock and the 公众号 channel on the fake WeChat API."""
    with serve_site(
        real_retriever, sample_entries, tmp_path_factory.mktemp("citizen-web"), accounts=("hotline1",),
        staff_hours="00:00-24:00", staff_days="every_day", wechat_token=TOKEN, wechat_appid=APPID,
        wechat_secret="s", wechat_api_base=wechat_api.url,
    ) as s:  # fmt: skip
        yield s


@pytest.fixture
def page(browser):
    with open_page(browser, PHONE, timeout=TIMEOUT) as page:
        yield page


@pytest.fixture
def staff_page(browser, site):
    """A second browser context: the staff member at a desk, logged in on /staff."""
    with open_page(browser, {"width": 1100, "height": 900}, timeout=TIMEOUT) as page:
        page.goto(site[0] + "/staff")
        login(page, "hotline1")
        page.get_by_role("heading", name="转人工会话").wait_for()
        yield page


def shot(page, name: str) -> None:
    """What the citizen sees at once on the 390×844 screen (the sticky input bar where it really
    is), and the whole page beside it as ``name-full.png``."""
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)


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
    shot(page, "standard-0-start")
    page.get_by_role("button", name="长辈版").click()
    assert_accessible(page, "citizen page (长辈版, empty)")
    shot(page, "elder-0-start")
    page.get_by_role("button", name="长辈版").click()
    ask(page, "驾驶证丢了怎么补办")
    assert_accessible(page, "citizen page (answered)")
    kinds = (
        page.locator("#turns > li.msg.bot")
        .last.locator("li.material")
        .evaluate_all("items => items.map((i) => i.classList.contains('exempt'))")
    )
    assert True in kinds and False in kinds and kinds == sorted(kinds), (
        kinds
    )  # what to bring first, 免提交 after
    shot(page, "standard-0-answer")
    page.get_by_role("button", name="长辈版").click()
    shot(page, "elder-0-answer")
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
    at_end = page.evaluate(
        COVERED.replace("if (last.getBoundingClientRect().height > bar.top) return null;", "")
    )
    assert at_end and all(c["bottom"] <= c["bar"] + 0.5 for c in at_end), at_end
    footer = page.evaluate(FOOTER)  # the operator's name and the privacy notice, last on the page
    assert footer["bottom"] <= footer["bar"] + 0.5, footer


FOOTER = """() => {
  const bar = document.getElementById("say").getBoundingClientRect();
  const shown = (e) => e.offsetParent && !e.closest("details:not([open]) > :not(summary)"); // a closed notice's text is not shown
  const parts = [...document.querySelectorAll("footer.site p, footer.site summary")].filter(shown);
  return { bar: bar.top, bottom: Math.max(...parts.map((e) => e.getBoundingClientRect().bottom)) };
}"""


def bot_text(page) -> str:
    return page.locator("#turns > li.msg.bot").last.locator(".bubble").inner_text()


@pytest.mark.parametrize("mode", ["standard", "elder", "polling"])
def test_a_citizen_asks_for_a_person_who_answers_then_hands_back(page, staff_page, site, mode):
    """Standard and 长辈版 over server-sent events; ``polling``: the fallback where those fail."""
    url, _ = site
    page.goto(url + ("/?poll" if mode == "polling" else "/"))
    if mode == "elder":
        page.get_by_role("button", name="长辈版").click()
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page
    ask(page, "转人工")
    assert "已为您转接人工客服" in bot_text(page)
    banner = page.locator("#handoff")
    banner.get_by_text("正在为您转接人工客服").wait_for()
    assert banner.get_by_role("link", name="拨打 12345").get_attribute("href") == "tel:12345"
    assert_nothing_covered(page)
    shot(page, f"handoff-{mode}-1-waiting")

    card = staff_page.locator("article.inbox-chat").filter(has_text="市民要求转人工").last
    card.get_by_role("button", name="接手").click()
    card.get_by_label("回复市民").fill("您好，我是人工客服小李，请问有什么可以帮您？")
    card.get_by_role("button", name="发送回复").click()
    staff_page.screenshot(path=str(SHOTS / f"handoff-{mode}-2-staff-replied.png"), full_page=True)

    staff_line = page.locator("#turns > li.msg.staff").last
    staff_line.get_by_text("我是人工客服小李").wait_for()  # pushed: no reload
    assert page.evaluate("window.sameDocument === true")
    banner.get_by_text("正在为您服务").wait_for()
    stale = page.locator("#turns").get_by_role("button", name="取消转人工")
    assert all(
        b.is_disabled() or not b.is_visible() for b in stale.all()
    )  # it would end the person's help now
    assert_accessible(page, f"citizen page ({mode}, a staff member's reply)")
    page.get_by_label("输入您的问题").fill("我想问问护照怎么办")
    page.keyboard.press("Enter")
    page.locator("#turns > li.msg.info").last.get_by_text("已发给人工客服").wait_for()  # the bot is quiet
    card.locator(".transcript").get_by_text("我想问问护照怎么办").wait_for()
    shot(page, f"handoff-{mode}-3-staff-reply-seen")

    card.get_by_role("button", name="交回助手").click()
    page.locator("#turns > li.msg.note").last.get_by_text("结束本次服务").wait_for()
    assert banner.is_hidden()
    ask(page, "驾驶证丢了怎么补办")
    assert bot_text(page).startswith("【机动车驾驶证遗失补证】")
    assert page.evaluate("window.sameDocument === true")
    assert_nothing_covered(page)
    shot(page, f"handoff-{mode}-4-bot-again")


@pytest.mark.parametrize("mode", ["standard", "polling"])
def test_the_closing_notice_written_just_after_the_close_still_reaches_the_page(page, staff_page, site, mode, monkeypatch):
    """The chat is closed first and its notice written after: a page that stopped listening at
    the close missed "结束本次服务" (CI saw it under load; here the notice is held back 2.5 s)."""
    import time

    url, app = site
    relay = app.state.services.relay
    notice = relay._notice

    def late(chat, reply):
        time.sleep(2.5)
        notice(chat, reply)

    monkeypatch.setattr(relay, "_notice", late)
    page.goto(url + ("/?poll" if mode == "polling" else "/"))
    ask(page, "转人工")
    card = staff_page.locator("article.inbox-chat").filter(has_text="市民要求转人工").last
    card.get_by_role("button", name="接手").click()
    page.locator("#handoff").get_by_text("正在为您服务").wait_for()
    card.get_by_role("button", name="交回助手").click()
    page.locator("#turns > li.msg.note").last.get_by_text("结束本次服务").wait_for()
    assert page.locator("#handoff").is_hidden()


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_a_wechat_citizen_gets_the_staff_reply_as_a_customer_service_message(
    staff_page, site, wechat_api, mode
):
    import httpx

    url, _ = site
    user = f"oBrowser{mode}"

    def wechat(text: str, msg_id: str) -> str:
        body = _text(text, msg_id=f"{mode}{msg_id}", user=user)
        return httpx.post(f"{url}/wechat", params=_query(), content=body.encode(), timeout=10).text

    if mode == "elder":
        assert "已为您换成长辈版" in wechat("长辈版", "9000")
    assert "已为您转接人工客服" in wechat("转人工", "9001")
    card = staff_page.locator("article.inbox-chat").filter(has_text="微信").last
    card.get_by_role("button", name="接手").click()
    card.get_by_label("回复市民").fill("您好，微信上的市民，请讲。")
    card.get_by_role("button", name="发送回复").click()
    card.get_by_label("回复市民").wait_for()
    assert wechat("我的居住证到期了", "9002") == "success"  # the bot stays quiet
    card.locator(".transcript").get_by_text("我的居住证到期了").wait_for()
    assert wechat("1", "9003") == "success"  # a digit is for the person, not the old 取消转人工
    card.locator(".transcript").get_by_text("1", exact=True).wait_for()
    card.get_by_role("button", name="交回助手").click()
    card.wait_for(state="detached")
    sent = [m["text"]["content"] for m in wechat_api.sent if m["touser"] == user]
    assert "已接入" in sent[0] and sent[1] == "您好，微信上的市民，请讲。" and "结束本次服务" in sent[2]
    answer = parse_xml(wechat("驾驶证丢了怎么补办", "9004"))["Content"]
    assert "机动车驾驶证" in answer
    if mode == "elder":
        assert answer.splitlines()[1] == "需要带的材料：" and "回复 1：看下一段" in answer


MEASURE = """() => {
  const visible = (e) => e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden" && !e.closest(".sr-only");
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const own = (e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  // every element that shows text of its own: answers, checklists, badges, banner, footer, buttons
  const text = [...document.body.querySelectorAll("*")].filter((e) => own(e) && visible(e) && e.tagName !== "TEXTAREA");
  // a link inside a sentence (a web address is a button in 长辈版: measured)
  const inline = (e) => e.tagName === "A" && !e.classList.contains("button") && !(e.classList.contains("url") && document.documentElement.classList.contains("elder"));
  const targets = [...document.querySelectorAll("button, a, textarea, input, select, summary")]
    .filter(visible).filter((e) => !inline(e));
  const box = (e) => e.getBoundingClientRect();
  const what = (e) => (e.textContent || e.id || e.tagName).trim().slice(0, 16);
  return {
    root: px(document.documentElement),
    smallestText: Math.min(...text.map(px)),
    smallTexts: text.filter((e) => px(e) < 18).map((e) => ({ what: what(e), px: px(e) })).slice(0, 10),
    lineHeight: Math.min(...text.map((e) => parseFloat(getComputedStyle(e).lineHeight) / px(e)).filter((r) => r > 0)),
    small: targets.map((e) => ({ what: what(e), w: box(e).width, h: box(e).height })).filter((t) => t.h < 48 || t.w < 48),
    inlineLinks: [...document.querySelectorAll("#turns a")].filter(visible).filter(inline).map((e) => ({ what: what(e), h: box(e).height })),
  };
}"""


def tap(page, button) -> None:
    """Press a reply's button and wait for the answer; focus must land on the reply, not <body>."""
    before = page.locator("#turns > li.msg.bot").count()
    button.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#turns > li.msg.bot').length > n && !document.querySelector('#log[aria-busy]')",
        arg=before,
    )
    assert page.evaluate("document.activeElement.closest('#turns > li') !== null")  # focus went to the reply


def walk_to_checklist(page) -> None:
    """The 一件事 from the citizen's words to its checklist, answering each question with its first choice."""
    ask(page, "我想开个小饭馆，要办哪些手续")
    for _ in range(6):  # checkboxes, buttons, the rating row
        last = page.locator("#turns > li.msg.bot").last
        if last.locator(".checklist").count():
            return
        tap(page, last.locator(".choices button").first)
    assert page.locator("#turns > li.msg.bot").last.locator(".checklist").count()


def test_elder_mode_has_large_text_and_targets_and_is_remembered(page, site):
    url, _ = site
    page.goto(url + "/")
    normal = page.evaluate(MEASURE)
    assert normal["root"] == 16  # the browser's own setting: nothing fixed in px
    page.get_by_role("button", name="长辈版").click()
    assert page.get_by_role("button", name="长辈版").get_attribute("aria-pressed") == "true"
    walk_to_checklist(page)
    spent = page.locator("#turns > li[data-answered] .choices")
    assert spent.count() >= 2 and not any(g.is_visible() for g in spent.all())  # 长辈版: answered choices go
    checklist = page.locator("#turns .checklist").last
    assert "备好一样，勾一样" in checklist.locator("fieldset legend").inner_text()
    assert not checklist.locator(
        "input[type=checkbox]:disabled"
    ).count()  # 免提交: listed apart, nothing to tick
    assert "免提交" in checklist.locator(".exempt-list").inner_text()
    elder = page.evaluate(MEASURE)
    assert elder["smallestText"] >= 18, elder["smallTexts"]
    assert elder["lineHeight"] >= 1.3, elder
    assert not elder["small"], elder["small"]  # every button, field, checkbox and web address ≥ 48 px
    url = page.locator("#turns .checklist a.url").last
    assert url.inner_text() == "🌐 打开网页" and url.get_attribute("href").startswith("https://")
    assert_nothing_covered(page)
    shot(page, "elder-1-checklist-end")
    page.locator("#turns .checklist h3").evaluate("h => h.scrollIntoView()")
    shot(page, "elder-1-checklist")
    page.reload()
    page.locator("#turns .checklist").wait_for()
    assert page.evaluate("document.documentElement.classList.contains('elder')")  # remembered


def test_a_checklist_in_standard_mode_is_clear_of_the_input_bar(page, site):
    url, _ = site
    page.goto(url + "/")
    walk_to_checklist(page)
    assert_nothing_covered(page)
    assert_accessible(page, "citizen page (a 一件事 checklist)")
    shot(page, "standard-1-checklist-end")
    page.locator("#turns .checklist h3").evaluate("h => h.scrollIntoView()")
    shot(page, "standard-1-checklist")


URGENT = """() => {
  const bar = document.getElementById("say").getBoundingClientRect();
  const item = [...document.querySelectorAll("#turns > li")].pop();
  const first = item.querySelector("a, button");
  const r = first.getBoundingClientRect();
  return { urgent: item.classList.contains("urgent"), first: first.getAttribute("href"), text: first.textContent,
    top: r.top, bottom: r.bottom, height: r.height, bar: bar.top, font: parseFloat(getComputedStyle(first).fontSize),
    lead: item.querySelector(".bubble p").textContent, rated: item.querySelector(".rate") !== null };
}"""


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_an_emergency_comes_first_with_its_call_button_on_screen(page, site, mode):
    """In the middle of a 一件事 a citizen reports a fire: the answer's first control is 拨打 119,
    on the screen without scrolling (above the input bar), large in 长辈版, with no rating row."""
    url, _ = site
    page.goto(url + "/")
    if mode == "elder":
        page.get_by_role("button", name="长辈版").click()
    ask(page, "我想开个小饭馆，要办哪些手续")
    ask(page, "楼下着火了，好大的烟")
    found = page.evaluate(URGENT)
    assert found["urgent"] and found["first"] == "tel:119" and found["lead"].startswith("⚠️"), found
    assert 0 <= found["top"] and found["bottom"] <= found["bar"], found  # seen at once, not under the bar
    assert not found["rated"]
    if mode == "elder":
        assert found["height"] >= 48 and found["font"] >= 18, found
    shot(page, f"{mode}-2-emergency")  # as it arrives
    assert_nothing_covered(page)
    assert_accessible(page, f"citizen page ({mode}, an emergency)")
    page.reload()  # kept as an emergency across a reload
    page.locator("#turns > li.urgent a.call[href='tel:119']").wait_for()


def test_a_reload_keeps_the_conversation_and_receipt_without_raw_phone_numbers(page, site):
    """A real booking through the page (the app runs the booking form itself without the dialogue
    server); the page stores what it showed, masked, and a reload brings back the receipt card."""
    url, _ = site
    page.goto(url + "/")
    ask(page, "驾驶证丢了怎么补办")
    ask(page, "我要预约办结婚登记")
    for _ in range(3):  # hall, day, time: the first choice each time
        tap(page, page.locator("#turns > li.msg.bot").last.locator(".choices button").first)
    ask(page, "张三")
    ask(page, "13812345678")
    tap(page, page.locator("#turns > li.msg.bot").last.get_by_role("button", name="确认预约"))
    receipt = page.locator("#turns .receipt .number")
    receipt.wait_for()
    number = receipt.inner_text()
    assert number.startswith("YY")
    assert_nothing_covered(page)
    shot(page, "reload-0-booked")
    stored = page.evaluate("localStorage.getItem('yc-chat')")
    assert "13812345678" not in stored and "138****5678" in stored
    page.reload()
    page.locator("#turns .receipt").get_by_text(number).wait_for()
    spent = page.locator("#turns > li[data-answered]")
    assert spent.count() >= 3 and not spent.locator(".choices button:enabled").count()  # choices stay spent
    assert page.locator("#turns > li.msg.user").first.inner_text().endswith("驾驶证丢了怎么补办")
    assert page.locator("#turns .bubble").get_by_text("机动车驾驶证遗失补证").count()
    assert page.locator("#starters").is_hidden()
    shot(page, "reload-1-kept")
    page.get_by_role("button", name="新对话").click()
    assert page.locator("#turns > li").count() == 1 and page.locator("#starters").is_visible()
    assert number not in (page.evaluate("localStorage.getItem('yc-chat')") or "")
