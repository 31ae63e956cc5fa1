"""The dialogue core without a server: follow-ups from the whole guide, context moves, small talk, 一件事 typed.

Expectations come from the sample guides (knowledge/data): e.g. the 出生登记 conditions say
"出生后一个月内申报", the 无犯罪记录证明 FAQ says the certificate has no validity of its own,
the 东城区机动车登记服务站 does not open on Saturdays.
"""

from __future__ import annotations

import pytest

from assistant.dialogue.context import Context
from assistant.retrieval_dialogue import RetrievalDialogue

NO_CRIME = "370199-000101011000-GG-011-01"
ID_RENEW = "370199-000101002000-QR-002-01"
ID_LOST = "370199-000101003000-QR-003-01"
BIRTH = "370199-000101005000-QR-005-01"
RESIDENCE = "370199-000101010000-GG-010-01"
LICENCE_RENEW = "370199-000103001000-XK-001-01"
RESTAURANT = "YJS-370199-002"
SOLE_TRADER = "370199-000501003000-QR-003-01"
DISABILITY_NEW = "370199-001001001000-QR-001-01"
DISABILITY_RENEW = "370199-001001002000-QR-002-01"
SIMPLE_DEREG = "370199-000501005000-QT-005-01"
PLAIN_DEREG = "370199-000501006000-QT-006-01"
FUND_LOAN = "370199-000301005000-GG-005-01"
PENSION_CHECK = "370199-000201005000-GG-005-01"
MATERNITY = "370199-000202007000-JF-007-01"
PASSPORT = "370199-000102001000-XK-001-01"
FUND_PROOF = "370199-000301006000-GG-006-01"
PENSION_RESIDENT = "370199-000201001000-GG-001-01"
LEGAL_AID = "370199-001901001000-JF-001-01"
MEDICAL_RESIDENT = "370199-000202001000-GG-001-01"
PUBLIC_RENTAL = "370199-001101001000-JF-001-01"
ID_TEMPORARY = "370199-000101004000-QR-004-01"
EMPLOYMENT_CARD = "370199-000201011000-GG-011-01"
VETERAN_CARD = "370199-001801001000-GG-001-01"
FUNERAL_GRANT = "370199-000201013000-JF-013-01"
FUND_RETIRE = "370199-000301004000-GG-004-01"
DISABILITY_SUBSIDY = "370199-000701008000-JF-008-01"
HOMESTEAD = "370199-002001001000-XK-001-01"
USED_CAR = "370199-000103004000-XK-004-01"


@pytest.fixture(scope="module")
def core(sample_entries, stub_index_dir, tmp_path_factory):
    """One read-only core for the module (the core never writes to the store)."""
    from assistant.database import open_store
    from knowledge.retrieval import Retriever
    from nlu.synonyms import SynonymTable
    from nlu.tokenizer import ChineseTokenizer
    from tests.stubs import STUB_THRESHOLDS, HashEmbedder

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('core') / 'core.db'}")
    store.save_many(sample_entries, author="test", publish=True)
    retriever = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=stub_index_dir
    )
    retriever.warm_up(sample_entries)
    yield RetrievalDialogue(retriever, store)
    store.engine.dispose()


def at(code: str, kind: str = "guide", *earlier: str) -> Context:
    ctx = Context()
    for c in reversed(earlier):
        ctx.focus("guide", c)
    ctx.focus(kind, code)
    return ctx


def say(core, ctx, text, **kw) -> str:
    return "\n".join(r.text for r in core.turn(ctx, text, **kw))


def test_validity_is_not_the_processing_time(core):
    answer = say(core, at(NO_CRIME), "有效期多久")
    assert "不设有效期" in answer and "工作日" not in answer
    assert "承诺 1 个工作日" in say(core, at(NO_CRIME), "多久能拿到")


def test_deadline_comes_from_the_conditions(core):
    assert "一个月内" in say(core, at(BIRTH), "出生后多久之内要去报")


