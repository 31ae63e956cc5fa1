"""A 一件事 walked through: its questions (clicked or typed), the checklist, ticking items off.

A typed answer to the pending question is matched to its options (``nlu.answers``); answers
that settle later questions ("50平" also answers "是否超过 300 平方米") skip them; ticking a
material the bundle itself produces ("营业执照我已经有了") drops the guide that only produces it.
"""

from __future__ import annotations

from assistant.dialogue.context import Context
from assistant.replies import Reply, bundle_detail, bundle_intro, bundle_question, checklist_reply
from knowledge.checklist import ChecklistError, build_checklist, material_key, materials_mentioned
from knowledge.schema import Bundle, BundleQuestion, ServiceGuide
from nlu.answers import implied, match_option, stated


def options_of(question: BundleQuestion) -> list[tuple[str, str]]:
    return [(o.value, o.label) for o in question.options]


class Walkthrough:
    def __init__(self, entry) -> None:
        self.entry = entry  # code → ServiceGuide | Bundle | None

    def guides(self, bundle: Bundle) -> dict[str, ServiceGuide]:
        found = {}
        for link in bundle.guides:
            content = self.entry(link.code)
            if isinstance(content, ServiceGuide):
                found[link.code] = content
        return found

    def intro(self, ctx: Context, bundle: Bundle, said: str = "") -> list[Reply]:
        """The 一件事 and its first open question; what the first message already states ("打算个体户
        开个绘本馆 有三百五十平") answers its questions, said back so the citizen can correct it."""
        ctx.pending = bundle.questions[0].id if bundle.questions else None
        known = self.prefill(ctx, bundle, said) if said else {}
        if not known:
            return [bundle_intro(bundle)]
        answered = [
            (q.text.rstrip("？?"), next((o.label for o in q.options if o.value == known[q.id]), known[q.id]))
            for q in bundle.questions
            if q.id in known
        ]
        lead = "按您说的：" + "；".join(f"{text}——{label}" for text, label in answered) + "。\n"
        pending = next((q for q in bundle.questions if q.id not in ctx.answers), None)
        intro = bundle_intro(bundle)
        if pending is None:
            return self.step(ctx, {"code": bundle.code}, lead=lead)
        ctx.pending = pending.id
        head = intro.text.split("\n先回答几个问题", 1)[0]
        return [bundle_question(bundle, pending, f"{head}\n{lead}再回答几个问题，给您列出只属于您的材料清单。\n")]

    def prefill(self, ctx: Context, bundle: Bundle, said: str) -> dict[str, str]:
        """The answers the first message states: a quantity ("三百五十平"), an option named ("个体户"),
        a yes it states ("二代残疾证早就有了")."""
        questions = [(q.id, q.text, options_of(q)) for q in bundle.questions]
        known = implied(said, "", "", [], questions)
        for q in bundle.questions:
            if q.id not in known:
                value = stated(said, q.text, options_of(q), q.answer_type)
                if value is not None:
                    known[q.id] = value
        ctx.answers.update(known)
        return known

    def pending_question(self, ctx: Context, bundle: Bundle) -> BundleQuestion | None:
        return next((q for q in bundle.questions if q.id == ctx.pending and q.id not in ctx.answers), None)

    def typed_answer(self, ctx: Context, bundle: Bundle, text: str) -> list[Reply] | None:
        """``text`` as the answer to the pending question, or None when it answers nothing."""
        question = self.pending_question(ctx, bundle)
        if question is None:
            return None
        value = match_option(text, question.text, options_of(question), question.answer_type)
        if value is None:
            return None
        label = next(o.label for o in question.options if o.value == value)
        return self.step(
            ctx, {"code": bundle.code, "question": question.id, "answer": value}, lead=f"好的，{label}。", said=text
        )

    def step(self, ctx: Context, slots: dict, lead: str = "", said: str = "") -> list[Reply]:
        """Record an answer (a button's, or ``said`` in words) and ask the next open question."""
        bundle = self.entry(slots.get("code") or ctx.code)
        if not isinstance(bundle, Bundle):
            return []
        if ctx.code != bundle.code:
            ctx.focus("bundle", bundle.code)
        ctx.kind, ctx.code = "bundle", bundle.code
        question, answer = slots.get("question"), slots.get("answer")
        if question and answer:
            ctx.answers[str(question)] = str(answer)
            self._settle_later(ctx, bundle, str(question), str(answer), said)
        pending = next((q for q in bundle.questions if q.id not in ctx.answers), None)
        if pending is not None and slots.get("question") is not None:
            ctx.pending = pending.id
            return [bundle_question(bundle, pending, lead)]
        ctx.pending = None
        try:
            reply = checklist_reply(self.checklist(ctx, bundle))
        except ChecklistError as exc:
            ctx.answers, ctx.done = {}, []
            return [Reply(f"抱歉，{exc}。我们从头再来一次。"), *self.intro(ctx, bundle)]
        if lead:
            reply.text = lead + reply.text
        return [reply]

    @staticmethod
    def _settle_later(ctx: Context, bundle: Bundle, qid: str, answer: str, said: str) -> None:
        """Later questions the answer makes moot ("50 平方米以下" = 是 settles "超过 300 平方米"),
        whether it came by button or in words."""
        question = next((q for q in bundle.questions if q.id == qid), None)
        if question is None:
            return
        later = [(q.id, q.text, options_of(q)) for q in bundle.questions if q.id not in ctx.answers]
        ctx.answers.update(implied(said, answer, question.text, options_of(question), later))

    def checklist(self, ctx: Context, bundle: Bundle):
        guides = self.guides(bundle)
        have = {material_key(d) for d in ctx.done}
        # a guide whose result the citizen already holds (营业执照) need not be applied for
        held = {code for code, g in guides.items() if g.result and material_key(g.result) in have}
        usable = {code: g for code, g in guides.items() if code not in held}
        skipped = bundle.model_copy(
            update={"guides": [link for link in bundle.guides if link.code not in held]}
        )
        if held and len(skipped.guides) >= 1:
            try:
                return build_checklist(skipped, usable, ctx.answers, ctx.done)
            except ChecklistError:
                pass
        return build_checklist(bundle, guides, ctx.answers, ctx.done)

    def tick(self, ctx: Context, text: str) -> list[Reply] | None:
        """ "营业执照我已经有了": tick the material off the checklist in context (None: no match)."""
        bundle = self.entry(ctx.code)
        if not isinstance(bundle, Bundle):
            return None
        try:
            checklist = self.checklist(ctx, bundle)
        except ChecklistError:
            return None
        names = [m.name for m in checklist.materials if not m.done]
        names += [g.result for g in self.guides(bundle).values() if g.result and g.result not in names]
        found = materials_mentioned(text, names)
        if not found:
            return None
        ctx.done = sorted(set(ctx.done) | set(found))
        replies = self.step(ctx, {})
        if replies:
            replies[-1].text = f"好的，已为您划掉：{'、'.join(found)}。\n" + replies[-1].text
        return replies

    def detail(self, ctx: Context, bundle: Bundle, aspect: str) -> list[Reply]:
        guides = self.guides(bundle)
        try:  # the citizen's answers so far decide which guides apply
            checklist = self.checklist(ctx, bundle)
        except ChecklistError:
            checklist = build_checklist(bundle, guides, {}, [])
        return [bundle_detail(checklist, guides, aspect)]
