"""The conversation suite (issue 12): whole conversations as data, checked turn by turn.

The conversations live in ``tests/assistant/conversations/*.yaml``; each file has a
``category`` and a list of conversations (``id``, optional ``holdout: true``, ``turns``).
A turn is one of

- ``say: 文本`` — what the citizen types (``{booking_number}`` / ``{ticket_number}`` are
  replaced by the number of the last receipt in this conversation);
- ``click: 标题片段`` or ``click: 2`` — press a button of the previous answer (by title or
  1-based position) and send its payload;
- ``walk: {by: words|buttons, answers: {question_id: 回答}}`` — answer a 一件事's pending
  questions until the checklist comes (in words, or by the option whose value is given);
  questions the conversation does not expect, or asked again after an answer, fail;
- ``fill: {slot: 回答, ...}`` — answer a form's questions (``@1`` / ``@标题`` presses a button)
  until a receipt or the form ends; ``never_asks`` lists slots the form must not ask.

and carries ``expect`` (all must hold; see ``check_turn``). Expectations are written from
the guides in ``knowledge/data`` and from what a citizen needs, never from the system's
answers. ``run_conversation`` plays one conversation through ``send(sender, text)``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SUITE_DIR = Path(__file__).resolve().parent / "conversations"
TURN_KINDS = ("say", "click", "walk", "fill")
EXPECT_KEYS = {
    "about", "contains", "not_contains", "asks", "not_asks", "receipt", "emergency",
    "no_wrong_service", "handoff", "checklist", "checklist_has", "checklist_lacks",
    "bundle_asks", "not_bundle_asks", "ticked", "clarify_ok",
}  # fmt: skip
# What a form question asks, read from its wording (checked on the last message of a turn,
# in this order; a confirmation summary asks nothing else).
ASK_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("number", re.compile(r"预约号|工单号")),
    ("confirm", re.compile(r"确认(提交|预约)|核对(预约|要提交)")),  # not "用来核对身份" (the phone)
    ("category", re.compile(r"哪一类|哪类问题|什么类")),
    ("service", re.compile(r"哪个事项|什么事项|哪项业务|预约办理哪")),
    ("hall", re.compile(r"大厅|哪个(办理)?(地点|窗口|网点)|选择.{0,4}(地点|窗口|网点)")),
    ("date", re.compile(r"日期|哪一天|哪天|几号")),
    ("time", re.compile(r"时段|几点|什么时间|上午还是下午")),
    ("name", re.compile(r"姓名|名字")),
    ("phone", re.compile(r"手机号|联系电话|电话号码|联系方式|匿名")),
    ("location", re.compile(r"发生在哪|在哪里|具体地点|地址|什么位置|哪个位置")),
    ("description", re.compile(r"发生了什么|具体说说|什么情况|经过")),
]
FORM_PROMPT = re.compile(r"发生在哪|具体说说|哪一类问题|选择办理大厅|选择办理日期")
EMERGENCY_NUMBER = re.compile(r"(?<![\d\-－])(110|119|120|122|96333|12356)(?![\d元平天个万岁%])")


def norm(text: str) -> str:
    """Compare on NFKC text without spaces: "９：００" == "9:00", "1 个工作日" == "1个工作日"."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


@dataclass
class Turn:
    kind: str
    value: object
    expect: dict
    line: int = 0


@dataclass
class Conversation:
    id: str
    category: str
    turns: list[Turn]
    holdout: bool = False
    file: str = ""


@dataclass
class TurnResult:
    index: int
    sent: str
    mode: str
    reasons: list[str]
    reply: str = ""

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class ConversationResult:
    conversation: Conversation
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.turns)


class SuiteError(ValueError):
    pass


# -- loading ---------------------------------------------------------------------------------
CODE_KEYS = ("about", "checklist_has", "checklist_lacks")


def load_suite(folder: Path = SUITE_DIR, names: dict[str, str] | None = None) -> list[Conversation]:
    """All conversations; with ``names`` (事项名称 -> code, codes -> themselves) expectations may
    name guides and bundles, and every name or code must exist in the knowledge base."""
    conversations, seen = [], set()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        category = data.get("category")
        if not category:
            raise SuiteError(f"{path.name}：缺少 category")
        for raw in data.get("conversations") or []:
            conv = _conversation(raw, category, path.name)
            if conv.id in seen:
                raise SuiteError(f"{path.name}：对话 id 重复：{conv.id}")
            seen.add(conv.id)
            if names is not None:
                _resolve(conv, names)
            conversations.append(conv)
    return conversations