def test_validity_not_in_the_guide_is_said_plainly(core):
    answer = say(core, at(ID_LOST), "补的身份证有效期多久")
    assert "没有写明" in answer and "12345" in answer


def test_saturday_per_hall(core):
    answer = say(core, at(LICENCE_RENEW), "周六能办吗")
    assert "车辆管理所：可以办理" in answer and "东城区机动车登记服务站：周六不办公" in answer


def test_which_hall_on_saturday_gives_the_address_of_those_open(core):
    answer = say(core, at(LICENCE_RENEW), "周六去哪个大厅能办")
    assert "高新区车管路1号" in answer and "东城区机动车登记服务站：周六不办公" in answer


def test_the_hall_in_a_named_district(core):
    answer = say(core, at(ID_RENEW), "西城区哪里能办")
    assert "西城区" in answer and "东城区" not in answer


def test_a_word_the_guide_does_not_mention_is_said_plainly(core):
    assert "没有写明“体检”" in say(core, at(RESIDENCE), "要体检不")


def test_conditions_answer_how_long_one_must_have_lived_here(core):
    assert "居住满半年" in say(core, at(RESIDENCE), "得住多久才能办")


@pytest.mark.parametrize("text", ["不收钱吧", "要收费不"])
def test_negative_questions_are_follow_ups_not_goodbyes(core, text):
    answer = say(core, at(ID_RENEW), text, intent="deny")
    assert "工本费20元" in answer and "还有别的" not in answer


@pytest.mark.parametrize("text", ["不", "不用了"])
def test_a_plain_no_without_anything_pending_is_the_end_of_the_topic(core, text):
    answer = say(core, at(ID_RENEW), text, intent="deny")
    assert ("还有别的" in answer or "祝您办事顺利" in answer) and "工本费" not in answer


def test_correction_goes_to_the_other_service_of_the_same_subject(core):
    ctx = at(ID_LOST)
    answer = say(core, ctx, "不是补办，是到期了要换")
    assert ctx.code == ID_RENEW and "居民身份证换领" in answer


def test_a_correction_stays_with_the_subject_unless_it_names_another(core):
    # 残疾人证 stays 残疾人证 although "到期了要换" is the wording of the ID card's renewal
    ctx = at(DISABILITY_NEW)
    assert "残疾人证换领" in say(core, ctx, "不是头一回办，是旧证到期了要换") and ctx.code == DISABILITY_RENEW


def test_a_correction_without_the_word_shi(core):
    ctx = at(SIMPLE_DEREG)
    say(core, ctx, "哦不对，公司还有几笔欠款没结清，那咋注销")
    assert ctx.code == PLAIN_DEREG


def test_returning_to_a_topic_answers_its_faq(core):
    ctx = at(NO_CRIME, "guide", FUND_LOAN)
    answer = say(core, ctx, "再问下刚才贷款那个，最多能贷多少")
    assert ctx.code == FUND_LOAN and "60万元" in answer


def test_words_of_the_guides_own_name_do_not_make_an_answer(core):
    # the guide says one authenticates every year, not what happens when one forgets
    answer = say(core, at(PENSION_CHECK), "要是忘了认证，养老金会停发吗")
    assert "没有写明" in answer


def test_who_goes_in_colloquial_words(core):
    assert "用人单位" in say(core, at(MATERNITY), "要我自己去跑吗")


def test_return_to_an_earlier_topic_then_its_follow_up(core):
    ctx = at(LICENCE_RENEW, "guide", ID_LOST)
    answer = say(core, ctx, "身份证那个呢，多久能拿到")
    assert ctx.code == ID_LOST and "居民身份证补领" in answer and "20 个工作日" in answer
    ctx = at(LICENCE_RENEW, "guide", ID_LOST)
    say(core, ctx, "刚才那个要带什么")
    assert ctx.code == ID_LOST


