"""Follow-ups answered from the whole guide: the field or FAQ that answers them, or "the guide does not say".

"周六能办吗" reads each hall's hours, "西城区哪里能办" its halls in that district, "有效期多久"
the FAQs and conditions about validity (never the processing time), "多久之内要办" a deadline in
the conditions, "要两个人都去吗" who must attend, "要体检不" the lines of the guide that mention
体检. When nothing in the guide answers, the reply says so plainly and gives the phone to ask.
"""

from __future__ import annotations

import re

from assistant.replies import (
    HOTLINE,
    Reply,
    _guide_buttons,
    _halls,
    _limit,
    about,
    guide_detail,
    material_line,
)
from knowledge.schema import Hall, ServiceGuide
from nlu.normalize import normalize

FIELD_ASPECTS = ("materials", "steps", "time", "fee", "place", "phone", "online", "conditions")
_FUNCTION_CHARS = set("要吗不吧呢的了能可以是么什怎我你那这还没有办得都去个一下啊呀哦嗯请问想给会和跟与或及啥咋俺咱嘛呗哪")
_DEADLINE = re.compile(
    r"[\d一二两三四五六七八九十半]+\s*(个)?(日|天|工作日|个月|月|年|周)(内|之内|以内)|逾期|届满前|期满前|之日起|超过[一二两三\d]+个?月"
    r"|至\s*\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日\s*(前|之前|以前|截止)"  # "次年3月1日至6月30日办理"
)
_SECTION_WORDS = frozenset({"材料", "条件", "流程", "收费", "理条", "办理"})  # guide_lines' own headings
_CONTRIBUTION = re.compile(r"([1一]年|每年|每个?月|[1一]个月|按年|按月).{0,4}[交缴]|缴费|交费标准|档次|交多少年")
# "一个月给多少钱", "能领几个月的": what the citizen receives, not the handling fee
_RECEIVE = re.compile(
    r"(能|会|可以|[1一]个?月|每个?月|[1一]年|每年|大概|总共|一共|给我)(给|领|发|补|拿|报|赔|救助|资助|补偿)(多少|几个月|几年|几)"
    r"|(领|发|补贴|补助|报销|赔|救助|资助|补偿|抚恤金?)(多少|几个月)"
)
_LIMIT = re.compile(r"(最多|最高|顶多|上限)\S{0,2}(开|贷|提|取|领|借|办)\S{0,1}多少|(能|可以)(开|贷|借|提|取)多少")  # 额度
_PAID_IN = re.compile(r"[交缴收花付]")  # "要给多少钱" with 交/缴 is what is paid, not received
_AMOUNT = re.compile(r"\d+\s*(元|万)|标准|金额|额度|比例")
# "多长时间要认证一回": how often, not how long it takes
_FREQUENCY = re.compile(r"(多久|多长时间|多少天|几个月|几年)[^，。？?]{0,6}(一次|一回|一趟)|每隔多久|隔多久|每年都")
_PERIODIC = re.compile(r"每年|每月|每个月|每季度|每半年|每\d|定期|周期")
# "退的钱多久能到账", "报的钱打到哪": when and where money arrives, not the processing time
_ARRIVES = re.compile(r"到账|打到|打款|打入|存入|转到.{0,4}(卡|账户)|发放[到至]|拨付")
# "批下来以后排队多久能住进去": the time after the result, not the processing time
_AFTER = re.compile(r"(批下来|办下来|办好|审核通过|批了|批准|拿到|办完)(了)?(以后|之后|后)")
HYPOTHETICAL = re.compile(r"^(要是|如果|万一|假如|假设|若是)")  # "要是忘了认证 会不会给停了"
_IF_ANYWHERE = re.compile(r"(要是|如果|万一|假如|假设|若是).{2,}(咋办|怎么办|怎么处理|会不会|会怎样|会怎么样)")
# "租房合同还没签下来 能先办吗": can it be handled before a material is ready (容缺受理)
PROVISIONAL = re.compile(r"(还没|没有|暂时没|不全|没齐|没带).{0,14}(能|可以|可不可以)先(办|申请|交|报|受理)|先办后补|(能|可以)后补|容缺")
_MAKE_UP = re.compile(r"容缺|后补|补交|补齐|先行受理|承诺制")
_ELIGIBLE = re.compile(r"能(领|办|申请|报|享受|参加|交)|可以(领|办|申请|报|享受)|行不行|能不能|符合|够不够|算不算")
# who applies, said in the conditions ("由其遗属申领"), beside the words of who must attend
_APPLICANT = ("遗属", "家属", "亲属", "继承人", "法定代理人")
_DELEGATE = ("委托", "代办", "代理", "代为", "代领", "受托人", "授权", "监护人")
_WEEKEND = {
    "周六": ("周六", "星期六", "礼拜六"),
    "周日": ("周日", "周天", "星期天", "星期日", "礼拜天", "礼拜日"),
}


