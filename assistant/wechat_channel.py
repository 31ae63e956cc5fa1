"""The 公众号 channel: replies as text with numbered choices, menu clicks, retries deduplicated,
and the 5-second budget (answer in the callback, or reply ``success`` and send the answer later
through the 客服消息 API).

A reply longer than WeChat's limit for one text (2048 bytes) is split: the first part answers
the callback, the rest follow as 客服消息; without the API the passive reply is cut with a
pointer to 12345. A 客服消息 refused because the 48-hour window closed (45015) is dropped
with a log line, not retried.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.logs import get_logger
from assistant.replies import as_text
from connectors.wechat.api import WINDOW_CLOSED, WeChatApi
from connectors.wechat.crypto import WeChatError
from connectors.wechat.messages import MAX_TEXT_BYTES, EventMessage, Message, TextMessage, split_text
from nlu.normalize import clean_text
from nlu.numbers import parse_choice

log = get_logger(__name__)
MENU_FILE = Path(__file__).parent / "data" / "wechat_menu.yaml"
UNSUPPORTED = "目前只能看懂文字消息，请用文字描述您要办的事；也可以回复“人工”或拨打 12345。"
CUT = "\n……（内容较长，未能全部显示；详情请拨打 12345 咨询）"


@dataclass
class _Turn:
    future: Future
    delivered: bool = False
    at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class WeChatChannel:
    def __init__(
        self, dialogue, api: WeChatApi | None, budget: float = 4.5, menu_file: Path = MENU_FILE
    ) -> None:
        self.dialogue, self.api, self.budget = dialogue, api, budget
        self.follow_delay = 1.0  # seconds between the passive reply and the parts after it
        menu = yaml.safe_load(menu_file.read_text(encoding="utf-8"))
        self.welcome: str = menu["welcome"]
        self.menu: dict[str, dict] = menu.get("menu") or {}
        self._choices: dict[str, list[str]] = {}
        self._turns: dict[str, _Turn] = {}
        self._lock = threading.Lock()
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
        if message.event == "CLICK":
            item = self.menu.get(message.event_key or "")
            if item is None:
                return "这个菜单暂时没有内容，请直接用文字告诉我您要办的事。"
            if "reply" in item:
                return item["reply"]
            return self._answer(message, item["payload"])
        return None  # unsubscribe, VIEW, …: nothing to say

    def _answer(self, message: Message, text: str) -> str | None:
        openid = message.from_user
        choices = self._choices.get(openid) or []
        picked = parse_choice(text, len(choices))  # "2", "２", "②" — never int("②")
        if picked is not None:
            text = choices[picked]
        key = message.dedupe_key
        with self._lock:
            self._forget_old()
            turn = self._turns.get(key)
            if turn is None:  # a WeChat retry of a message we are already answering reuses the turn
                turn = _Turn(self._pool.submit(self._run, openid, text))
                self._turns[key] = turn
        try:
            content = turn.future.result(timeout=self.budget)
        except TimeoutError:
            turn.future.add_done_callback(lambda fut: self._deliver_late(openid, turn, fut))
            return None
        with turn.lock:
            if turn.delivered:
                return None
            turn.delivered = True
        return content or None  # nothing to say (a staff member holds the conversation): success

    def _run(self, openid: str, text: str) -> str:
        replies = self.dialogue.respond(f"wechat:{openid}", text)
        content, payloads = as_text(replies)
        self._choices[openid] = payloads
        return content

    def _deliver_late(self, openid: str, turn: _Turn, fut: Future) -> None:
        with turn.lock:
            if turn.delivered:
                return
            turn.delivered = True
        if self.api is None:
            log.warning("wechat answer too late and no API configured; dropped")
            return
        try:
            content = fut.result()
        except Exception:
            log.exception("wechat answer failed")
            return
        if content:  # empty: a staff member holds the conversation, nothing to send
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
        content, payloads = as_text(replies)
        if payloads:
            self._choices[openid] = payloads
        for part in split_text(content, MAX_TEXT_BYTES):  # a refusal (45015: 48 h over) reaches staff
            self.api.send_text(openid, part)

    def _forget_old(self, ttl: float = 300) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._turns.items() if now - t.at > ttl]:
            del self._turns[key]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.api:
            self.api.close()