def test_recent_topics_are_a_short_stack(core):
    ctx = Context()
    for code in (NO_CRIME, ID_RENEW, ID_LOST, BIRTH, RESIDENCE, LICENCE_RENEW):
        ctx.focus("guide", code)
    assert [c for _, c in ctx.topics][:2] == [LICENCE_RENEW, RESIDENCE] and len(ctx.topics) == 5


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("谢谢，没别的了", "祝您办事顺利", "没有找到"),
        ("你是机器人吗", "不是真人", "没有找到"),
        ("你们热线电话多少", "12345", "哪个事项"),
        ("你真是个废物", "转人工", "废物"),
    ],
)
def test_small_talk(core, text, expected, absent):
    answer = say(core, Context(), text)
    assert expected in answer and absent not in answer


def test_thanks_with_a_question_is_the_question(core):
    assert "材料" in say(core, at(ID_RENEW), "谢谢，那要带什么材料")


def test_bundle_answers_typed_in_words(core):
    ctx = Context()
    core.show(ctx, "bundle", RESTAURANT)
    assert ctx.pending == "entity"
    assert "50 平方米以下" in say(core, ctx, "个体户")
    assert ctx.answers == {"entity": "个体工商户"}
    say(core, ctx, "面积不大，大概50平")
    # 50 平 answers both area questions: the 300 平方米 one is never asked
    assert ctx.answers["small_shop"] == "是" and ctx.answers["area_over_300"] == "否"
    assert ctx.pending == "signboard"
    say(core, ctx, "不设招牌")
    say(core, ctx, "还没有")
    assert ctx.answers["signboard"] == "否" and ctx.answers["need_gas"] == "否" and ctx.pending is None


def test_the_small_shop_button_settles_the_300_square_metre_question(core):
    """Pressing 是 for "50 平方米以下" means the shop is not over 300 m²: that question is not asked."""
    ctx = Context()
    core.walk.step(ctx, {"code": RESTAURANT, "question": "entity", "answer": "个体工商户"})
    replies = core.walk.step(ctx, {"code": RESTAURANT, "question": "small_shop", "answer": "是"})
    assert ctx.answers["area_over_300"] == "否" and ctx.pending == "signboard"
    assert "300" not in replies[-1].text


def test_a_question_during_the_walk_through_is_not_taken_for_an_answer(core):
    ctx = Context()
    core.show(ctx, "bundle", RESTAURANT)
    say(core, ctx, "有什么要注意的吗")
    assert "entity" not in ctx.answers


def test_ticking_the_licence_drops_the_guide_that_only_produces_it(core):
    ctx = Context()
    core.walk.step(ctx, {"code": RESTAURANT, "question": "entity", "answer": "个体工商户"})
    before = core.walk.checklist(ctx, core.entry(RESTAURANT))
    assert SOLE_TRADER in [g.code for g in before.guides]
    replies = core.tick(ctx, "营业执照我已经有了")
    assert replies and "营业执照" in replies[-1].text
    assert SOLE_TRADER not in [g["code"] for g in replies[-1].checklist["guides"]]




def test_a_message_asking_fee_and_place_gets_both(core):
    """ "多少钱，在哪办": the fee and the halls, not only the first aspect found."""
    text = say(core, at(ID_LOST), "补办多少钱，在哪办")
    assert "40元" in text and "和平路90号" in text


def test_a_field_answer_adds_the_statement_the_question_points_at(core):
    # 法律援助: "农民工讨薪等可免予经济状况审查" is what "讨薪" asks about, beside 不收费
    answer = say(core, at(LEGAL_AID), "讨薪可以申请免费律师吗")
    assert "不收费" in answer and "免予经济状况审查" in answer


def test_a_condition_for_other_residents_is_found_through_the_formal_term(core):
    # 外地户口 is 非本市户籍 in the guide: the material needed then
    answer = say(core, at(PUBLIC_RENTAL), "外地户口能申请吗")
    assert "劳动合同和社保缴费证明" in answer and "非本市户籍" in answer


def test_what_is_paid_into_an_insurance_is_not_the_handling_fee(core):
    pension = say(core, at(PENSION_RESIDENT), "一年交多少")
    assert "300元至5000元" in pension
    medical = say(core, at(MEDICAL_RESIDENT), "一年要交多少钱")  # the guide gives no premium
    assert "没有写明" in medical and "不收费" in medical


