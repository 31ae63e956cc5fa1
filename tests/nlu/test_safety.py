"""Emergencies are recognised in both directions: every one of them, and no ordinary question.

The messages are written the way citizens report them (12345 / 110 call phrasing, paraphrased);
the ordinary questions share their words on purpose (燃气报装, 消防安全检查, 走失儿童的户口).
"""

from __future__ import annotations

import pytest

from nlu.safety import SafetyCheck, SafetyTableError, default_check

EMERGENCIES = {
    "gas_leak": [
        "家里一股煤气味，好像燃气泄漏了",
        "厨房燃气管漏气了怎么办",
        "闻到很浓的天然气味道",
        "楼道里有燃气味",
        "液化气罐漏气了",
        "厨房的燃气报警器一直在响",
    ],
    "fire": [
        "楼下着火了",
        "我家厨房起火了快来人",
        "电动车在楼道里烧起来了",
        "对面楼冒黑烟，好像失火了",
        "油锅着火了",
        "樓下著火了",
    ],
    "medical": [
        "孩子误吃了药",
        "我爸突然晕倒了叫不醒",
        "老人喝了农药",
        "宝宝误食了洗衣凝珠",
        "我妈心脏病犯了",
        "家里有人煤气中毒了",
        "孩子吞了硬币卡住了",
        "吃了野蘑菇以后上吐下泻",
        "我朋友吞了一整瓶安眠药",
    ],
    "missing_person": [
        "老人走失了",
        "我家孩子找不到了",
        "我爸有老年痴呆，早上出门到现在没回家",
        "女儿放学到现在还没回来，电话也打不通",
        "奶奶在菜市场走丢了",
    ],
    "violence": [
        "有人在打人",
        "有人持刀在小区里",
        "我老公又打我，家暴",
        "门口有人撬门",
        "有人在砸我家门，说要砍人",
        "刚才接到电话让我转账，说是公安局的",
        "他喝了酒又动手打人，我躲在房间里不敢出去",
    ],
    "water_rescue": [
        "有个小孩掉进池塘里了",
        "河边有人溺水",
        "快来人，有人落水了",
    ],
    "lift_trapped": [
        "电梯困人",
        "我被困在电梯里了",
        "电梯卡住了出不来",
        "电梯停在两层中间，里面有人",
    ],
    "self_harm": [
        "不想活了",
        "活着没意思，想自杀",
        "我真的活不下去了",
        "想结束自己的生命",
    ],
}

ORDINARY = [
    "防溺水安全教育课在哪报名", "溺水保险怎么理赔", "有事打我电话就行", "水库移民补助怎么申请",
    "燃气报装", "燃气费怎么交", "燃气过户要什么材料", "新房怎么通燃气", "燃气开户怎么办",
    "商用燃气报装要多久", "燃气报警器在哪里买", "开饭店要装燃气", "消防安全检查怎么办",
    "公众聚集场所投入使用营业前消防安全检查", "开饭店要消防验收吗", "火灾事故认定怎么申请",
    "走失儿童的户口怎么办", "被拐卖儿童找回后怎么落户", "宣告失踪怎么申请", "身份证丢了怎么补办",
    "户口本不见了怎么办", "驾驶证丢了怎么补", "老旧小区加装电梯有补贴吗", "电梯年检找哪个部门",
    "电梯维保费用怎么收", "死亡证明怎么开", "死亡注销户口要什么材料", "急诊费用医保能报销吗",
    "120急救车收费标准", "药店要办什么许可证", "开药店要什么手续", "孩子上学要什么材料",
    "老人办老年证", "老人去世了养老金怎么办", "低保怎么申请", "偷税漏税怎么举报",
    "楼下饭店油烟太大", "工地晚上施工太吵了", "小区停车乱收费", "我想开个小饭馆", "护照怎么办",
    "结婚登记要带什么", "离婚登记需要两个人都去吗", "出生证明丢了怎么补", "社保卡丢了怎么挂失",
    "钱包丢了怎么办", "交通事故认定", "家里老人想办居住证", "孩子满月了要上户口",
    "工厂排放浓烟怎么举报", "电梯加装要业主同意吗", "被拐儿童的户口怎么登记",
    "燃气报警器在哪里买", "上个月在饭店吃饭食物中毒了想投诉", "我家狗走丢了能发寻狗启事吗",
]  # fmt: skip


@pytest.fixture(scope="module")
def check() -> SafetyCheck:
    return default_check()


def test_every_emergency_is_recognised_as_its_kind(check):
    wrong = {}
    for kind, messages in EMERGENCIES.items():
        for message in messages:
            found = check.detect(message)
            if found is None or found.id != kind:
                wrong[message] = found.id if found else None
    total = sum(len(m) for m in EMERGENCIES.values())
    assert not wrong, f"{len(wrong)}/{total} emergencies missed or wrong: {wrong}"


def test_no_false_alarm_on_ordinary_questions_sharing_the_words(check):
    assert len(ORDINARY) >= 40
    alarms = {q: check.detect(q).id for q in ORDINARY if check.detect(q)}
    assert not alarms, f"{len(alarms)}/{len(ORDINARY)} false alarms: {alarms}"


def test_button_payloads_are_never_emergencies(check):
    assert check.detect('/complain{"text": "着火了"}') is None


def test_every_kind_has_a_number_and_first_steps(check):
    kinds = {k.id: k for k in check.kinds}
    assert set(EMERGENCIES) <= set(kinds)
    assert "119" in [n.number for n in kinds["fire"].numbers]
    assert "120" in [n.number for n in kinds["medical"].numbers]
    assert "110" in [n.number for n in kinds["missing_person"].numbers]
    assert "12356" in [n.number for n in kinds["self_harm"].numbers]
    assert any("阀门" in step for step in kinds["gas_leak"].advice)
    assert check.fallback.number == "119"


BROKEN = {
    "missing_numbers": ("kinds[1].numbers", "缺少"),
    "bad_regex": ("kinds[1].patterns[1]", "正则"),
    "bad_number": ("kinds[1].numbers[1].number", "不像电话号码"),
    "matches_everything": ("kinds[1].patterns[1]", "空文本"),
}


def _table(kind: str) -> str:
    numbers = '    numbers:\n      - {name: 火警, number: "119"}\n'
    patterns = "    patterns: [着火]\n"
    if kind == "missing_numbers":
        numbers = ""
    elif kind == "bad_regex":
        patterns = "    patterns: ['着火(']\n"
    elif kind == "bad_number":
        numbers = "    numbers:\n      - {name: 火警, number: 打一一九}\n"
    elif kind == "matches_everything":
        patterns = "    patterns: ['.*']\n"
    return (
        'fallback: {name: 火警, number: "119"}\nkinds:\n  - id: fire\n    name: 火情\n'
        f"{patterns}    lead: 打 119\n{numbers}    advice: [先逃生]\n"
    )


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_table_names_file_line_and_field(tmp_path, kind):
    path = tmp_path / "emergencies.yaml"
    path.write_text(_table(kind), encoding="utf-8")
    field, words = BROKEN[kind]
    with pytest.raises(SafetyTableError) as err:
        SafetyCheck.load(path)
    message = str(err.value)
    assert str(path) in message and "第 " in message and field in message and words in message


def test_a_valid_small_table_loads(tmp_path):
    path = tmp_path / "emergencies.yaml"
    path.write_text(_table("ok"), encoding="utf-8")
    check = SafetyCheck.load(path)
    assert check.detect("家里着火了").id == "fire" and check.detect("消防检查") is None
