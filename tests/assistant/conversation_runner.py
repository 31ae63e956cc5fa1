"""Playing the conversation suite through any chat endpoint, and the report of a run.

``run_suite(conversations, send, ...)`` plays each conversation with its own sender through
``send(sender, text) -> (mode, messages)`` (the ``/api/chat`` contract) and ``Report`` gives
the pass rates per category, dev vs holdout, the emergency and false-alarm figures and every
failing turn with its reason. Used by ``tests/assistant/test_conversations.py`` and
``benchmarks/bench_conversations.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.assistant.conversation_suite import (
    Conversation,
    ConversationResult,
    Turn,
    TurnResult,
    asked,
    bundle_question,
    check_turn,
    checklist_of,
    find_button,
    payload_slots,
    text_of,
)

# -- playing ---------------------------------------------------------------------------------
Send = Callable[[str, str], tuple[str, list[dict]]]  # (sender, text) -> (mode, messages)


class _Player:
    def __init__(self, conv: Conversation, send: Send, sender: str, want_mode: str | None) -> None:
        self.conv, self.send, self.sender, self.want_mode = conv, send, sender, want_mode
        self.last: list[dict] = []
        self.vars: dict[str, str] = {}
        self.modes: list[str] = []

    def say(self, text: str) -> list[dict]:
        text = self.substitute(text)
        mode, messages = self.send(self.sender, text)
        self.modes.append(mode)
        for m in messages:
            receipt = m.get("receipt") or {}
            if receipt.get("number"):
                self.vars[f"{receipt.get('kind')}_number"] = str(receipt["number"])
        self.last = messages
        return messages

    def substitute(self, value):
        if isinstance(value, str):
            for key, known in self.vars.items():
                value = value.replace("{" + key + "}", known)
            return value
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        return value

    def press(self, pick) -> tuple[str, list[dict]] | tuple[str, None]:
        button = find_button(self.last, pick)
        if button is None:
            return f"[按钮 {pick}]", None
        return f"[按钮 {button.get('title')}]", self.say(button.get("payload", ""))

    def turn(self, index: int, turn: Turn) -> TurnResult:
        self.modes = []
        try:
            sent, messages, reasons = getattr(self, "_" + turn.kind)(turn)
        except Exception as exc:  # a 500, a timeout, a refused connection: the turn fails
            return TurnResult(index, str(turn.value)[:60], "error", [f"请求失败：{type(exc).__name__}: {exc}"])
        if messages is not None:
            reasons = reasons + check_turn(self.substitute(turn.expect), messages)
        mode = self.modes[-1] if self.modes else "none"
        # an emergency is answered by the safety check before either driver ("safety"): fine in both modes
        if self.want_mode and any(m not in (self.want_mode, "safety") for m in self.modes):
            reasons.append(f"有回合不是 {self.want_mode} 模式回答的：{self.modes}")
        reply = text_of(messages or [])[:300]
        return TurnResult(index, sent, mode, reasons, reply)

    def _say(self, turn: Turn):
        return str(turn.value), self.say(str(turn.value)), []

    def _click(self, turn: Turn):
        sent, messages = self.press(turn.value)
        return sent, messages, ([] if messages is not None else [f"上一条回复里没有按钮 {turn.value}"])

    def _walk(self, turn: Turn):
        spec = turn.value
        answers, by = dict(spec.get("answers") or {}), spec.get("by", "words")
        never = set(spec.get("never_asks") or [])
        reasons, previous = [], None
        for _ in range(len(answers) + 3):
            if checklist_of(self.last) is not None:
                return "[一件事问答]", self.last, reasons
            question = bundle_question(self.last)
            if question is None:
                return "[一件事问答]", self.last, reasons + [f"一件事问答中断（上一条：{text_of(self.last)[:60]}）"]
            if question == previous:
                return "[一件事问答]", self.last, reasons + [f"回答没有被理解，又问了 {question}"]
            if question in never:
                reasons.append(f"不应再问 {question}（前面的回答已经让它不必问）")
            if question not in answers:
                return "[一件事问答]", self.last, reasons + [f"问了对话没准备回答的问题 {question}"]
            previous = question
            if by == "buttons":
                button = next(
                    (b for m in self.last for b in m.get("buttons") or []
                     if payload_slots(b.get("payload", "")).get("answer") == answers[question]), None,
                )  # fmt: skip
                if button is None:
                    return "[一件事问答]", self.last, reasons + [f"{question} 没有选项 {answers[question]}"]
                self.say(button["payload"])
            else:
                self.say(str(answers[question]))
        return "[一件事问答]", self.last, reasons + ["一件事问答没有给出清单"]

    def _fill(self, turn: Turn):
        spec = dict(turn.value)
        answers = {k: v for k, v in spec.items() if k not in ("never_asks", "until")}
        never, until = set(spec.get("never_asks") or []), spec.get("until")
        reasons, counts = [], {}
        for _ in range(len(answers) + 3):
            if any(m.get("receipt") for m in self.last):
                return "[填表]", self.last, reasons
            slot = asked(self.last[-1] if self.last else None)
            if until and slot == until:
                return "[填表]", self.last, reasons
            if slot is None:
                return "[填表]", self.last, reasons + [f"表单中断（上一条：{text_of(self.last)[:60]}）"]
            if slot in never:
                reasons.append(f"不应追问 {slot}（第一句已经说过）")
            counts[slot] = counts.get(slot, 0) + 1
            if counts[slot] > 2:
                return "[填表]", self.last, reasons + [f"{slot} 的回答一直没有被接受"]
            if slot not in answers:
                return "[填表]", self.last, reasons + [f"追问了对话没准备的 {slot}"]
            value = str(answers[slot])
            if value.startswith("@"):
                _, messages = self.press(value[1:])
                if messages is None:
                    return "[填表]", self.last, reasons + [f"{slot} 没有按钮 {value[1:]}"]
            else:
                self.say(value)
        return "[填表]", self.last, reasons + ["表单没有完成"]


def http_sender(client) -> Send:
    """``send`` over ``POST /api/chat`` with an httpx (or TestClient) client; waits on 429."""

    def send(sender: str, text: str) -> tuple[str, list[dict]]:
        for _ in range(60):
            resp = client.post("/api/chat", json={"sender": sender, "text": text})
            if resp.status_code != 429:
                break
            time.sleep(1.0)
        if resp.status_code != 200:
            raise RuntimeError(f"HTTP {resp.status_code}: {resp.text[:200]}")
        data = resp.json()
        return data["mode"], data["messages"]

    return send


def run_conversation(conv: Conversation, send: Send, sender: str, want_mode: str | None = None) -> ConversationResult:
    player = _Player(conv, send, sender, want_mode)
    result = ConversationResult(conv)
    for index, turn in enumerate(conv.turns, start=1):
        result.turns.append(player.turn(index, turn))
    return result


def run_suite(
    conversations: list[Conversation], send: Send, prefix: str, want_mode: str | None = None
) -> list[ConversationResult]:
    """Every conversation with its own sender ``web:<prefix>-<id>`` (one at a time)."""
    return [run_conversation(c, send, f"web:{prefix}-{c.id}", want_mode) for c in conversations]


def _rate(passed: int, total: int) -> float:
    return passed / total if total else 1.0


@dataclass
class Report:
    """The figures of one run (``label``: the mode or service it was run against)."""

    label: str
    results: list[ConversationResult]

    def rate(self, *, category: str | None = None, holdout: bool | None = None) -> tuple[float, int, int]:
        chosen = [
            r for r in self.results
            if (category is None or r.conversation.category == category)
            and (holdout is None or r.conversation.holdout == holdout)
        ]  # fmt: skip
        passed = sum(r.ok for r in chosen)
        return _rate(passed, len(chosen)), passed, len(chosen)

    def _turns(self, emergency) -> list[TurnResult]:
        found = []
        for r in self.results:
            for turn, result in zip(r.conversation.turns, r.turns, strict=True):
                spec = turn.expect.get("emergency")
                if (emergency is False and spec is False) or (emergency is True and isinstance(spec, list)):
                    found.append(result)
        return found

    @property
    def emergency(self) -> tuple[float, int, int]:
        turns = self._turns(True)
        passed = sum(t.ok for t in turns)
        return _rate(passed, len(turns)), passed, len(turns)

    @property
    def false_alarms(self) -> tuple[int, int]:
        """(ordinary turns answered as an emergency, ordinary turns that share emergency words)."""
        turns = self._turns(False)
        return sum("误报为紧急情况" in t.reasons for t in turns), len(turns)

    @property
    def modes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            for t in r.turns:
                counts[t.mode] = counts.get(t.mode, 0) + 1
        return counts

    def figures(self) -> str:
        rate, passed, total = self.rate()
        dev, holdout = self.rate(holdout=False), self.rate(holdout=True)
        em, alarms = self.emergency, self.false_alarms
        return (
            f"{self.label}: {passed}/{total} 对话通过 ({rate:.1%}); dev {dev[0]:.1%}, holdout {holdout[0]:.1%}; "
            f"紧急 {em[1]}/{em[2]} ({em[0]:.1%}); 误报 {alarms[0]}/{alarms[1]}"
        )

    def text(self, failures: int = 1000) -> str:
        lines = [f"== 对话测试集 · {self.label} ==", self.figures(), f"回合模式：{self.modes}", "", "按类别（通过/总数，dev | holdout）："]
        categories = sorted({r.conversation.category for r in self.results})
        for category in categories:
            rate, passed, total = self.rate(category=category)
            dev = self.rate(category=category, holdout=False)
            hold = self.rate(category=category, holdout=True)
            lines.append(
                f"  {category:<13} {passed:>3}/{total:<3} {rate:6.1%}   dev {dev[1]}/{dev[2]} | holdout {hold[1]}/{hold[2]}"
            )
        failed = [(r, t) for r in self.results for t in r.turns if not t.ok]
        if failed:
            lines += ["", f"未通过的回合（{len(failed)}）："]
        for r, t in failed[:failures]:
            tag = "holdout " if r.conversation.holdout else ""
            lines.append(f"- [{r.conversation.category}] {tag}{r.conversation.id} 第{t.index}轮 「{t.sent[:40]}」（{t.mode}）")
            lines.extend(f"    · {reason}" for reason in t.reasons)
            if t.reply:
                lines.append(f"    回复：{t.reply[:120].replace(chr(10), ' / ')}")
        return "\n".join(lines)
