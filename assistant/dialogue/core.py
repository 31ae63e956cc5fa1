"""What a message means in context, decided in one place for both drivers (Rasa's actions and the app).

In order: a button's payload; an emergency; the answer to the pending 一件事 question; an item
ticked off; small talk; a correction ("不是补办，是到期了要换"); a return to an earlier topic
("身份证那个呢"); a follow-up about the entry in focus, answered from the whole guide; else a
new question for the search. ``intent`` is Rasa's reading of the message when Rasa drives; it
is a hint only (a "deny" that asks "不收钱吧" is a follow-up, not a goodbye).
"""

from __future__ import annotations

import json
import re
import threading
import time
from functools import cache

from assistant.dialogue.context import Context
from assistant.dialogue.guide_answers import (
    HYPOTHETICAL,
    PROVISIONAL,
    answer_followup,
    best_faq,
    common_words,
    content_words,
    guide_lines,
    named_materials,
    specific_lines,
)
from assistant.dialogue.payloads import parse_payload
from assistant.dialogue.safety import safety_replies
from assistant.dialogue.small_talk import ANYTHING_ELSE, small_talk
from assistant.dialogue.walkthrough import Walkthrough
from assistant.replies import (
    Reply,
    bundle_intro,
    bundle_question,
    clarify,
    guide_answer,
    human_handoff,
    no_match,
    not_covered,
    unavailable,
)
from knowledge.schema import Bundle, ServiceGuide
from knowledge.store import ContentStore, MissingEntryError
from knowledge.unanswered import UnansweredLog
from nlu.clauses import is_question
from nlu.normalize import normalize
from nlu.phrasebook import Phrasebook, default_phrasebook

_CORRECTION = re.compile(
    r"^(?:哦|噢|啊|呃|嗯|唉|哎)?(?:不是|不对|不是说|搞错了|说错了)(?P<wrong>.{0,12}?)(?:而)?是(?P<right>.{2,})$|^我(?:说|问|指)的是(?P<only>.{2,})$"
    r"|^(?:哦|噢|啊|呃|嗯|唉|哎)?(?:我|是我)?(?:不对|搞错了|说错了|弄错了)(?P<restated>.{4,})$"
)
_RETURN = re.compile(
    r"^(?:那|还有|回到|再说说|再问下|再问一下|说回)?(?P<what>.{1,12}?)(?:的)?那个(?:事|事情|呢|吧)?(?P<rest>.*)$"
)
_BACK_TO = re.compile(r"^(?:还是|那|那就|咱们)?(?:说回|回到|再回到|回头说|再说回|接着说)(?:到)?(?P<what>.{2,})$")
_THIS_ONE = re.compile(r"(?:^|[\s，,。！？!?])(?:这个|这事|这事儿|这手续|这个手续|它|这一套|这1套|这套|这些|这一摊|这1摊)")  # not 那个, often a filler
_WHEN_SAID = re.compile(r"[\d一二三四五六七八九十]{1,2}月份?|[\d一二三四五六七八九十]{1,2}[日号]|[今明去前后]年|[上下这本]个?月|年底|年初|月底|月初")
_THIS_THING = re.compile(r"这(?:辆|套|张|本|家|间)?([车房证卡照店铺船])")  # "这车", "这套房": the thing in focus
_STEM = re.compile(r"(申领|申请|办理|登记|核发|认定|补领|换领|注册|签发|开具)$")  # a service name's action
_PREVIOUS = ("刚才那个", "上一个", "前面那个", "之前那个", "刚刚那个", "刚才的")
_QUESTION_END = re.compile(r"(不|没|吧|吗|呢|么|没有)$")
_EITHER_OR = re.compile(r"[^还是]{2}还是[^还是]{2}")  # "纸的还是电子的"
_ONLY_X_NE = re.compile(r"^(?:那|还有|那么)?.{2,10}呢$")
_REQUIREMENT = re.compile(r"^(?:那|那么)?(?:是不是|是否|要不要|需不需要|用不用|还要|还得|得先|要先|必须)")
SHORT = 14
LIKELY_LEAD = "您问的应该是这个事项（如果不是，请换个说法再问，或转人工）："
COMMON_WORDS_TTL = 600.0  # seconds: the words most guides share change slowly, one publish at a time
_ABOUT_IT = ("hours", "place", "phone", "fee", "time", "validity", "deadline", "attend")  # of the entry in focus
_PLAIN_FIELDS = ("place", "online", "materials", "steps", "time", "fee", "phone")  # answered side by side