def test_a_material_of_the_guide_in_focus_keeps_the_topic(core):
    ctx = at(PUBLIC_RENTAL)
    answer = say(core, ctx, "无房证明要去哪开")
    assert ctx.code == PUBLIC_RENTAL and "在线查询不动产登记信息" in answer


def test_another_subject_is_not_read_as_a_follow_up(core):
    # nothing of 外国人/来华/工作许可 is in the passport guide; 工作 (of 窗口工作人员) is in every guide
    answer = say(core, at(PASSPORT), "那外国人来华的工作许可怎么办")
    assert "普通护照申领" not in answer


def test_where_to_go_says_when_no_trip_is_needed(core):
    answer = say(core, at(FUND_PROOF), "去哪打")
    assert "金融街20号" in answer and "全程网办" in answer


def test_naming_another_services_subject_leaves_the_topic(core):
    # 医保 (城乡居民基本医疗保险) is nowhere in the birth registration guide
    replies = core.turn(at(BIRTH), "对了，医保怎么给孩子办")
    shown = "\n".join([r.text for r in replies] + [b.title for r in replies for b in r.buttons])
    assert "城乡居民基本医疗保险" in shown and "【出生登记" not in shown


def test_a_first_question_gets_no_faq_for_the_words_that_found_the_guide(core):
    # "孩子" found 出生登记; its FAQ about 孩子随父还是随母 is not what was asked
    answer = say(core, Context(), "我想给孩子上户口")
    assert "出生登记" in answer and "随父还是随母" not in answer


def test_saying_the_topic_changes_is_never_a_follow_up(core):
    # 准生证 is an alias of 生育登记; nothing of it is in the veterans' card guide
    ctx = at(VETERAN_CARD)
    answer = say(core, ctx, "换个事问下 准生证在哪办")
    assert ctx.code != VETERAN_CARD and "退役军人优待证" not in answer


def test_a_service_named_with_words_between_its_parts(core):
    ctx = at(ID_LOST)
    answer = say(core, ctx, "临时的那种身份证多少钱")
    assert ctx.code == ID_TEMPORARY and "10元" in answer


def test_words_between_the_parts_that_change_the_subject_do_not_name_it(core):
    assert core.names("二手电动车过户怎么办", core.entry("370199-000103004000-XK-004-01")) is None


def test_an_either_or_question_is_answered_from_the_result(core):
    # 就业创业证申领: the result is 就业创业证（电子证）
    assert "电子证" in say(core, at(EMPLOYMENT_CARD), "给的是纸的还是电子的")


@pytest.mark.parametrize("text", ["谢谢你啊小同志 帮了大忙了", "谢谢师傅"])
def test_thanks_with_a_form_of_address_is_small_talk(core, text):
    assert "不客气" in say(core, at(ID_RENEW), text)


def test_words_too_broad_for_their_meaning_stay_out(core):
    # a certificate of payments is not a fee question; "还是算了吧" is not an either-or question;
    # "办完这个还要办别的事吗" is about the service in focus
    assert core.book.aspect_of("缴费证明在哪打印") != "fee"
    assert "工本费20元" not in say(core, at(ID_RENEW), "还是算了吧")
    ctx = at(ID_RENEW)
    say(core, ctx, "办完这个还要办别的事吗")
    assert ctx.code == ID_RENEW


def test_back_to_an_earlier_topic_with_shuo_hui(core):
    ctx = at("370199-000103005000-XK-005-01", "guide", "370199-000103004000-XK-004-01")
    answer = say(core, ctx, "还是说回过户 要带啥")
    assert ctx.code == "370199-000103004000-XK-004-01" and "二手车销售统一发票" in answer


def test_a_question_about_a_material_of_the_guide_in_focus_stays_with_it(core):
    # 照片 is a material of 居民身份证补领 (and of many guides): "多大尺寸" is asked about it
    ctx = at(ID_LOST)
    say(core, ctx, "照片要多大尺寸")
    assert ctx.code == ID_LOST