def _resolve(conv: Conversation, names: dict[str, str]) -> None:
    def code(value: str, turn: Turn) -> str:
        if str(value) not in names:
            raise SuiteError(f"{conv.file} {conv.id} 第 {turn.line} 轮：知识库里没有「{value}」")
        return names[str(value)]

    for turn in conv.turns:
        for key in CODE_KEYS:
            if key in turn.expect:
                value = turn.expect[key]
                turn.expect[key] = [code(v, turn) for v in value] if isinstance(value, list) else code(value, turn)
        spec = turn.expect.get("no_wrong_service")
        if isinstance(spec, dict) and spec.get("allowed"):
            spec["allowed"] = [code(v, turn) for v in spec["allowed"]]


def kb_names(entries) -> dict[str, str]:
    """事项名称, 一件事 names and codes of the knowledge base -> codes."""
    names = {}
    for entry in entries:
        names[entry.name] = entry.code
        names[entry.code] = entry.code
    return names


def _conversation(raw: dict, category: str, file: str) -> Conversation:
    cid = raw.get("id")
    if not cid or not raw.get("turns"):
        raise SuiteError(f"{file}：对话缺少 id 或 turns：{raw}")
    turns = []
    for n, t in enumerate(raw["turns"], start=1):
        kinds = [k for k in TURN_KINDS if k in t]
        if len(kinds) != 1:
            raise SuiteError(f"{file} {cid} 第 {n} 轮：应有且只有一个 {'/'.join(TURN_KINDS)}")
        expect = t.get("expect") or {}
        unknown = set(expect) - EXPECT_KEYS
        if unknown:
            raise SuiteError(f"{file} {cid} 第 {n} 轮：未知的期望 {sorted(unknown)}")
        turns.append(Turn(kinds[0], t[kinds[0]], expect, n))
    return Conversation(str(cid), str(raw.get("category") or category), turns, bool(raw.get("holdout")), file)


# -- reading replies -------------------------------------------------------------------------
def text_of(messages: list[dict]) -> str:
    parts = []
    for m in messages:
        parts.append(m.get("text") or "")
        parts.extend(b.get("title", "") for b in m.get("buttons") or [])
    return "\n".join(parts)


def asked(message: dict | None) -> str | None:
    """The form slot a message asks for, from its wording (None: it asks none)."""
    if not message:
        return None
    lines = [norm(line) for line in (message.get("text") or "").splitlines() if line.strip()]
    for line in reversed(lines[-2:]):  # the question closes the message; earlier lines inform
        slot = next((slot for slot, pattern in ASK_PATTERNS if pattern.search(line)), None)
        if slot:
            return slot
    return None


def payload_slots(payload: str) -> dict:
    match = re.match(r"^/(\w+)(\{.*\})?$", payload or "", re.S)
    if not match or not match.group(2):
        return {}
    try:
        slots = json.loads(match.group(2))
    except json.JSONDecodeError:
        return {}
    return slots if isinstance(slots, dict) else {}


def bundle_question(messages: list[dict]) -> str | None:
    """The id of the 一件事 question pending in these replies (from its option buttons)."""
    for m in reversed(messages):
        for b in m.get("buttons") or []:
            slots = payload_slots(b.get("payload", ""))
            if slots.get("question"):
                return str(slots["question"])
    return None


def checklist_of(messages: list[dict]) -> dict | None:
    return next((m["checklist"] for m in reversed(messages) if m.get("checklist")), None)


def find_button(messages: list[dict], pick) -> dict | None:
    buttons = [b for m in messages for b in m.get("buttons") or []]
    if isinstance(pick, int) or (isinstance(pick, str) and pick.isdigit()):
        index = int(pick) - 1
        return buttons[index] if 0 <= index < len(buttons) else None
    return next((b for b in buttons if norm(pick) in norm(b.get("title", ""))), None)


# -- checks ----------------------------------------------------------------------------------
def _alternatives(item) -> list[str]:
    return [str(a) for a in item] if isinstance(item, list) else [str(item)]


def _codes(value) -> set[str]:
    return {str(v) for v in (value if isinstance(value, list) else [value])}


def is_emergency_reply(message: dict | None) -> bool:
    if not message:
        return False
    if (message.get("about") or {}).get("kind") == "emergency":
        return True
    return bool(EMERGENCY_NUMBER.search(message.get("text") or ""))