_EMPTY_WORDS = "的那种这个类样些一"
LIKELY_IN_SCOPE = 0.2  # the learned decision's in-scope probability a lone candidate needs to be shown


@cache
def _split(name: str) -> re.Pattern:
    """A name of two parts with one to three characters between them (``_gapped`` allows only empty words)."""
    return re.compile("|".join(re.escape(name[:i]) + r"(.{1,3}?)" + re.escape(name[i:]) for i in range(2, len(name) - 1)))


@cache
def _gapped(name: str) -> re.Pattern:
    """A name of two parts with one to four empty words between them ("临时的那种身份证": 的, 那,
    种, 这, 个, 类, 样, 些, 一), never a word of content ("二手电动车过户" is not 二手车过户)."""
    halves = [re.escape(name[:i]) + f"[{_EMPTY_WORDS}]{{1,4}}" + re.escape(name[i:]) for i in range(2, len(name) - 1)]
    return re.compile("|".join(halves))


def _names_of(entry, result: bool = True) -> list[str]:
    """What an entry is called: its name, aliases and (for a guide) the result it gives."""
    names = [entry.name, *entry.aliases]
    if result and isinstance(entry, ServiceGuide) and entry.result:
        names.append(entry.result)
    return names


class _Kept:
    """A value built from the published entries, kept a while: they change one publish at a time."""

    def __init__(self, build) -> None:
        self.build = build
        self.kept: tuple[float, object] | None = None
        self.lock = threading.Lock()  # one rebuild at a time when the value expires

    def get(self):
        kept = self.kept
        if kept is not None and time.monotonic() - kept[0] <= COMMON_WORDS_TTL:
            return kept[1]
        with self.lock:
            if self.kept is kept:  # not rebuilt meanwhile by another turn
                self.kept = (time.monotonic(), self.build())
            return self.kept[1]


