"""The 公众号 channel: replies as text with numbered choices, menu clicks, retries deduplicated,
and the 5-second budget (answer in the callback, or reply ``success`` and send the answer later
through the 客服消息 API)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.logs import get_logger
from assistant.replies import as_text
from connectors.wechat.api import WeChatApi
from connectors.wechat.messages import EventMessage, Message, TextMessage

log = get_logger(__name__)
MENU_FILE = Path(__file__).parent / "data" / "wechat_menu.yaml"
UNSUPPORTED = "目前只能看懂文字消息，请用文字描述您要办的事；也可以回复“人工”或拨打 12345。"


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
        menu = yaml.safe_load(menu_file.read_text(encoding="utf-8"))
        self.welcome: str = menu["welcome"]
        self.menu: dict[str, dict] = menu.get("menu") or {}
        self._choices: dict[str, list[str]] = {}
        self._turns: dict[str, _Turn] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wechat")

    def handle(self, message: Message) -> str | None:
        """The passive reply's text, or None for ``success`` (nothing now, maybe 客服消息 later)."""
        if isinstance(message, EventMessage):
            return self._event(message)
        if not isinstance(message, TextMessage):
            return UNSUPPORTED
        return self._answer(message, message.content.strip())

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
        if text.isdigit() and 1 <= int(text) <= len(choices):
            text = choices[int(text) - 1]
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
        return content

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
            self.api.send_text(openid, fut.result())
        except Exception:
            log.exception("wechat 客服消息 failed")

    def _forget_old(self, ttl: float = 300) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._turns.items() if now - t.at > ttl]:
            del self._turns[key]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.api:
            self.api.close()