def check_turn(expect: dict, messages: list[dict]) -> list[str]:
    """Why these replies miss the expectations (empty: they meet them)."""
    if not messages or not any((m.get("text") or "").strip() for m in messages):
        return ["没有回复"]
    reasons: list[str] = []
    text = norm(text_of(messages))
    about = [m.get("about") or {} for m in messages]
    codes = {a.get("code") for a in about if a.get("code")}
    last = messages[-1]
    if expect.get("clarify_ok"):  # a clarify that offers the right entry as a button will do
        offered = {payload_slots(b.get("payload", "")).get("code") for m in messages for b in m.get("buttons") or []}
        codes |= offered - {None}
    if "about" in expect and not codes & _codes(expect["about"]):
        reasons.append(f"about 应为 {sorted(_codes(expect['about']))}，实际 {sorted(codes) or '无'}")
    for item in expect.get("contains") or []:
        if not any(norm(a) in text for a in _alternatives(item)):
            reasons.append(f"缺少「{' / '.join(_alternatives(item))}」")
    for item in expect.get("not_contains") or []:
        if norm(item) in text:
            reasons.append(f"不应出现「{item}」")
    slot = asked(last)
    if "asks" in expect and slot not in _codes(expect["asks"]):
        reasons.append(f"应追问 {sorted(_codes(expect['asks']))}，实际追问 {slot or '无'}")
    if slot and slot in _codes(expect.get("not_asks") or []):
        reasons.append(f"不应追问 {slot}")
    receipts = {(m.get("receipt") or {}).get("kind") for m in messages} - {None}
    if "receipt" in expect:
        want = expect["receipt"]
        if want in (None, "none", False) and receipts:
            reasons.append(f"不应生成回执，实际 {sorted(receipts)}")
        elif want not in (None, "none", False) and want not in receipts:
            reasons.append(f"应有 {want} 回执，实际 {sorted(receipts) or '无'}")
    if "emergency" in expect:
        reasons += _check_emergency(expect["emergency"], messages[0])
    if "no_wrong_service" in expect:
        spec = expect["no_wrong_service"]
        allowed = _codes(spec.get("allowed", [])) if isinstance(spec, dict) else set()
        wrong = {a.get("code") for a in about if a.get("kind") in ("guide", "bundle")} - allowed
        if wrong:
            reasons.append(f"不应给出目录外事项的指南，实际回答了 {sorted(wrong)}")
    if expect.get("handoff") and not any(m.get("handoff") for m in messages):
        reasons.append("应转人工")
    reasons += _check_bundle(expect, messages)
    return reasons


def _check_emergency(spec, first: dict) -> list[str]:
    if spec is False:
        return ["误报为紧急情况"] if is_emergency_reply(first) else []
    reasons = []
    head = norm(first.get("text") or "")
    for group in spec if isinstance(spec, list) else []:
        if not any(norm(a) in head for a in _alternatives(group)):
            reasons.append(f"第一条回复缺少「{' / '.join(_alternatives(group))}」")
    if FORM_PROMPT.search(head):
        reasons.append("紧急情况的第一条回复是表单问题")
    return reasons


def _check_bundle(expect: dict, messages: list[dict]) -> list[str]:
    reasons = []
    pending = bundle_question(messages)
    if "bundle_asks" in expect and pending != expect["bundle_asks"]:
        reasons.append(f"应问一件事问题 {expect['bundle_asks']}，实际 {pending or '无'}")
    if "not_bundle_asks" in expect and pending in _codes(expect["not_bundle_asks"]):
        reasons.append(f"不应再问 {pending}")
    keys = ("checklist", "checklist_has", "checklist_lacks", "ticked")
    if not any(k in expect for k in keys):
        return reasons
    checklist = checklist_of(messages)
    if checklist is None:
        return reasons + ["应给出材料清单"]
    guides = {g.get("code") for g in checklist.get("guides") or []}
    for code in expect.get("checklist_has") or []:
        if code not in guides:
            reasons.append(f"清单应包含事项 {code}")
    for code in expect.get("checklist_lacks") or []:
        if code in guides:
            reasons.append(f"清单不应包含事项 {code}")
    for name in expect.get("ticked") or []:
        materials = checklist.get("materials") or []
        if any(m.get("name") == name and not m.get("done") for m in materials):
            reasons.append(f"材料「{name}」应已划掉")
    return reasons