def test_what_the_citizen_receives_is_not_the_handling_fee(core):
    # 丧葬补助金: the guide gives no amount ("按月发放" says how, not how much)
    answer = say(core, at(FUNERAL_GRANT), "大概能给多少钱啊")
    assert "没有写明能领多少" in answer and "按月发放" not in answer
    assert "没有写明能领多少" in say(core, at(DISABILITY_SUBSIDY), "一个月给多少钱")
    assert "收费：不收费" in say(core, at(FUNERAL_GRANT), "办这个要交钱吗")


def test_how_often_is_not_how_long_it_takes(core):
    answer = say(core, at(PENSION_CHECK), "嗯 那这个多长时间要认证一回")
    assert "每年认证一次" in answer and "即办" not in answer


def test_who_may_go_comes_from_the_conditions_never_from_a_material(core):
    assert "由其遗属申领" in say(core, at(FUNERAL_GRANT), "我腿脚不好 我儿子替我去办行不行")
    answer = say(core, at(FUND_RETIRE), "我闺女替我去取行不行")  # "本人银行卡" says nothing of who goes
    assert "没有写明是否必须本人到场" in answer and "本人银行卡" not in answer


def test_an_eligibility_question_the_guide_does_not_settle_gets_the_conditions(core):
    answer = say(core, at(DISABILITY_SUBSIDY), "他是三级的 能领那个护理的吗")
    assert "残疾等级为一、二级" in answer


def test_what_the_guide_says_of_a_named_district_comes_first(core):
    answer = say(core, at(HOMESTEAD), "我们村算西城区的 能申请不")
    assert "不受理宅基地建房申请" in answer


def test_the_wait_after_the_result_is_not_the_processing_time(core):
    answer = say(core, at(PUBLIC_RENTAL), "批下来以后排队多久能住进去")
    assert "没有写明办好之后还要等多久" in answer and "45 个工作日" in answer


def test_a_material_not_ready_yet_asks_what_may_be_handed_in_later(core):
    ctx = at(SOLE_TRADER)
    answer = say(core, ctx, "铺面的租房合同还没签下来 能先办吗")
    assert ctx.code == SOLE_TRADER and "经营场所使用证明" in answer and "容缺后补" in answer


def test_a_hypothetical_about_the_guide_in_focus_is_answered_not_the_whole_guide(core):
    answer = say(core, at(PENSION_CHECK), "要是忘了认证 养老金会不会给停了")
    assert "没有写明这种情况" in answer and "需要带的材料" not in answer


def test_how_long_a_licence_lasts_is_its_validity(core):
    answer = say(core, at(SOLE_TRADER), "执照办下来能用几年")
    assert "没有写明营业执照的有效期" in answer


def _lone(core, code: str, p_in: float):
    from knowledge.ranking import Hit, SearchResult

    entry = core.entry(code)
    hit = Hit("guide", code, entry.name, entry.department, 0.45)
    return SearchResult("", "", "clarify", [hit], features={"p_in_scope": p_in, "close": 1})


def test_a_lone_candidate_in_the_citizens_own_words_is_shown_as_a_guess(core, monkeypatch):
    from assistant.dialogue.core import LIKELY_LEAD

    monkeypatch.setattr(core.retriever, "search", lambda text, top_k=3: _lone(core, FUND_RETIRE, 0.5))
    ctx = Context()
    answer = say(core, ctx, "我今年刚退休 原来单位交的那个公基金能都取出来不")
    assert answer.startswith(LIKELY_LEAD) and "退休证明" in answer and ctx.code == FUND_RETIRE


def test_a_lone_candidate_stays_a_question_when_unlikely_or_named_with_other_words(core, monkeypatch):
    monkeypatch.setattr(core.retriever, "search", lambda text, top_k=3: _lone(core, FUND_RETIRE, 0.1))
    assert say(core, Context(), "我今年刚退休 原来单位交的那个公基金能都取出来不").startswith("您是不是想问")
    monkeypatch.setattr(core.retriever, "search", lambda text, top_k=3: _lone(core, USED_CAR, 0.6))
    assert say(core, Context(), "二手电动车过户怎么办").startswith("您是不是想问")  # 电动 inside 二手车过户


