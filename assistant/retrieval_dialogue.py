"""The conversation the app can hold on its own, from the matching core and the store alone.

It is what citizens get when the dialogue server (Rasa) is absent, slow or has no model:
service questions are answered, follow-ups ("那要带什么材料?") refer to the service in
context, a clarify offers buttons, a 一件事 is walked through by its buttons, and forms that
need the dialogue server (booking, complaint) say they are temporarily unavailable.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from assistant.dialogue.safety import safety_replies
from assistant.replies import (
    Aspect,
    Reply,
    bundle_detail,
    bundle_intro,
    bundle_question,
    checklist_reply,
    clarify,
    guide_answer,
    guide_detail,
    human_handoff,
    no_match,
    unavailable,
)
from knowledge.checklist import ChecklistError, build_checklist, materials_mentioned
from knowledge.schema import Bundle, ServiceGuide
from knowledge.store import ContentStore, MissingEntryError
from knowledge.unanswered import UnansweredLog
from nlu.normalize import normalize

_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)
ASPECT_WORDS: list[tuple[Aspect, tuple[str, ...]]] = [
    ("materials", ("材料", "带什么", "带啥", "要带", "准备什么", "证件")),
    ("steps", ("流程", "步骤", "怎么办理", "程序")),
    ("time", ("多久", "几天", "时限", "多长时间", "什么时候能")),
    ("fee", ("多少钱", "收费", "费用", "要钱", "花钱")),
    ("place", ("在哪", "哪里办", "地址", "去哪", "窗口", "大厅")),
    ("phone", ("电话", "联系方式", "热线")),
    ("online", ("网上", "网办", "手机上", "线上", "跑几次")),
    ("conditions", ("条件", "能不能办", "符合")),
]
ASPECT_NAMES = {
    "materials": "材料", "steps": "办理流程", "time": "办理时限", "fee": "收费",
    "place": "办理地点", "phone": "咨询电话", "online": "网上办理", "conditions": "办理条件",
}  # fmt: skip
HANDOFF_WORDS = ("转人工", "人工客服", "人工服务", "找人工", "真人")
HAVE_WORDS = ("有了", "已经有", "我有", "带了", "准备好", "办好了", "拿到了", "划掉")
FORM_WORDS = {"预约": "预约", "排号": "预约", "投诉": "投诉和反映问题", "举报": "投诉和反映问题"}


@dataclass
class Context:
    """What a conversation is about: the service or 一件事 in context and the walk-through state."""

    kind: str | None = None
    code: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # materials the citizen already has
    at: float = field(default_factory=time.monotonic)


class ConversationMemory:
    """What each sender is talking about, kept for ``ttl`` seconds (LRU-bounded)."""

    def __init__(self, ttl: float = 1800, max_senders: int = 50_000) -> None:
        self.ttl, self.max_senders = ttl, max_senders
        self._items: OrderedDict[str, Context] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sender: str) -> Context:
        with self._lock:
            ctx = self._items.get(sender)
            if ctx is None or time.monotonic() - ctx.at > self.ttl:
                ctx = Context()
            ctx.at = time.monotonic()
            self._items[sender] = ctx
            self._items.move_to_end(sender)
            while len(self._items) > self.max_senders:
                self._items.popitem(last=False)
            return ctx


def parse_payload(text: str) -> tuple[str, dict] | None:
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    try:
        slots = json.loads(match.group(2)) if match.group(2) else {}
    except json.JSONDecodeError:
        return None
    return match.group(1), slots if isinstance(slots, dict) else {}


def aspect_of(normalized: str) -> Aspect | None:
    for aspect, words in ASPECT_WORDS:
        if any(w in normalized for w in words):
            return aspect
    return None


class RetrievalDialogue:
    def __init__(
        self,
        retriever,
        store: ContentStore,
        memory: ConversationMemory | None = None,
        unanswered: UnansweredLog | None = None,
    ) -> None:
        self.retriever = retriever
        self.store = store
        self.memory = memory or ConversationMemory()
        self.unanswered = unanswered  # misses go to the editors' queue

    def respond(self, sender: str, text: str) -> list[Reply]:
        """One turn of the degraded mode: hand-off and forms are recognised by keywords."""
        urgent = safety_replies(text)
        if urgent:
            return urgent
        ctx = self.memory.get(sender)
        if parse_payload(text) is None:
            norm = normalize(text)
            if any(w in norm for w in HANDOFF_WORDS):
                return [human_handoff()]
            for word, what in FORM_WORDS.items():
                if word in norm:
                    return [unavailable(what)]
        return self.turn(ctx, text, source=sender.split(":", 1)[0] if ":" in sender else "web")

    def turn(self, ctx: Context, text: str, source: str = "web", *, confident_only: bool = False) -> list[Reply]:
        """Answer ``text`` (words or a button payload) about the service in ``ctx``, updating it.

        Shared by the degraded mode and the dialogue server's actions, which keep ``ctx`` in
        slots. ``confident_only``: answer only a clear match (the message looked off-topic).
        """
        parsed = parse_payload(text)
        if parsed:
            return self._payload(ctx, *parsed)
        urgent = safety_replies(text)  # Rasa's actions reach the core here
        if urgent:
            return urgent
        norm = normalize(text)
        if ctx.kind == "bundle" and any(w in norm for w in HAVE_WORDS):
            ticked = self.tick(ctx, text)
            if ticked:
                return ticked
        aspect = aspect_of(norm)
        if aspect == "materials" and ctx.kind == "bundle":  # "要带什么" after a checklist
            return self._bundle_step(ctx, {})
        result = self.retriever.search(text, top_k=3)
        # a short follow-up about the service or 一件事 in context ("那要多少钱?")
        if aspect and ctx.kind and (result.decision != "answer" or len(norm) <= 12):
            entry = self.entry(ctx.code)
            if isinstance(entry, ServiceGuide):
                return [guide_detail(entry, aspect, result.region)]
            if isinstance(entry, Bundle):
                return self._bundle_detail(ctx, entry, aspect)
        if result.decision == "answer":
            return self._show(ctx, result.results[0].kind, result.results[0].code, result.region, aspect)
        if aspect and ctx.kind is None and len(norm) <= 12:  # "要带什么?" with nothing in context
            return [Reply(f"请问您想了解哪个事项的{ASPECT_NAMES[aspect]}？告诉我事项名称就行，比如“护照怎么办”。")]
        if result.decision == "clarify" and not confident_only:
            return [clarify([(h.kind, h.code, h.name) for h in result.results[:3]])]
        if self.unanswered is not None:
            self.unanswered.record_miss(result, source=source)
        return [no_match()]

    def tick(self, ctx: Context, text: str) -> list[Reply] | None:
        """"营业执照我已经有了": tick the material off the checklist in context (None: no match)."""
        replies = self._bundle_step(ctx, {})
        checklist = replies[-1].checklist if replies else None
        if not checklist:
            return None
        names = [m["name"] for m in checklist["materials"] if not m["done"]]
        found = materials_mentioned(text, names)
        if not found:
            return None
        ctx.done = sorted(set(ctx.done) | set(found))
        replies = self._bundle_step(ctx, {})
        replies[-1].text = f"好的，已为您划掉：{'、'.join(found)}。\n" + replies[-1].text
        return replies

    # -- internals -------------------------------------------------------------------------
    def entry(self, code: str | None):
        if not code:
            return None
        try:
            return self.store.get(code).content
        except MissingEntryError:
            return None

    def _show(
        self, ctx: Context, kind: str, code: str, region: str | None = None, aspect: Aspect | None = None
    ):
        entry = self.entry(code)
        if entry is None:
            return [no_match()]
        ctx.kind, ctx.code, ctx.answers, ctx.done = kind, code, {}, []
        if isinstance(entry, Bundle):
            return [bundle_intro(entry)]
        if aspect:
            return [guide_detail(entry, aspect, region)]
        return [guide_answer(entry, region)]

    def _payload(self, ctx: Context, intent: str, slots: dict) -> list[Reply]:
        if intent == "choose" and slots.get("code"):
            return self._show(ctx, str(slots.get("kind", "guide")), str(slots["code"]))
        if intent == "ask_detail" and slots.get("aspect") in dict(ASPECT_WORDS):
            entry = self.entry(slots.get("code") or ctx.code)
            if isinstance(entry, ServiceGuide):
                ctx.kind, ctx.code = "guide", entry.code
                return [guide_detail(entry, slots["aspect"])]
            if isinstance(entry, Bundle) and entry.code == ctx.code:
                return self._bundle_detail(ctx, entry, slots["aspect"])
        if intent == "human_handoff":
            return [human_handoff()]
        if intent in ("book", "cancel_booking", "query_booking"):
            return [unavailable("预约")]
        if intent in ("complain", "query_ticket"):
            return [unavailable("投诉和反映问题")]
        if intent in ("bundle_answer", "start_bundle"):
            return self._bundle_step(ctx, slots)
        return [no_match()]

    def _bundle_step(self, ctx: Context, slots: dict) -> list[Reply]:
        bundle = self.entry(slots.get("code") or ctx.code)
        if not isinstance(bundle, Bundle):
            return [no_match()]
        if ctx.code != bundle.code:
            ctx.answers, ctx.done = {}, []
        ctx.kind, ctx.code = "bundle", bundle.code
        question, answer = slots.get("question"), slots.get("answer")
        if question and answer:
            ctx.answers[str(question)] = str(answer)
        pending = next((q for q in bundle.questions if q.id not in ctx.answers), None)
        if pending is not None and slots.get("question") is not None:
            return [bundle_question(bundle, pending)]
        try:
            return [checklist_reply(build_checklist(bundle, self._guides(bundle), ctx.answers, ctx.done))]
        except ChecklistError as exc:
            ctx.answers, ctx.done = {}, []
            return [Reply(f"抱歉，{exc}。我们从头再来一次。"), bundle_intro(bundle)]

    def _guides(self, bundle: Bundle) -> dict[str, ServiceGuide]:
        guides = {}
        for link in bundle.guides:
            content = self.entry(link.code)
            if isinstance(content, ServiceGuide):
                guides[link.code] = content
        return guides

    def _bundle_detail(self, ctx: Context, bundle: Bundle, aspect: Aspect) -> list[Reply]:
        guides = self._guides(bundle)
        try:  # the citizen's answers so far decide which guides apply
            checklist = build_checklist(bundle, guides, ctx.answers, ctx.done)
        except ChecklistError:
            checklist = build_checklist(bundle, guides, {}, [])
        return [bundle_detail(checklist, guides, aspect)]