def _phone(guide: ServiceGuide) -> str:
    return guide.consult_phone or (guide.halls[0].phone if guide.halls else HOTLINE)


def _not_said(guide: ServiceGuide, what: str, extra: str = "") -> Reply:
    text = f"【{guide.name}】办事指南里没有写明{what}。{extra}建议拨打咨询电话 {_phone(guide)} 或 {HOTLINE} 确认。"
    return Reply(text, _guide_buttons(guide), about=about(guide))


def _said(guide: ServiceGuide, lines: list[str], lead: str) -> Reply:
    return Reply(
        f"【{guide.name}】{lead}\n" + "\n".join(f"· {line}" for line in lines),
        _guide_buttons(guide),
        about=about(guide),
    )


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fa5a-z0-9]", "", normalize(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def content_words(text: str, guide: ServiceGuide | None = None) -> list[str]:
    """The two-character words of a question that carry its content ("要体检不" → 体检); with
    ``guide``, not those of its own name ("认证" in a question about 资格认证 says nothing new)."""
    own = _bigrams(" ".join([guide.name, *guide.aliases])) if guide is not None else set()
    return sorted(b for b in _bigrams(text) if not (set(b) & _FUNCTION_CHARS) and b not in own)


def specific_lines(
    guide: ServiceGuide, text: str, common: frozenset[str] = frozenset(), limit: int = 4, known: str = ""
) -> list[str]:
    """The statements of the guide that the question's own words point at ("讨薪可以申请免费律师吗"
    → the condition about 讨薪; "外地户口能申请吗", expanded to 非本市户籍, → the material needed
    then): conditions, materials with a condition or a note, and FAQs that share a content word
    of ``text`` which is neither the guide's own name nor one most guides use (``common``: 工作
    of 窗口工作人员 says nothing), nor in ``known`` (the words that found the guide: "我想给孩子
    上户口" asks for the guide, not for its FAQ about 孩子). The lines sharing most words first."""
    words = [
        w
        for w in content_words(text, guide)
        if w not in common and w not in _SECTION_WORDS and w not in known
    ]
    if not words:
        return []
    plain = {f"材料：{m.name}" for m in guide.materials}  # a material with nothing said of it
    lines = [line for line in guide_lines(guide) if line.startswith(("办理条件：", "材料：", "问：")) and line not in plain]
    scored = [(sum(w in line for w in words), -i, line) for i, line in enumerate(lines)]
    return [line for n, _, line in sorted(scored, reverse=True) if n][:limit]