def test_this_one_with_an_aspect_is_the_entry_in_focus_whatever_else_is_said(core):
    employer_fund = "370199-000301009000-GG-009-01"  # 单位住房公积金缴存登记: 设立之日起30日内
    answer = say(core, at(employer_fund), "公司上个月才注册下来的 这个有时间限制不 得多久之内去办")
    assert answer.startswith("【单位住房公积金缴存登记】") and "30日内" in answer


def test_a_subject_several_names_share_names_none_of_them(core, monkeypatch):
    """"身份证的事" names what 首次申领, 换领, 补领 and 临时身份证 all hold: a question with a
    button for each candidate holding it, never one of them shown as the likely one."""
    from knowledge.ranking import Hit, SearchResult

    hits = [Hit("guide", c, core.entry(c).name, "", s) for c, s in ((ID_LOST, 0.73), (ID_TEMPORARY, 0.5), (PASSPORT, 0.3))]
    monkeypatch.setattr(
        core.retriever, "search",
        lambda text, top_k=3: SearchResult("", "", "clarify", hits, features={"p_in_scope": 0.7, "close": 1}),
    )
    reply = core.turn(Context(), "身份证的事")[0]
    assert reply.text == "您是不是想问："
    assert [b.title for b in reply.buttons][:2] == [core.entry(ID_LOST).name, core.entry(ID_TEMPORARY).name]


def test_a_question_that_only_names_the_guide_gets_no_faq_first(core):
    from assistant.dialogue.guide_answers import best_faq

    passport = core.entry(PASSPORT)
    asked = passport.faqs[0].question
    assert best_faq(passport, "护照", matched=asked) is None  # the search's nearest text is a FAQ
    assert best_faq(passport, asked, matched=asked) is not None


DISABILITY_BUNDLE = "YJS-370199-014"
CLOSURE_BUNDLE = "YJS-370199-008"


def test_what_the_first_message_states_answers_the_bundle_questions(core):
    ctx = Context()
    answer = "\n".join(r.text for r in core.show(ctx, "bundle", DISABILITY_BUNDLE, text="我爸腿脚残疾 二代残疾证早就有了 补贴和低保能一起申请吗"))
    assert ctx.answers.get("has_card") == "是" and "按您说的" in answer
    assert ctx.pending != "has_card"


def test_a_material_named_while_another_question_is_open_is_ticked(core):
    ctx = Context()
    core.show(ctx, "bundle", DISABILITY_BUNDLE, text="残疾人的事想一起办")
    core.walk.step(ctx, {"code": DISABILITY_BUNDLE, "question": "has_card", "answer": "是"})
    pending = ctx.pending
    answer = say(core, ctx, "户口本我这儿有")
    assert "居民户口簿" in ctx.done and "划掉" in answer and ctx.answers.get(pending) is None


def test_materials_asked_mid_walk_are_those_so_far_and_the_question_comes_again(core):
    ctx = Context()
    core.show(ctx, "bundle", CLOSURE_BUNDLE)
    pending = ctx.pending
    replies = core.turn(ctx, "要带啥")
    assert "要准备这些材料" in replies[0].text and ctx.pending == pending and replies[-1].text.startswith("我们接着来")


FUND_PURCHASE = "370199-000301001000-GG-001-01"
SIMPLE_DEREG_CODE = SIMPLE_DEREG


def test_a_spouse_in_everyday_words_finds_the_faq_about_the_spouse(core):
    assert "结婚证" in say(core, at(FUND_PURCHASE), "我老婆的公积金也能一块取吗")


def test_a_named_districts_hall_gets_its_address_even_when_closed_that_day(core):
    answer = say(core, at(FUND_PURCHASE), "东城区那个管理部在哪 周六去行不行")
    assert "和平路88号" in answer and "周六不办公" in answer and "金融街" not in answer