class DialogueCore:
    def __init__(
        self,
        retriever,
        store: ContentStore,
        unanswered: UnansweredLog | None = None,
        phrasebook: Phrasebook | None = None,
    ) -> None:
        self.retriever = retriever
        self.store = store
        self.unanswered = unanswered  # misses go to the editors' queue
        self.book = phrasebook or default_phrasebook()
        self.walk = Walkthrough(self.entry)
        self._common = _Kept(lambda: common_words(self.store.published("guide")))
        self._name_words = _Kept(self._count_name_words)

    # -- lookups ---------------------------------------------------------------------------
    def entry(self, code: str | None):
        if not code:
            return None
        try:
            return self.store.get(code).content
        except MissingEntryError:
            return None

    def districts(self) -> set[str]:
        return {h.district for g in self.store.published("guide") for h in g.halls}

    def common(self) -> frozenset[str]:
        """The words most published guides share (``guide_answers.common_words``), kept a while."""
        return self._common.get()

    def _count_name_words(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.store.published():
            for word in {w for n in _names_of(entry) for w in content_words(n)}:
                counts[word] = counts.get(word, 0) + 1
        return counts

    def sharing(self, norm: str, hits) -> list:
        """The candidates whose names all hold the subject a message names alone ("身份证的事": the
        four 身份证 services, one button each), when there are several; else none."""
        words = self.subject_only(norm)
        if not words:
            return []
        sharing = []
        for hit in hits:
            entry = self.entry(hit.code)
            names = _names_of(entry, result=False) if entry is not None else []
            if any(all(w in normalize(n) for w in words) for n in names):
                sharing.append(hit)
        return sharing[:4] if len(sharing) >= 2 else []

    def subject_only(self, norm: str) -> frozenset[str]:
        """The words of a message that names only a subject several entries' names share ("身份证的
        事": 身份证 of 首次申领, 换领, 补领 and 临时身份证), so it names none of them; else none."""
        counts = self._name_words.get()
        words = content_words(norm)
        return frozenset(words) if words and all(counts.get(w, 0) >= 2 for w in words) else frozenset()

    def expand(self, text: str) -> str:
        """``text`` normalised, with the formal terms of its colloquial words (外地户口 → 非本市户籍)."""
        norm = normalize(text)
        return self.retriever.synonyms.expand(norm) if hasattr(self.retriever, "synonyms") else norm

    def guide_followup(self, guide: ServiceGuide, aspect, text: str, region=None, matched: str = "") -> Reply:
        return answer_followup(
            guide, aspect, text, region, self.districts(), matched, expanded=self.expand(text), common=self.common()
        )

    # -- one turn --------------------------------------------------------------------------
    def turn(
        self,
        ctx: Context,
        text: str,
        source: str = "web",
        *,
        confident_only: bool = False,
        intent: str | None = None,
        sender: str | None = None,
    ) -> list[Reply]:
        """Answer ``text`` (words or a button payload) in ``ctx``, updating it (``sender``: whose
        conversation, for the unanswered queue to show the turns before a miss)."""
        parsed = parse_payload(text)
        if parsed:
            return self.payload(ctx, *parsed)
        urgent = safety_replies(text)
        if urgent:
            return urgent
        norm = normalize(text)
        focus = self.entry(ctx.code)
        if isinstance(focus, Bundle):
            answered = self.in_bundle(ctx, focus, text)
            if answered:
                return answered
        phone = focus.consult_phone if isinstance(focus, ServiceGuide) else None
        talk = small_talk(norm, self.book, phone)
        if talk:
            return [talk]
        corrected = self.correction(ctx, norm)
        if corrected:
            return corrected
        returned = self.return_to(ctx, norm, text)
        if returned:
            return returned
        switched = self.same_subject(ctx, norm, focus)
        if switched:
            return switched
        aspect = self.book.aspect_of(norm)
        if aspect == "materials" and isinstance(focus, Bundle) and len(norm) <= SHORT:
            if self.walk.pending_question(ctx, focus) is not None:  # "要带啥" mid-walk: so far, then on
                return self.followup(ctx, focus, aspect, text, None)
            return self.walk.step(ctx, {})
        result = self.retriever.search(text, top_k=3)
        top = result.results[0] if result.results else None
        if focus is not None and self.is_followup(norm, aspect, result, focus):
            matched = top.matched if top is not None and top.code == focus.code else ""
            return self.followup(ctx, focus, aspect, text, result.region, matched)
        named = None if result.decision == "answer" else self.named_hit(norm, result.results)
        if named is not None and named[0].kind == "guide" and self.wants_bundle(norm, intent, result):
            named = None  # "二手房交易要办哪些手续": the 一件事, not the one guide it names
        if result.decision == "answer" or named is not None:
            # answered, or named outright ("离婚登记要两个人都去吗", "临时的那种身份证多少钱")
            hit = named[0] if named is not None else top
            case = self.uncovered(norm, hit.code)
            if case:  # "我对象是越南人，想在这边登记结婚": not what 内地居民结婚登记 covers
                if self.unanswered is not None:
                    self.unanswered.record_miss(result, source=source, sender=sender)
                return [not_covered(hit.name, case)]
            return self.show(ctx, hit.kind, hit.code, result.region, aspect, text, hit.matched)
        if aspect and focus is None and len(norm) <= 12 and not content_words(self.book.without_aspects(norm)):
            # "要带什么?" with nothing in context (not "120平的房子契税交多少")
            name = self.book.aspect_name(aspect)
            return [Reply(f"请问您想了解哪个事项的{name}？告诉我事项名称就行，比如“护照怎么办”。")]
        if intent in ("deny", "affirm", "stop", "goodbye", "thanks") or (
            len(norm) <= 6 and self.book.has(norm, self.book.stop)  # not 停 of "停水三天了"
        ):
            return [Reply(ANYTHING_ELSE)]
        bundle = next((h for h in result.results[:3] if h.kind == "bundle"), None)
        if result.decision == "clarify" and self.wants_bundle(norm, intent, result):  # "开个面馆要跑哪些手续"
            return self.show(ctx, bundle.kind, bundle.code, result.region)
        if result.decision == "clarify" and not confident_only:
            options = self.sharing(norm, result.results) or result.options()
            cases = [self.uncovered(norm, h.code) for h in options]
            covered = [h for h, case in zip(options, cases, strict=True) if not case]
            if options and not covered:  # "想领养一个孩子": 新生儿出生 is the nearest, and no answer to it
                if self.unanswered is not None:
                    self.unanswered.record_miss(result, source=source, sender=sender)
                return [not_covered(options[0].name, cases[0])]
            options = covered
            if len(options) == 1 and self.likely(norm, result):
                # "我今年刚退休 原来单位交的那个公基金能都取出来不": one candidate, in the citizen's own
                # words; shown, and said to be a guess (a clarify with one button answers nothing)
                hit = options[0]
                replies = self.show(ctx, hit.kind, hit.code, result.region, aspect, text, hit.matched)
                replies[0].text = f"{LIKELY_LEAD}\n{replies[0].text}"
                return replies
            if len(options) == 1:  # "您是不是想问：教师资格认定"; "还要去体检吗" next is about it
                ctx.focus(options[0].kind, options[0].code)
            return [clarify([(h.kind, h.code, h.name) for h in options])]
        if self.unanswered is not None:
            self.unanswered.record_miss(result, source=source, sender=sender)
        return [no_match()]

    def uncovered(self, norm: str, code: str) -> str | None:
        """The case the message names (the phrasebook's ``scopes``: 外籍或境外, 收养) that the
        entry's text never speaks of, if any: the entry would answer another situation."""
        said = [s for s in self.book.scopes if s.said_in(norm.replace(" ", ""))]
        entry = self.entry(code) if said else None
        if entry is None:
            return None
        text = normalize(json.dumps(entry.model_dump(mode="json"), ensure_ascii=False))
        return next((s.case for s in said if not s.covered_by(text)), None)

    def likely(self, norm: str, result) -> bool:
        """Is the lone candidate of a clarify what the message asks for? An entry likely in scope
        (the learned decision's reading), whose name the message does not name with other words
        inside it ("二手电动车过户" is not 二手车过户 said loosely: it is another thing)."""
        hit = result.results[0]
        if result.features.get("p_in_scope", 0.0) < LIKELY_IN_SCOPE or self.subject_only(norm):
            return False
        entry = self.entry(hit.code)
        if entry is None:
            return False
        compact = norm.replace(" ", "")
        result_name = entry.result if isinstance(entry, ServiceGuide) else None
        names = {normalize(n).replace(" ", "") for n in [entry.name, *entry.aliases, result_name or ""]}
        for name in (n for n in names if len(n) >= 4):
            m = _split(name).search(compact)
            if m and any(c not in _EMPTY_WORDS for group in m.groups() if group for c in group):
                return False
        return True

    def asks_about_service(self, ctx: Context, text: str) -> bool:
        """A message read as a complaint that asks about a service instead ("周六车管所上班吗",
        "违章罚款晚交了会怎么样") or answers the pending 一件事 question. Words that say
        complaint (the phrasebook's) always mean one."""
        norm = normalize(text).replace(" ", "")
        if self.book.has(norm, self.book.forms["complaint"]):
            return False
        if ctx.kind == "bundle" and ctx.pending:
            return True
        if ctx.code and _CORRECTION.match(norm):  # "我说错了，公司还欠着货款…得正常注销": a correction
            return True
        if not is_question(norm):
            return False
        if ctx.code and len(norm) <= SHORT:
            return True
        return self.retriever.search(text, top_k=1).decision in ("answer", "clarify")

    def is_followup(self, norm: str, aspect: str | None, result, focus) -> bool:
        """A message about the entry in focus rather than a new question."""
        top = result.results[0] if result.results else None
        compact = norm.replace(" ", "")
        if self.book.has(compact, self.book.new_topic):
            return False  # "换个事问下 准生证在哪办"
        thing = _THIS_THING.search(compact)
        if thing and thing[1] in normalize(" ".join(_names_of(focus))):
            return True  # "这车之前贷款买的 还押在银行没解押 能先过户吗": 这车 is the car in focus
        named = self.named_hit(norm, result.results, expand=False)  # 上户口 is not 出生登记 named
        if named is not None and named[0].code != focus.code and len(named[1]) >= 4 and named[1] not in self.said_of(focus):
            # "临时的那种身份证多少钱" after 身份证补领: the service it names (not a subject word
            # such as 上户口 in "还没上户口，能先参保吗", a condition of the one in focus)
            return False
        if isinstance(focus, ServiceGuide) and PROVISIONAL.search(compact) and result.decision != "answer":
            return True  # "铺面的租房合同还没签下来 能先办吗": its materials, not a lease service
        if top is not None and top.code == focus.code:
            # "要是忘了认证 养老金会不会给停了": a question with words beyond the guide's name asks
            # about it, not for the whole guide again
            asks = is_question(compact) and (bool(HYPOTHETICAL.match(compact)) or self.asks_beyond(norm, focus))
            return aspect is not None or len(norm) <= SHORT or asks
        other = self.entry(top.code) if top is not None else None
        rest = self.book.without_aspects(compact)
        if result.decision == "answer" and other is not None and len(rest) >= 2 and rest in normalize(other.name) and rest not in normalize(focus.name):
            return False  # "身份证多少钱" after 护照: the 身份证 services the search is sure of
        if isinstance(focus, ServiceGuide) and len(norm) <= SHORT and named_materials(focus, norm):
            return True  # "无房证明要去哪开" while on 公租房: the material it needs, not a new service
        if _ONLY_X_NE.match(compact) and self.names(norm, other):  # "那身份证呢": another entry
            return False
        confident = result.decision == "answer"
        other_name = self.names(norm, other)
        if other_name and other_name == self.names(norm, focus):
            other_name = None  # "多久能拿到新房本": 不动产权证书 is what the one in focus gives too
        if other_name and (confident or other_name not in self.said_of(focus)):
            return False  # "准生证在哪办" after 优待证: 准生证 is 生育登记's, not the card's
        if self.names_another_subject(norm, focus, other):
            return False  # "对了，医保怎么给孩子办" after 出生登记: 医保 is the other's, not the birth's
        if isinstance(focus, ServiceGuide) and len(norm) <= SHORT and other_name is None and best_faq(focus, norm, floor=0.6):
            return True  # "最多能贷多少" after 公积金贷款: its own FAQ "最高能贷多少？" answers it
        if aspect and _THIS_ONE.search(norm) and other_name is None:
            return True  # "公司上个月才注册下来的 这个有时间限制不": 这个 is the one in focus
        # "七月份" is no subject; "外地户口" is the 非本市户籍 the guide speaks of
        if aspect and self.new_subject(self.expand(_WHEN_SAID.sub("", rest)), focus):
            return False  # "那学历认证去哪做" after 就业报到: 学历认证 is nowhere in it
        if aspect:
            if aspect not in _ABOUT_IT and len(norm) > 12 and self.new_subject(self.expand(norm), focus):
                return False  # "那外国人来华的工作许可怎么办" after 护照: another subject, not its 流程
            return not confident or len(norm) <= 12
        if len(norm) > SHORT or not isinstance(focus, ServiceGuide):
            return False
        asks = (
            (bool(_QUESTION_END.search(compact)) and len(_QUESTION_END.sub("", compact)) >= 2)
            or bool(_REQUIREMENT.match(compact))
            or (bool(_EITHER_OR.search(compact)) and not self.book.has(compact, self.book.stop))
        )  # "要体检不", not "不"; "是不是得先有那边的准迁证"; "给的是纸的还是电子的", not "还是算了吧"
        if confident:  # "消防安全检查怎么办" is a new question even if 安全 is in the guide in focus
            return asks and len(compact) <= 6
        lines = guide_lines(focus)
        words = content_words(norm)
        common = self.common()  # "外国人来华的工作许可": 工作 of 窗口工作人员, in every guide, says nothing
        mentioned = any(w in line for w in words if w not in common for line in lines) or (
            any(w in line for w in words for line in lines) and not self.new_subject(norm, focus)
        )
        return mentioned or asks

    def asks_beyond(self, norm: str, focus) -> bool:
        """Does the message bring a content word beyond the names and 相似问 of the entry in focus?"""
        if not isinstance(focus, ServiceGuide):
            return False
        known = self.expand(" ".join([focus.name, *focus.aliases, *focus.similar_questions])).replace(" ", "")
        return any(w not in known for w in content_words(norm, focus) if w not in self.common())

    def said_of(self, focus, steps: bool = True) -> str:
        """Everything the entry in focus says (its names, statements and halls), formal terms added;
        ``steps=False``: without its 流程, whose wording most guides share."""
        if isinstance(focus, ServiceGuide):
            halls = [f"{h.name}{h.address}{h.hours}" for h in focus.halls]
            lines = [line for line in guide_lines(focus) if steps or not line.startswith("流程：")]
            said = " ".join([focus.name, *focus.aliases, focus.result or "", *lines, *halls])
        else:
            said = " ".join([focus.name, *focus.aliases, focus.summary or ""])
        return self.expand(said).replace(" ", "")

    def names_another_subject(self, norm: str, focus, other) -> bool:
        """Does the message name (in the synonyms' formal terms) the subject of ``other`` that the
        entry in focus never speaks of?"""
        if other is None or not hasattr(self.retriever, "synonyms"):
            return False
        terms = self.retriever.synonyms.formal_terms(norm)
        if not terms:
            return False
        own = self.said_of(focus)
        theirs = self.expand(" ".join([other.name, *other.aliases]))
        return any(t in theirs and t not in own for t in terms)

    def new_subject(self, norm: str, focus) -> bool:
        """Does the message bring several content words that the entry in focus never uses, and
        none that it does?"""
        words = content_words(norm)
        said = self.said_of(focus, steps=False)  # 工作 of 窗口工作人员 is no word the guide uses
        new = [w for w in words if w not in said]
        return len(new) >= 3 and len(new) == len(words)  # "照片要多大尺寸": 照片 is a material of it

    def wants_bundle(self, norm: str, intent: str | None, result) -> bool:
        """A 一件事 is among the candidates and the message asks for the whole of it."""
        if not any(h.kind == "bundle" for h in result.results[:3]):
            return False
        return intent == "start_bundle" or self.book.has(norm.replace(" ", ""), self.book.bundle_cues)

    def named_hit(self, norm: str, hits, expand: bool = True) -> tuple | None:
        """(hit, name) of the candidate the message names outright, the longest name winning
        ("临时的那种身份证" names 临时身份证 over 身份证); ``expand``: its colloquial words count
        as their formal terms (上户口 as 出生登记)."""
        named = [(h, n) for h in hits[:3] if (n := self.names(norm, self.entry(h.code), expand))]
        if not named:  # "那个高龄津贴呢": 高龄津贴申领 without its 申领, when no other candidate shares it
            stems = [(h, _STEM.sub("", normalize(h.name).replace(" ", ""))) for h in hits[:3]]
            named = [
                (h, stem)
                for h, stem in stems
                if len(stem) >= 4 and stem in norm.replace(" ", "") and sum(stem in normalize(o.name) for o, _ in stems) == 1
            ]
        if not named:
            return None
        best = max(named, key=lambda pair: len(pair[1]))
        if any(n == best[1] and h.code != best[0].code for h, n in named):
            return None  # "考驾照在哪报名": 机动车驾驶证 is what 换证 and 补证 both give, naming neither
        return best

    def names(self, norm: str, entry, expand: bool = True) -> str | None:
        """The name, alias or result of ``entry`` that the message names outright, if any."""
        if entry is None:
            return None
        compact = (self.expand(norm) if expand else norm).replace(" ", "")
        names = [n for n in (normalize(n).replace(" ", "") for n in _names_of(entry)) if len(n) >= 2]
        found = next((n for n in names if n in compact), None)
        if found is None:  # "临时的那种身份证": 临时身份证 with words between its parts
            found = next((n for n in names if 4 <= len(n) <= 6 and _gapped(n).search(compact)), None)
        return found

    def followup(
        self, ctx: Context, focus, aspect: str | None, text: str, region: str | None, matched: str = ""
    ) -> list[Reply]:
        if isinstance(focus, ServiceGuide):
            if aspect:
                return [self.answer_aspects(focus, aspect, text, region, matched)]
            return [self.guide_followup(focus, aspect, text, region, matched)]
        pending = self.walk.pending_question(ctx, focus)
        if pending is not None and self.book.has(normalize(text).replace(" ", ""), self.book.bundle_cues):
            # "退休相关的手续能一起办吗" while in it: yes, and on with its questions
            return [bundle_question(focus, pending, "可以，这些事项一次申请、一起办理。先回答几个问题：\n")]
        if aspect in (None, "validity", "deadline", "attend", "hours"):
            aspect = {"hours": "place", "deadline": "time"}.get(aspect or "", "conditions")
        replies = self.walk.detail(ctx, focus, aspect)
        if pending is not None:  # the question still open is asked again after the answer
            replies.append(bundle_question(focus, pending, "我们接着来："))
        return replies

    def show(
        self,
        ctx: Context,
        kind: str,
        code: str,
        region: str | None = None,
        aspect: str | None = None,
        text: str = "",
        matched: str = "",
    ) -> list[Reply]:
        entry = self.entry(code)
        if entry is None:
            return [no_match()]
        ctx.focus(kind, code)
        if isinstance(entry, Bundle):
            return self.walk.intro(ctx, entry, text)
        if aspect:
            return [self.answer_aspects(entry, aspect, text, region, matched)]
        reply = guide_answer(entry, region)
        faq = best_faq(entry, text, floor=0.5, matched=matched) if text else None
        head, _, rest = reply.text.partition("\n")
        if faq:  # "首套房契税交多少": the FAQ that answers it first, then the guide
            reply.text = f"{head}\n{faq[1]}\n{rest}"
        elif text and (lines := self.pointed_at(entry, text, rest)):
            # "外地户口能申请吗": the statements its words point at first ("非本市户籍的" needs …)
            said = "\n".join(f"· {line}" for line in lines)
            reply.text = f"{head}\n和您问的相关：\n{said}\n{rest}"
        return [reply]

    def pointed_at(self, guide: ServiceGuide, text: str, shown: str) -> list[str]:
        """The statements a first question's own words point at, beyond what found the guide
        (its name, aliases, 相似问) and what the answer shows anyway."""
        known = self.expand(" ".join([guide.name, *guide.aliases, *guide.similar_questions]))
        lines = specific_lines(guide, self.expand(text), self.common(), known=known)
        return [line for line in lines if line.split("：", 1)[-1] not in shown]

    def answer_aspects(self, guide: ServiceGuide, aspect: str, text: str, region, matched: str = "") -> Reply:
        """One answer per field asked about: "多少钱，在哪" gets the fee and the halls. Aspects
        that qualify each other (有效期/多久之内/谁到场/条件) are answered alone, as asked."""
        asked = [a for a in self.book.aspects_of(normalize(text).replace(" ", "")) if a in _PLAIN_FIELDS]
        if aspect not in _PLAIN_FIELDS or len(asked) < 2:
            return self.guide_followup(guide, aspect, text, region, matched)
        replies = [self.guide_followup(guide, a, text, region) for a in asked[:3]]
        head = f"【{guide.name}】"
        lines = [replies[0].text] + [r.text.removeprefix(head) for r in replies[1:]]
        first = replies[0]
        return Reply("\n".join(lines), replies[-1].buttons, about=first.about)

    # -- context moves -------------------------------------------------------------------------
    def correction(self, ctx: Context, norm: str) -> list[Reply] | None:
        """ "不是补办，是到期了要换": the same subject, the other service; never the one corrected."""
        m = _CORRECTION.match(norm.replace(" ", ""))
        if not m:
            return None
        right = m["right"] or m["only"] or m["restated"]
        focus = self.entry(ctx.code)
        subject = ""
        if isinstance(focus, ServiceGuide):
            subject = focus.result or focus.name
        elif isinstance(focus, Bundle):
            subject = focus.name
        result = self.retriever.search(f"{right} {subject}".strip(), top_k=4)
        hits = [h for h in result.results if h.code != ctx.code]
        if not hits:
            result = self.retriever.search(right, top_k=4)
            hits = [h for h in result.results if h.code != ctx.code]
        if not hits:
            return None
        if result.decision == "none" and not subject:
            return None
        # the subject only narrows the search: the hit the corrected words name best wins
        # ("哦不对，是二手房" after 新建商品房: 二手房转移登记, not the 不动产权证书 of the subject);
        # a service of the same subject counts two words more ("不是头一回办，是旧证到期了要换"
        # after 残疾人证新办: 残疾人证换领, not 居民身份证换领 for its "到期"); ties: the search's order
        def fit(hit) -> int:
            entry = self.entry(hit.code)
            same = focus is not None and self.overlap(focus.name, entry) >= 2
            return self.overlap(right, entry) + 2 * same

        top = max(hits, key=fit)
        return self.show(ctx, top.kind, top.code, result.region, self.book.aspect_of(right), right)

    def same_subject(self, ctx: Context, norm: str, focus) -> list[Reply] | None:
        """ "那退休了呢" after 公积金购房提取: the same subject's other service (like a correction)."""
        compact = norm.replace(" ", "")
        m = _ONLY_X_NE.match(compact)
        if not m or focus is None:
            return None
        what = re.sub(r"^(?:那|还有|那么)|呢$", "", compact)
        if len(what) < 2 or what in normalize(focus.name).replace(" ", ""):
            return None
        if isinstance(focus, ServiceGuide) and any(what in line for line in guide_lines(focus)):
            return None  # "那材料呢"-like: about the entry in focus
        return self.correction(ctx, f"不是是{what}")

    def return_to(self, ctx: Context, norm: str, text: str) -> list[Reply] | None:
        """ "身份证那个呢，多久能拿到" / "刚才那个": back to an earlier topic, then its follow-up."""
        earlier = ctx.earlier()
        if not earlier:
            return None
        compact = norm.replace(" ", "")
        target = None
        if any(w in compact for w in _PREVIOUS):
            target = earlier[0]
        else:
            m = _BACK_TO.match(compact) or _RETURN.match(compact)  # "还是说回过户 要带啥"
            if not m or not m["what"]:
                return None
            scored = [(self.overlap(m["what"], self.entry(code)), (kind, code)) for kind, code in earlier]
            scored = [s for s in scored if s[0] > 0]
            if not scored:
                return None
            target = max(scored, key=lambda s: s[0])[1]
        kind, code = target
        entry = self.entry(code)
        if entry is None:
            return None
        ctx.focus(kind, code)
        aspect = self.book.aspect_of(norm)
        if isinstance(entry, Bundle):
            return (
                self.walk.detail(ctx, entry, aspect)
                if aspect in ("time", "fee", "place", "phone", "steps")
                else [bundle_intro(entry)]
            )
        return self.show(ctx, kind, code, None, aspect, text)  # "刚才贷款那个，最多能贷多少": its FAQ

    def overlap(self, words: str, entry) -> int:
        if entry is None:
            return 0
        expanded = (
            self.retriever.synonyms.expand(normalize(words)) if hasattr(self.retriever, "synonyms") else words
        )
        names = " ".join(
            [entry.name, *entry.aliases]
            + ([entry.result] if isinstance(entry, ServiceGuide) and entry.result else [])
        )
        grams = {expanded[i : i + 2] for i in range(len(expanded) - 1)} - {"  "}
        return sum(1 for g in grams if g.strip() and len(g.strip()) == 2 and g in names)

    # -- buttons ---------------------------------------------------------------------------
    def payload(self, ctx: Context, intent: str, slots: dict) -> list[Reply]:
        if intent == "choose" and slots.get("code"):
            return self.show(ctx, str(slots.get("kind", "guide")), str(slots["code"]))
        if intent == "ask_detail" and slots.get("aspect"):
            entry = self.entry(slots.get("code") or ctx.code)
            if isinstance(entry, ServiceGuide):
                ctx.focus("guide", entry.code)
                return [answer_followup(entry, str(slots["aspect"]), "", None, self.districts())]
            if isinstance(entry, Bundle) and entry.code == ctx.code:
                return self.walk.detail(ctx, entry, str(slots["aspect"]))
        if intent == "human_handoff":
            return [human_handoff()]
        if intent in ("book", "cancel_booking", "query_booking"):
            return [unavailable("预约")]
        if intent in ("complain", "query_ticket"):
            return [unavailable("投诉和反映问题")]
        if intent in ("bundle_answer", "start_bundle"):
            return self.walk.step(ctx, slots) or [no_match()]
        return [no_match()]

    def tick(self, ctx: Context, text: str) -> list[Reply] | None:
        """ "户口本我这儿有": the material ticked off, its colloquial name read as the formal one."""
        return self.walk.tick(ctx, self.expand(text))

    def in_bundle(self, ctx: Context, bundle: Bundle, text: str, ticking: bool = False) -> list[Reply] | None:
        """A typed answer to the pending 一件事 question, or a material ticked off: "社保卡已经有了"
        answers "是否已有社会保障卡？", "户口本我这儿有" while "是否为低保家庭？" is open ticks 居民户口簿
        (``ticking``: Rasa read the message as ticking one off)."""
        norm = normalize(text).replace(" ", "")
        have = ticking or self.book.has(norm, self.book.have)
        pending = self.walk.pending_question(ctx, bundle)
        if have and (pending is None or not self.speaks_of(text, pending.text)):
            ticked = self.tick(ctx, text)
            if ticked:
                return ticked
        answered = self.walk.typed_answer(ctx, bundle, text)
        if answered or not have:
            return answered
        return self.tick(ctx, text)

    def speaks_of(self, text: str, question: str) -> bool:
        """Does the message share a content word with the question (in the formal terms)?"""
        asked = set(content_words(self.expand(question))) - {"是否", "已有", "持有", "已经"}
        return bool(asked & set(content_words(self.expand(text))))