def common_words(guides) -> frozenset[str]:
    """The content words that the lines of many guides share (工作人员, 材料齐全, 本市): matching
    a question on them finds every guide, so the follow-up decisions and answers leave them out."""
    counts: dict[str, int] = {}
    guides = list(guides)
    for guide in guides:
        for word in {w for line in guide_lines(guide) for w in content_words(line)}:
            counts[word] = counts.get(word, 0) + 1
    floor = max(3, len(guides) // 8)
    return frozenset(w for w, n in counts.items() if n >= floor)


def best_faq(guide: ServiceGuide, question: str, floor: float = 0.45, matched: str = "") -> tuple[str, str] | None:
    """The FAQ that answers ``question``: the one the search matched it to (``matched``, the
    entry's text nearest in meaning), else the one sharing most of its words. A question that
    only names the guide ("护照") asks none of them."""
    if not content_words(question, guide):
        return None
    for faq in guide.faqs:
        if matched and faq.question == matched:
            return faq.question, faq.answer
    asked = _bigrams(question)
    if not asked:
        return None
    scored = []
    for faq in guide.faqs:
        theirs = _bigrams(faq.question)
        if theirs:
            scored.append((len(asked & theirs) / min(len(asked), len(theirs)), faq.question, faq.answer))
    scored.sort(reverse=True)
    return (scored[0][1], scored[0][2]) if scored and scored[0][0] >= floor else None


def guide_lines(guide: ServiceGuide) -> list[str]:
    """Every statement of the guide a follow-up could be answered from, with its section."""
    lines = [f"办理条件：{c}" for c in guide.conditions]
    for m in guide.materials:
        cond = f"（{m.condition}时需要）" if not m.required and m.condition else ""
        note = f"，{m.note}" if m.note else ""
        forms = f"（{'或'.join(f.value for f in m.forms)}）" if m.forms else ""
        lines.append(f"材料：{m.name}{forms}{cond}{note}")  # 原件或电子: "只有电子保单行不行"
    lines += [f"流程：{s.name}，{s.description}" for s in guide.steps if s.description]
    lines += [f"问：{f.question} 答：{f.answer}" for f in guide.faqs]
    lines.append(f"收费：{guide.fee}")
    if guide.result:
        lines.append(f"办理结果：{guide.result}")
    if guide.summary:
        lines.append(guide.summary)
    return lines


def district_named(text: str, districts: set[str]) -> str | None:
    return next(
        (
            d
            for d in sorted(districts, key=len, reverse=True)
            if d in text or d.removesuffix("区") + "区" in text
        ),
        None,
    )


def _hours(guide: ServiceGuide, text: str, region: str | None) -> Reply:
    halls = _halls(guide, region, limit=4)
    if not halls:
        return _not_said(guide, "办理大厅和办公时间")
    day = next((d for d, words in _WEEKEND.items() if any(w in text for w in words)), None)
    if "周末" in text:
        day = "周六"
    if day is None:
        return _said(guide, [f"{h.name}：{h.hours}" for h in halls], "办公时间：")
    lines = []
    where = bool(re.search(r"哪|地址|地方", text))
    named = district_named(text, {h.district for h in guide.halls})
    if named and any(h.district == named for h in guide.halls):
        halls = [h for h in guide.halls if h.district == named]
    def opens(hours: str) -> bool:
        return day in hours or (day == "周六" and "周六日" in hours) or "周一至周日" in hours or "每天" in hours

    none_open = not any(opens(h.hours) for h in halls)
    for h in halls:
        hours = h.hours
        open_that_day = opens(hours)
        # "周六去哪个大厅能办": the addresses of those open; "东城区那个在哪": that one's, open or not;
        # "那个窗口在哪 礼拜六上班不" where none opens that day: where to go on a weekday
        name = f"{h.name}（{h.address}）" if where and (open_that_day or named or none_open) else h.name
        lines.append(f"{name}：{'可以办理' if open_that_day else day + '不办公'}（{hours}）")
    lead = f"{day}能不能办要看大厅："
    if all("不办公" in line for line in lines):
        lead = f"{day}不办公，请在工作日前往："
    return _said(guide, lines, lead)


def named_materials(guide: ServiceGuide, text: str) -> list:
    """The guide's materials that ``text`` names outright ("无房证明要去哪开")."""
    compact = normalize(text).replace(" ", "")
    return [m for m in guide.materials if len(m.name) >= 3 and normalize(m.name).replace(" ", "") in compact]


def _contributory(guide: ServiceGuide) -> bool:
    """A 参保/缴存 service: "一年交多少" asks what is paid into it, not the handling fee."""
    return bool(re.search(r"参保|缴存|缴纳|缴费|参加.*(医保|保险)", guide.name))


def _contribution(guide: ServiceGuide) -> Reply:
    lines = [
        line
        for line in guide_lines(guide)
        if not line.startswith("收费：") and re.search(r"\d+\s*元|缴费|档次|费率|缴费基数", line)
    ]
    if lines:
        return _said(guide, lines[:4], f"办理本身{guide.fee or '是否收费未写明'}；每年（每月）要缴多少，指南里这样写：")
    return _not_said(guide, "每年（每月）要缴多少（缴费标准）", f"办理本身{guide.fee or '是否收费也未写明'}。")


def _place(guide: ServiceGuide, text: str, region: str | None, districts: set[str]) -> Reply:
    named = district_named(text, districts | {h.district for h in guide.halls})
    if named:
        local = [h for h in guide.halls if h.district == named]
        if not local:
            others = _hall_lines(guide.halls[:3])
            if not others:
                return _not_said(guide, "办理地点")
            return _said(guide, others, f"{named}没有办理这个事项的大厅，可以去：")
        return _said(guide, _hall_lines(local), f"{named}可以在这里办：")
    return guide_detail(guide, "place", region)


def _hall_lines(halls: list[Hall]) -> list[str]:
    return [f"{h.name}：{h.address}，{h.hours}，电话 {h.phone}" for h in halls]


def _matching(
    guide: ServiceGuide, pattern: re.Pattern | None = None, words: tuple[str, ...] = ()
) -> list[str]:
    return [
        line
        for line in guide_lines(guide)
        if (pattern and pattern.search(line)) or any(w in line for w in words)
    ]


def answer_followup(
    guide: ServiceGuide,
    aspect: str | None,
    text: str,
    region: str | None = None,
    districts: set[str] = frozenset(),
    matched: str = "",
    *,
    expanded: str = "",
    common: frozenset[str] = frozenset(),
) -> Reply:
    """The answer to ``text``, a follow-up about ``guide``; ``aspect`` from the phrasebook or None;
    ``matched``: the guide's text the search found nearest to ``text``; ``expanded``: ``text``
    with the formal terms of its colloquial words (外地户口 → 非本市户籍), for matching the
    guide's statements; ``common``: the words most guides share (``common_words``)."""
    expanded = expanded or text
    faq = best_faq(guide, text, matched=matched) or best_faq(guide, expanded)  # 老婆 is 配偶 of the FAQ
    if faq and aspect not in ("materials", "steps", "place", "hours"):
        return Reply(f"【{guide.name}】{faq[1]}", _guide_buttons(guide), about=about(guide))
    named = named_materials(guide, text)
    if named and aspect in (None, "place", "steps", "conditions"):  # "无房证明要去哪开": what the guide says of it
        return _said(guide, [material_line(m) for m in named], "这份材料，指南里这样写：")
    if aspect == "hours":
        return _hours(guide, text, region)
    district = district_named(text, districts | {h.district for h in guide.halls})
    if district and aspect in (None, "place", "conditions"):
        # "我们村算西城区的 能申请不": what the conditions and FAQs say of that district first
        said = [line for line in guide_lines(guide) if district in line and line.startswith(("问：", "办理条件："))]
        if said:
            return _said(guide, said, f"关于{district}，指南里这样写：")
    if aspect == "place":
        return _place(guide, text, region, districts)
    if aspect == "validity":
        lines = _matching(guide, words=("有效期", "有效"))
        if lines:
            return _said(guide, lines, "关于有效期，指南里这样写：")
        what = f"{guide.result}的有效期" if guide.result else "办好后的证件或结果的有效期"
        return _not_said(guide, what, f"（办理时限是另一回事：{_limit(guide)}。）")
    if aspect == "deadline":
        lines = _matching(guide, pattern=_DEADLINE)
        if lines:
            return _said(guide, lines, "关于要在多久之内办，指南里这样写：")
        return _not_said(guide, "必须在多久之内办理", f"（办好需要的时间：{_limit(guide)}。）")
    if aspect == "attend":
        lines = _attendance(guide)
        if lines:
            return _said(guide, lines, "谁要到场，指南里这样写：")
        return _not_said(guide, "是否必须本人到场", f"需要到现场 {guide.visits_needed} 次。")
    if aspect == "conditions" and not guide.conditions:
        words = tuple(content_words(text, guide))
        lines = _matching(guide, words=words) if words else []
        return _said(guide, lines, "指南里相关的内容：") if lines else _not_said(guide, "特别的办理条件")
    compact = normalize(text).replace(" ", "")
    if PROVISIONAL.search(compact) and aspect in (None, "conditions", "materials"):
        lines = [material_line(m) for m in guide.materials if m.can_defer] + _matching(guide, pattern=_MAKE_UP)
        if lines:
            reply = _said(guide, lines, "材料没备齐时，这些可以先受理、后补交（容缺后补）：")
            return _with_related(reply, guide, expanded, common)
        return _with_related(_not_said(guide, "可以容缺后补的材料"), guide, expanded, common)
    if aspect == "fee" and _CONTRIBUTION.search(compact) and _contributory(guide):
        return _contribution(guide)
    if aspect in (None, "fee", "time") and _LIMIT.search(compact):
        return _amount(guide, "最多能办多少", "额度或上限")  # "一个月最多能开多少钱的票", not the fee
    if aspect in (None, "fee", "time") and _RECEIVE.search(compact) and not _PAID_IN.search(compact):
        return _amount(guide)
    if aspect in (None, "time") and _FREQUENCY.search(compact):
        lines = _matching(guide, pattern=_PERIODIC)
        if lines:
            return _said(guide, lines, "多久办一次，指南里这样写：")
        return _not_said(guide, "多久要办一次")
    if aspect in (None, "time", "place") and _ARRIVES.search(compact):
        lines = _matching(guide, pattern=_ARRIVES)
        if lines:  # "报的钱打到哪": where the money goes, as the guide says it
            return _said(guide, lines, "钱怎么到账，指南里这样写：")
        return _not_said(guide, "钱多久到账、打到哪里", f"办理时限（办好本身要多久）：{_limit(guide)}。")
    if aspect == "time" and _AFTER.search(compact):
        reply = _not_said(guide, "办好之后还要等多久", f"办理时限（办好本身要多久）：{_limit(guide)}。")
        return _with_related(reply, guide, expanded, common)
    if aspect in FIELD_ASPECTS:
        reply = guide_detail(guide, aspect, region)
        if aspect in ("fee", "time", "online", "phone", "conditions"):
            # "讨薪可以申请免费律师吗": and the 讨薪 condition; "外地户口能申请吗": the material then
            reply = _with_related(reply, guide, expanded, common)
        return reply
    if district:  # "东城区呢"
        return _place(guide, text, region, districts)
    words = tuple(w for w in content_words(expanded, guide) if w not in common and w not in _SECTION_WORDS)
    lines = _matching(guide, words=words) if words else []
    if not lines:  # "老人的身份证找不到了怎么办": 身份证 is in most guides, and in this one's answer
        words = tuple(content_words(text, guide))
        lines = _matching(guide, words=words) if words else []
    if lines:  # the lines sharing most of the question's words first
        lines.sort(key=lambda line: -sum(w in line for w in words))
        # "公示的时候要是有人提异议了咋办": what follows then is not said, only what is related
        lead = "指南里没有写明这种情况怎么办，相关的内容：" if _IF_ANYWHERE.search(compact) else "指南里相关的内容："
        return _said(guide, lines[:6], lead)
    if faq:
        return Reply(f"【{guide.name}】{faq[1]}", _guide_buttons(guide), about=about(guide))
    topic = "“" + "、".join(words[:3]) + "”" if words else "这一点"
    if HYPOTHETICAL.match(compact):
        topic = "这种情况"
    if guide.conditions and _ELIGIBLE.search(compact):  # "他是三级的 能领吗": the conditions to judge by
        return _not_said(guide, topic, f"办理条件是：{'；'.join(guide.conditions)}。")
    return _not_said(guide, topic)


def _with_related(reply: Reply, guide: ServiceGuide, expanded: str, common: frozenset[str]) -> Reply:
    """``reply`` and the statements the question's own words point at that it does not show."""
    lines = [line for line in specific_lines(guide, expanded, common) if line.split("：", 1)[-1] not in reply.text]
    if lines:
        reply.text += "\n另外，指南里和您问的相关的内容：\n" + "\n".join(f"· {line}" for line in lines)
    return reply


def _amount(guide: ServiceGuide, asked: str = "能领多少", meaning: str = "发放标准或金额") -> Reply:
    """ "一个月给多少钱": the amounts or standards the guide states, or that it does not say."""
    lines = [line for line in guide_lines(guide) if not line.startswith("收费：") and _AMOUNT.search(line)]
    if lines:
        return _said(guide, lines[:4], f"{asked}，指南里这样写：")
    return _not_said(guide, f"{asked}（{meaning}）", f"办理本身{guide.fee or '是否收费也未写明'}。")


def _attendance(guide: ServiceGuide) -> list[str]:
    """The statements on who must attend or may act for the applicant; a material counts only
    when it speaks of acting for someone ("本人银行卡" says nothing of who goes)."""
    attend = ("本人", "到场", "双方", "共同", "亲自", "陪同", "权利人", "利害关系人", *_DELEGATE)
    lines = []
    for line in guide_lines(guide):
        if line.startswith("材料："):
            hit = any(w in line for w in _DELEGATE)
        elif line.startswith("办理条件："):
            hit = any(w in line for w in (*attend, *_APPLICANT))
        else:
            hit = any(w in line for w in attend)
        if hit:
            lines.append(line)
    return lines
