"""``yichuang chat``: talk to the running assistant from a terminal, as a citizen would.

It speaks to ``POST /api/chat`` of the service ``make run`` started, like the web page and
WeChat do: the same replies, with buttons shown as numbered choices ("回复 1/2/3").
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

import httpx

from assistant.replies import Reply, as_text

QUIT = {"/quit", "/exit", ":q"}
DEGRADED = "（对话服务暂时不可用：现在只能查办事指南，预约和反映问题稍后再试）"


class ChatClient:
    def __init__(self, url: str, sender: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.sender = sender or f"cli:{uuid.uuid4().hex[:12]}"
        self.choices: list[str] = []
        self._http = httpx.Client(timeout=timeout, trust_env=False)

    def turn(self, text: str) -> tuple[str, str]:
        """(mode, text to print) for what was typed; a number picks one of the last choices."""
        text = text.strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(self.choices):  # not "²"
            text = self.choices[int(text) - 1]
        try:
            resp = self._http.post(f"{self.url}/api/chat", json={"sender": self.sender, "text": text})
        except httpx.HTTPError:
            return "unavailable", f"连不上助手服务（{self.url}）。请先在另一个终端运行 make run。"
        if resp.status_code == 429:
            return "unavailable", "发得太快了，请稍等几秒再试。"
        if resp.status_code != 200:
            detail = resp.json().get("detail") if resp.headers.get("content-type", "").startswith("application/json") else ""
            return "unavailable", f"服务没有接受这句话（{resp.status_code}）：{detail or '请换个说法'}"
        data = resp.json()
        replies = [Reply.from_dict(m) for m in data["messages"]]
        text_out, self.choices = as_text(replies)
        return data["mode"], text_out or "抱歉，我没有听明白，您可以换个说法，或拨打 12345。"

    def close(self) -> None:
        self._http.close()


def run(url: str, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> int:
    client = ChatClient(url)
    write(f"一窗导办（{url}）：请说说您想办什么事。回复数字选择选项，输入 /quit 或按 Ctrl-D 结束。")
    degraded = False
    try:
        while True:
            try:
                text = read("您：").strip()
            except (EOFError, KeyboardInterrupt):
                write("")
                return 0
            if text in QUIT:
                return 0
            if not text:
                continue
            mode, answer = client.turn(text)
            if mode == "retrieval" and not degraded:  # said once, when it starts
                write(DEGRADED)
            degraded = mode == "retrieval"
            write("助手：" + answer.replace("\n", "\n　　　"))
    finally:
        client.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