def test_what_follows_a_hypothetical_is_said_to_be_unsaid(core):
    answer = say(core, at(SIMPLE_DEREG_CODE), "公示的时候要是有人提异议了咋办")
    assert "没有写明这种情况怎么办" in answer and "公示无异议" in answer


def test_i_said_it_wrong_is_a_correction(core):
    ctx = at(SIMPLE_DEREG_CODE)
    say(core, ctx, "我说错了，公司还欠着供应商的货款，走不了简易的，得正常注销")
    assert ctx.code == PLAIN_DEREG
    assert core.asks_about_service(at(SIMPLE_DEREG_CODE), "我说错了，公司还欠着钱，得正常注销")


def test_dialect_words_carry_no_content():
    """"得先办了啥才能领": 啥 is 什么, not half of a word the guide must hold ("没有写明“啥才”")."""
    from assistant.dialogue.guide_answers import content_words

    assert content_words("俺这发票咋领啊") == ["发票"]
    assert not any("啥" in w for w in content_words("得先办了啥才能领"))


def _sure(core, code: str):
    """The search sure of ``code`` (another entry than the one in focus)."""
    from knowledge.ranking import Hit, SearchResult

    entry = core.entry(code)
    return SearchResult("", "", "answer", [Hit("guide", code, entry.name, entry.department, 0.8)], features={"p_in_scope": 0.99})


def test_a_short_question_the_focus_own_faq_answers_stays_with_it(core, monkeypatch):
    fund_loan, startup_loan = "370199-000301005000-GG-005-01", "370199-000201015000-QT-015-01"
    monkeypatch.setattr(core.retriever, "search", lambda text, top_k=3: _sure(core, startup_loan))
    answer = say(core, at(fund_loan), "最多能贷多少")  # its FAQ: 最高能贷多少？
    assert answer.startswith("【个人住房公积金贷款申请】") and "60万元" in answer


def test_an_aspect_of_what_another_sure_entry_is_named_for_leaves_the_focus(core, monkeypatch):
    """"身份证多少钱" after 护照: 身份证 is one of its materials, but the question is the card's fee."""
    monkeypatch.setattr(core.retriever, "search", lambda text, top_k=3: _sure(core, ID_LOST))
    ctx = at(PASSPORT)
    assert say(core, ctx, "身份证多少钱").startswith("【居民身份证补领】") and ctx.code == ID_LOST


def test_how_much_one_may_get_at_most_is_not_the_fee(core):
    invoice = "370199-000601003000-QT-003-01"  # 发票领用: 不收费, and no 额度 stated
    answer = say(core, at(invoice), "一个月最多能开多少钱的票")
    assert "没有写明最多能办多少" in answer and not answer.startswith("【发票领用】收费")


def test_a_case_the_nearest_guide_never_speaks_of_is_not_answered_with_it(core):
    answer = say(core, Context(), "我对象是越南人，我们想在这边登记结婚，要准备啥")
    assert "没有写到外籍或境外的情形" in answer and "需要带的材料" not in answer
    assert "没有写到" not in say(core, Context(), "下个月去日本旅游，护照怎么办")  # 出境 is what it covers


def test_a_long_message_with_stop_in_a_word_is_no_goodbye(core):
    assert "还有别的要办或要问的吗" not in say(core, Context(), "家里停水三天了也没个通知")


@pytest.mark.parametrize(
    "text, said",
    [("行，晓得了，谢了哈", "不客气"), ("你是哪个部门的", "助手"), ("你好呀，我头一回用这个，不太会弄", "您好")],
)
def test_small_talk_in_everyday_words(core, text, said):
    assert said in say(core, Context(), text)


