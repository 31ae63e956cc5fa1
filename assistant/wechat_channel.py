"""The 公众号 channel: replies as text with numbered choices, menu clicks, retries deduplicated,
and the 5-second budget (answer in the callback, or reply ``success`` and send the answer later
through the 客服消息 API).

A reply longer than WeChat's limit for one text (2048 bytes) is split: the first part answers
the callback, the rest follow as 客服消息; without the API the passive reply is cut with a
pointer to 12345. A 客服消息 refused because the 48-hour window closed (45015) is dropped
with a log line, not retried.

长辈版: a citizen who sends "长辈版" (or "大字版", "长辈模式"; "标准版" to leave) gets every answer
as short pages, what to bring first, with "回复 1：看下一段" (``assistant/elder_text.py``); the
switch is kept per OpenID on the server (``assistant/preferences.py``), the pages of the latest
answer in the shared state like the numbered choices. Emergencies stay whole and first.

WeChat retries a callback it got no answer to (three times, 5 s apart), and with several workers
a retry may reach another one. So what a message's turn needs is in the shared state
(``foundation.shared_state``: this process's, or Redis): the first callback to *claim* the
message's MsgId answers it, the answer is stored when ready, any callback of that message
(retries on any worker) waits for it within its budget, and one *delivery* is claimed, as the
passive reply of a callback or as the 客服消息 of the worker that answered. The numbered choices a
citizen answers with a digit, and the 长辈版 pages still to read, are kept there too.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from pathlib import Path

import yaml

from assistant.elder_text import (
    NEXT_PAGE,
    TURNED_OFF,
    TURNED_ON,
    Page,
    asks_for_more,
    elder_pages,
    render_page,
    switch_command,
)
from assistant.logs import get_logger
from assistant.preferences import ReadingPreferences
from assistant.replies import Button, Reply, as_text
from connectors.wechat.api import WINDOW_CLOSED, WeChatApi
from connectors.wechat.crypto import WeChatError
from connectors.wechat.messages import MAX_TEXT_BYTES, EventMessage, Message, TextMessage, split_text
from foundation.shared_state import LocalState, SharedState
from nlu.normalize import clean_text
from nlu.numbers import parse_choice

log = get_logger(__name__)
MENU_FILE = Path(__file__).parent / "data" / "wechat_menu.yaml"
UNSUPPORTED = "目前只能看懂文字消息，请用文字描述您要办的事；也可以回复“人工”或拨打 12345。"
CUT = "\n……（内容较长，未能全部显示；详情请拨打 12345 咨询）"
LAST_PAGE = "这条回答已经看完了。您还想办什么事，直接告诉我就行；也可以回复“人工”或拨打 12345。"
TURN_TTL = 300  # seconds a message's claim, answer and delivery are kept (WeChat retries within 15 s)
CHOICES_TTL = 48 * 3600  # choices and pages: as long as WeChat lets us answer at all
POLL = 0.05  # seconds between looks for an answer another worker is preparing
_CHOICES, _PAGES = "wechat:choices:", "wechat:pages:"


class WeChatChannel:
    def __init__(
        self,
        dialogue,
        api: WeChatApi | None,
        budget: float = 4.5,
        menu_file: Path = MENU_FILE,
        preferences: ReadingPreferences | None = None,
        state: SharedState | None = None,
    ) -> None:
        self.dialogue, self.api, self.budget, self.preferences = dialogue, api, budget, preferences
        self.state = state or LocalState()
        self.follow_delay = 1.0  # seconds between the passive reply and the parts after it
        menu = yaml.safe_load(menu_file.read_text(encoding="utf-8"))
        self.welcome: str = menu["welcome"]
        self.menu: dict[str, dict] = menu.get("menu") or {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wechat")

    def handle(self, message: Message) -> str | None:
        """The passive reply's text (within WeChat's limit), or None for ``success`` (nothing
        now, maybe 客服消息 later)."""
        if isinstance(message, EventMessage):
            content = self._event(message)
        elif not isinstance(message, TextMessage):
            content = UNSUPPORTED
        else:
            content = self._answer(message, clean_text(message.content).strip())
        if content is None:
            return None
        first, *rest = split_text(content, MAX_TEXT_BYTES)
        if not rest:
            return first
        if self.api is None:  # no 客服消息: one capped reply
            return split_text(content, MAX_TEXT_BYTES - len(CUT.encode("utf-8")))[0] + CUT
        self._pool.submit(self._send_all, message.from_user, rest, self.follow_delay)
        return first

    def _event(self, message: EventMessage) -> str | None:
        if message.event == "subscribe":
            return self.welcome
        if message.event == "unsubscribe" and self.preferences is not None:
            self.preferences.forget(f"wechat:{message.from_user}")  # gone: keep nothing of theirs
            return None
        if message.event == "CLICK":
            item = self.menu.get(message.event_key or "")
            if item is None:
                return "这个菜单暂时没有内容，请直接用文字告诉我您要办的事。"
            if "reply" in item:
                return item["reply"]
            if "elder" in item and self.preferences is not None:
                return self._switch(message.from_user, bool(item["elder"]))
            return self._answer(message, item["payload"])
        return None  # VIEW, …: nothing to say

    def _switch(self, openid: str, on: bool) -> str:
        self.preferences.set_elder(f"wechat:{openid}", on)
        self.state.delete(_PAGES + openid)
        self.state.delete(_CHOICES + openid)
        return TURNED_ON if on else TURNED_OFF

    def elder(self, openid: str) -> bool:
        return self.preferences is not None and self.preferences.elder(f"wechat:{openid}")

    def _answer(self, message: Message, text: str) -> str | None:
        openid = message.from_user
        switch = switch_command(text) if self.preferences is not None else None
        if switch is not None:
            return self._switch(openid, switch)
        choices = self._choices(openid)
        picked = parse_choice(text, len(choices))  # "2", "２", "②" — never int("②")
        if picked is not None:
            text = choices[picked]
        elif asks_for_more(text) and self._pages(openid) is not None:  # "下一段", "继续" as well as "1"
            text = NEXT_PAGE
        key = "wechat:msg:" + message.dedupe_key
        if self.state.add(key, "", TURN_TTL):  # the first callback of this message, on any worker
            future = self._pool.submit(self._run, openid, text)
            future.add_done_callback(lambda fut: self._answered(key, fut))
            done, _ = wait([future], timeout=self.budget)
            content = _result(future) if done else None
        else:  # a retry: the answer comes from whoever claimed the message, maybe another worker
            future = None
            content = self._wait_for(key, self.budget)
        if content is None:
            if future is not None:  # too slow for this callback: sent as 客服消息 when ready
                future.add_done_callback(lambda fut: self._deliver_late(key, openid, fut))
            return None
        if not self._claim_delivery(key):
            return None
        return content or None  # nothing to say (a staff member holds the conversation): success

    def _run(self, openid: str, text: str) -> str:
        if text == NEXT_PAGE:
            return self._next_page(openid)
        return self._render(openid, self.dialogue.respond(f"wechat:{openid}", text))

    def _render(self, openid: str, replies: list[Reply]) -> str:
        """The replies as this citizen reads them (长辈版: the first page); remembers the numbers."""
        if replies and self.elder(openid):
            pages = elder_pages(replies)
            self._keep_pages(openid, pages, 0)
            content, payloads = render_page(pages, 0)
        else:
            self.state.delete(_PAGES + openid)
            content, payloads = as_text(replies)
        self._keep_choices(openid, payloads)  # also when there are none: a stale "1" must not act
        return content

    def _next_page(self, openid: str) -> str:
        pages, shown = self._pages(openid) or ([], 0)
        if shown + 1 >= len(pages):
            return LAST_PAGE
        self._keep_pages(openid, pages, shown + 1)
        content, payloads = render_page(pages, shown + 1)
        self._keep_choices(openid, payloads)
        return content

    # -- what the next message needs, in the shared state (any worker may get it) ---------------
    def _choices(self, openid: str) -> list[str]:
        raw = self.state.get(_CHOICES + openid)
        try:
            return [str(p) for p in json.loads(raw)] if raw else []
        except (ValueError, TypeError):
            return []

    def _keep_choices(self, openid: str, payloads: list[str]) -> None:
        self.state.put(_CHOICES + openid, json.dumps(payloads, ensure_ascii=False), CHOICES_TTL)

    def _pages(self, openid: str) -> tuple[list[Page], int] | None:
        """长辈版: the latest answer's pages and the page shown (None: no answer in pages)."""
        raw = self.state.get(_PAGES + openid)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            pages = [
                Page(p["lines"], [Button(**b) for b in p["buttons"]], p.get("topic", ""))
                for p in data["pages"]
            ]
            return pages, int(data["shown"])
        except (ValueError, TypeError, KeyError):
            return None

    def _keep_pages(self, openid: str, pages: list[Page], shown: int) -> None:
        data = {"pages": [asdict(p) for p in pages], "shown": shown}
        self.state.put(_PAGES + openid, json.dumps(data, ensure_ascii=False), CHOICES_TTL)

    # -- one message, one answer, one delivery -------------------------------------------------
    def _answered(self, key: str, fut: Future) -> None:
        self.state.put(key + ":answer", _result(fut), TURN_TTL)

    def _wait_for(self, key: str, budget: float) -> str | None:
        deadline = time.monotonic() + budget
        while True:
            content = self.state.get(key + ":answer")
            if content is not None or time.monotonic() >= deadline:
                return content
            time.sleep(POLL)

    def _claim_delivery(self, key: str) -> bool:
        """One delivery per message: the passive reply of some callback or one 客服消息."""
        return self.state.add(key + ":delivered", "", TURN_TTL)

    def _deliver_late(self, key: str, openid: str, fut: Future) -> None:
        content = _result(fut)
        if not content or not self._claim_delivery(key):
            return  # empty: failed, or a staff member holds the conversation; or already delivered
        if self.api is None:
            log.warning("wechat answer too late and no API configured; dropped")
            return
        self._send_all(openid, split_text(content, MAX_TEXT_BYTES))

    def _send_all(self, openid: str, parts: list[str], delay: float = 0.0) -> None:
        """客服消息 in order; stop at the first refusal (the rest would be refused the same way).
        ``delay`` lets the passive reply (the first part) reach the citizen first."""
        time.sleep(delay)
        for part in parts:
            try:
                self.api.send_text(openid, part)
            except WeChatError as exc:
                if exc.code == WINDOW_CLOSED:
                    log.info("wechat 48-hour window closed; answer dropped", errcode=exc.code)
                else:
                    log.warning("wechat 客服消息 refused", errcode=exc.code)
                return
            except Exception:
                log.exception("wechat 客服消息 failed")
                return

    def push(self, openid: str, replies: list) -> None:
        """客服消息 outside a callback (a staff member's reply, a hand-off notice); its numbered
        choices answer the citizen's next digit like any reply's."""
        if self.api is None:
            raise RuntimeError("no WeChat API configured")
        content = self._render(openid, replies)  # a notice without choices clears the old ones
        for part in split_text(content, MAX_TEXT_BYTES):  # a refusal (45015: 48 h over) reaches staff
            self.api.send_text(openid, part)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.api:
            self.api.close()


def _result(fut: Future) -> str:
    """The answer's text; a failed answer is nothing to send (its retries reply ``success``)."""
    try:
        return fut.result()
    except Exception:
        log.exception("wechat answer failed")
        return ""