def test_a_material_asked_about_inside_a_form_is_answered_with_its_forms(core):
    from assistant.actions.in_form import in_form_answer

    sticker = core.entry("370199-000103005000-XK-005-01")  # 机动车检验合格标志核发
    reply = in_form_answer(core, "交强险我只有电子保单，行不行", sticker, asks_contact=False)
    assert reply is not None and "强制保险凭证（原件或电子）" in reply.text and "接着预约" in reply.text
    assert in_form_answer(core, "张三", sticker, asks_contact=False) is None


def test_this_whole_set_asks_about_the_bundle_in_focus(core):
    answer = say(core, at("YJS-370199-010", "bundle"), "这一套下来大概得几天")  # 二手房…一件事
    assert "承诺 5 个工作日内办结" in answer  # 这一套 is 一 normalised to 1: "这1套"


def test_where_and_saturday_when_no_hall_opens_then_gives_the_addresses(core):
    ride_hailing = "370199-001701002000-XK-002-01"  # 网络预约出租汽车驾驶员证申领: weekdays only
    answer = say(core, at(ride_hailing), "交通局那个窗口在哪 礼拜六上班不")
    assert "周六不办公" in answer and "交通路9号" in answer


def test_how_much_aid_is_what_is_received_not_the_fee(core):
    temp_aid = "370199-000701006000-JF-006-01"  # 临时救助申请: states no amount
    answer = say(core, at(temp_aid), "一般能救助多少钱")
    assert "没有写明" in answer and "能领多少" in answer


@pytest.mark.parametrize(
    "code, text, said",
    [
        ("370199-000202006000-JF-006-01", "报的钱打到哪", "发放至社会保障卡"),  # the result says where
        ("370199-000601001000-QT-001-01", "退的钱多久能到账", "没有写明"),  # 个税汇算: it does not say
    ],
)
def test_when_and_where_money_arrives(core, code, text, said):
    assert said in say(core, at(code), text)


def test_this_car_is_the_car_in_focus_even_beside_another_services_alias(core):
    answer = say(core, at(USED_CAR), "这车之前贷款买的 还押在银行没解押 能先过户吗")  # 解押: 不动产抵押权注销's
    assert "已解除抵押" in answer and "不动产" not in answer


def test_a_result_the_entry_in_focus_gives_too_keeps_it(core):
    inherit = "370199-000401006000-QR-006-01"  # 继承不动产转移登记: its result is 不动产权证书, as 新建商品房's is
    answer = say(core, at(inherit), "新房本多久能拿到")  # the search is sure of 新建商品房转移登记
    assert answer.startswith("【继承不动产转移登记】") and "10 个工作日" in answer


@pytest.mark.parametrize(
    "code, text, said, unsaid",
    [
        ("370199-000601001000-QT-001-01", "我七月份再去办还来得及吗", "6月30日", "办理时限"),  # 个税汇算's deadline
        ("370199-000501010000-QT-010-01", "备案凭证过几年要重新办", "没有写明", "收费"),  # validity, not stated
    ],
)
def test_deadline_and_validity_in_everyday_words(core, code, text, said, unsaid):
    answer = say(core, at(code), text)
    assert said in answer and unsaid not in answer


def test_how_many_days_until_it_is_approved_is_the_processing_time(core):
    temp_aid = "370199-000701006000-JF-006-01"  # 临时救助申请: 承诺 5 个工作日
    assert "5 个工作日" in say(core, at(temp_aid), "交上去多少天能批")


@pytest.mark.parametrize(
    "text, said",
    [("名字报下来以后能给保留多久", "没有写明"), ("核名不用跑现场吧", "全程网办")],
)
def test_keeping_a_name_and_not_going_in_person(core, text, said):
    name_check = "370199-000501001000-QT-001-01"  # 企业名称自主申报: no validity stated, 全程网办
    assert said in say(core, at(name_check), text)


def test_a_colloquial_word_for_what_the_guide_says_is_no_new_subject(core):
    leave = "370199-000301003000-GG-003-01"  # 住房公积金提取（离职销户）: a material for 非本市户籍
    answer = say(core, at(leave), "我是外地户口的 要多带点啥")
    assert answer.startswith("【住房公积金提取（离职销户）】") and "解除劳动合同证明" in answer
