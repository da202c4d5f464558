"""Target extraction on the seed documents, written out target by target, plus the rules for non-targets."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tracker.normalize.chinese import to_simplified
from tracker.normalize.targets import extract, extract_targets

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
_PINYIN_RE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")
FIELDS = ("indicator", "value", "value_max", "unit", "qualifier", "comparator")


@cache
def seed_paragraphs(prefix: str) -> tuple[str, ...]:
    """Body paragraphs of a seed as the normaliser hands them over: simplified, no pinyin, no mojibake."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    if prefix in ("001", "002"):
        text = to_simplified(text, traditional=True)
    text = _PINYIN_RE.sub("", text)
    paragraphs = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line and "\ufffd" not in line and not line.startswith("?"):
            paragraphs.append(line)
    return tuple(paragraphs)


def seed_targets(prefix: str) -> dict[str, dict[str, Any]]:
    return extract_targets(list(seed_paragraphs(prefix)))


def rows(targets: dict[str, dict[str, Any]], section: str) -> list[tuple[Any, ...]]:
    return [tuple(t[f] for f in FIELDS) for t in targets.values() if t["section"] == section]


def test_000_main_expected_targets() -> None:
    assert rows(seed_targets("000"), "主要预期目标") == [
        ("地区生产总值", 5.5, None, "%", "左右", "增长"),
        ("一般公共预算收入", 4, None, "%", "左右", "增长"),
        ("固定资产投资", 4550, None, "亿元", None, None),
        ("社会消费品零售总额", 6.5, None, "%", "左右", "增长"),
        ("外贸进出口", None, None, None, None, "稳中提质"),
        ("实际使用外资", 38, None, "亿美元", None, None),
        ("城镇新增就业", 13, None, "万人", None, None),
        ("居民人均可支配收入", None, None, None, None, "与经济增长基本同步"),
        ("居民消费价格涨幅", None, None, None, None, "控制在省定范围内"),
        ("节能减排、水和大气环境质量等约束性指标", None, None, None, None, "完成省下达目标"),
        ("粮食产量", None, None, None, None, "保持基本稳定"),
    ]


def test_001_plan_targets_after_traditional_to_simplified() -> None:
    assert rows(seed_targets("001"), "重点计划目标") == [
        ("地区生产总值", 7, None, "%", None, "增长"),
        ("一般公共预算收入", 5, None, "%", None, "增长"),
        ("规模以上工业增加值", 8, None, "%", None, "增长"),
        ("社会消费品零售总额", 8, None, "%", None, "增长"),
        ("外贸进出口", None, None, None, None, "“稳中提质”"),
        ("实际使用外资", 38, None, "亿美元", None, None),
        ("全社会研发经费支出占GDP比重", 3.5, None, "%", None, "达到"),
        ("高新技术产业产值占规上工业总产值比重", 48.5, None, "%", None, "达到"),
        ("居民消费价格涨幅", None, None, None, None, "控制在省定范围内"),
        ("城乡居民人均可支配收入", None, None, None, None, "与经济增长基本同步"),
        ("城镇登记失业率", 3, None, "%", "以内", "控制在"),
        ("城镇新增就业", 13.5, None, "万人", None, None),
        ("节能减排和大气、水环境质量等约束性指标", None, None, None, None, "确保完成省下达的目标任务"),
    ]


def test_003_semicolon_separated_expected_targets() -> None:
    targets = seed_targets("003")
    assert rows(targets, "主要预期目标") == [
        ("地区生产总值", 6, None, "%", "左右", "增长"),
        ("一般公共预算收入", 3, None, "%", "左右", "增长"),
        ("社会消费品零售总额", 6, None, "%", "左右", "增长"),
        ("实际使用外资和进出口总额", None, None, None, None, "稳中提质"),
        ("居民人均可支配收入增速", None, None, None, None, "与经济增速同步"),
        (
            "主要污染物减排、单位GDP能耗下降,大气、水环境质量改善",
            None,
            None,
            None,
            None,
            "完成市下达任务",
        ),
        ("安全生产形势", None, None, None, None, "平稳向好"),
    ]
    texts = [t["text"] for t in targets.values() if t["section"] == "主要预期目标"]
    assert texts[5] == "主要污染物减排、单位GDP能耗下降,大气、水环境质量改善完成市下达任务"


def test_000_first_section_target_by_target() -> None:
    section = "(一)聚力稳定经济运行"
    assert rows(seed_targets("000"), section) == [
        ("新增国家专精特新“小巨人”企业", 80, None, "家", "以上", "新增"),
        ("培育制造业单项冠军企业", 5, None, "家", None, "培育"),
        ("新增规上工业企业", 500, None, "家", "以上", "新增"),
        ("举办产业链对接活动", 100, None, "场", "以上", "举办"),
        ("市重大产业项目完成投资", 1450, None, "亿元", None, None),
        ("工业投资", 1000, None, "亿元", "超", None),
        ("新备案超10亿元项目", 80, None, "个", "以上", "新备案"),
        ("超50亿元项目", 15, None, "个", None, None),
        ("超100亿元项目", 8, None, "个", None, None),
        ("市重大产业项目新开工", 110, None, "个", None, "新开工"),
        ("市重大产业项目竣工", 100, None, "个", None, "竣工"),
        ("金融机构存贷款规模", 5, None, "万亿元", None, "突破"),
        ("科技型企业贷款余额", 12, None, "%", None, "增长"),
        ("发放“锡科贷”“苏科贷”", 100, None, "亿元", "以上", "发放"),
        ("年新增注册基金", 1000, None, "亿元", "超", None),
    ]


def test_000_sections_keep_texts_and_keys() -> None:
    targets = seed_targets("000")
    key = "(一)聚力稳定经济运行/工业投资[元]"
    assert targets[key]["text"] == "其中工业投资超1000亿元"
    assert targets["(一)聚力稳定经济运行/超50亿元项目[个]"]["text"] == "其中超50亿元15个"
    assert targets["主要预期目标/地区生产总值[%]"]["text"] == "地区生产总值增长5.5%左右"
    sections = list(dict.fromkeys(t["section"] for t in targets.values()))
    assert sections == [
        "主要预期目标",
        "(一)聚力稳定经济运行",
        "(二)聚力强化创新驱动",
        "(三)聚力强链补链延链",
        "(四)聚力深化改革开放",
        "(五)聚力优化空间布局",
        "(六)聚力绿色低碳转型",
        "(八)聚力推进共同富裕",
        "(九)聚力加强基层治理",
    ]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "(二)聚力强化创新驱动/科技型中小企业评价入库[家]",
            ("科技型中小企业评价入库", 1.4, None, "万家", None, "达"),
        ),
        (
            "(三)聚力强链补链延链/实施年度重点场景[个]",
            ("实施年度重点场景", 20, None, "个", None, "实施"),
        ),
        (
            "(四)聚力深化改革开放/打造新型工业集约聚合区[个]",
            ("打造新型工业集约聚合区", 50, None, "个", None, "打造"),
        ),
        ("(五)聚力优化空间布局/客货运吞吐量[吨]", ("客货运吞吐量", 14.5, None, "万吨", None, "达")),
        (
            "(五)聚力优化空间布局/实施改造老旧小区[平方米]",
            ("实施改造老旧小区", 424, None, "万平方米", None, "实施改造"),
        ),
        (
            "(六)聚力绿色低碳转型/新增绿色制造标杆[个]",
            ("新增绿色制造标杆", 35, None, "个", "不少于", "新增"),
        ),
        (
            "(九)聚力加强基层治理/开通“先离场后付费”停车场[个]",
            ("开通“先离场后付费”停车场", 200, None, "个", None, "开通"),
        ),
        ("(九)聚力加强基层治理/新增注册用户[人]", ("新增注册用户", 30, None, "万人", None, "新增")),
    ],
)
def test_000_section_targets(key: str, expected: tuple[Any, ...]) -> None:
    target = seed_targets("000")[key]
    assert tuple(target[f] for f in FIELDS) == expected


def test_003_ranges_alternatives_and_each() -> None:
    section = "一、聚焦产业强区不动摇"
    got = rows(seed_targets("003"), section)
    assert got[:4] == [
        ("招引落户总投资超30亿元或3亿美元产业项目", 2, None, "个", None, "招引"),
        ("招引总投资超10亿元或1亿美元产业项目", 5, None, "个", None, "招引"),
        ("招引首店首牌项目", 30, None, "个", None, "招引"),
        ("招引数字经济项目", 50, None, "个", None, "招引"),
    ]
    assert ("招引数据服务头部企业", 4, 5, "家", None, "招引") in got
    assert ("新增超亿元企业", 3, 5, "家", None, "新增") in got
    assert ("培育国家级绿色工厂(供应链)", 1, None, "家", None, "培育") in got
    assert ("服务型制造示范企业(平台)", 1, None, "家", None, "培育") in got


def seed_results(prefix: str) -> dict[str, dict[str, Any]]:
    return extract(list(seed_paragraphs(prefix)))[1]


# Seed 004's first sections review 2023 (回望过去一年 follows them, 新的一年 opens the plan): their
# figures are results, read with the same rules as targets.
def test_004_respectively_list_is_split() -> None:
    got = rows(seed_results("004"), "(三)在实战实效中推动创新驱动发展")
    assert got[:2] == [
        ("科技型中小企业", 12453, None, "家", None, "达"),
        ("高新技术企业", 6310, None, "家", None, "达"),
    ]


def test_004_value_list_after_a_list_of_indicators_names_each_target() -> None:
    # 战略性新兴产业、高新技术产业产值占规模以上工业比重达41.8%、51.8%: 分别 is left unsaid.
    targets = seed_results("004")
    assert [
        (key, t["value"]) for key, t in targets.items() if "比重" in key and t["value"] in (41.8, 51.8)
    ] == [
        ("/战略性新兴产业产值占规模以上工业比重[%]", 41.8),
        ("/高新技术产业产值占规模以上工业比重[%]", 51.8),
    ]


def test_damaged_heading_files_the_targets_after_it_under_its_own_section() -> None:
    paragraphs = [
        "(五)生态",
        "新建河道15条。",
        "?。┨嵘窆蚕戆",
        "新增城镇就业9万人。",
        "?。ǘ┐",
        "新增企业3家。",
    ]
    damaged = {"?。┨嵘窆蚕戆": (None, "发展新成效"), "?。ǘ┐": ("二", "产业集群")}
    sections = [t["section"] for t in extract_targets(paragraphs, damaged).values()]
    # a numeral the bytes lost is the one after the current section's
    assert sections == ["(五)生态", "(六)…发展新成效", "(二)…产业集群"]


def test_alternative_values_are_two_targets() -> None:
    targets = extract_targets(["一、开放。完成外资投资超30亿元或3亿美元。"])
    assert [(t["indicator"], t["value"], t["unit"]) for t in targets.values()] == [
        ("完成外资投资", 30, "亿元"),
        ("完成外资投资", 3, "亿美元"),
    ]
    assert len(set(targets)) == 2


@pytest.mark.parametrize("written", ["4,550亿元", "4550亿元", "四千五百五十亿元", "4550.0亿元"])
def test_equal_quantities_written_differently_are_equal(written: str) -> None:
    targets = extract_targets([f"主要预期目标:固定资产投资{written},外贸进出口稳中提质。"])
    assert targets["主要预期目标/固定资产投资[元]"]["value"] == 4550
    assert isinstance(targets["主要预期目标/固定资产投资[元]"]["value"], int)


@pytest.mark.parametrize(
    ("written", "value", "value_max", "qualifier"),
    [
        ("4-5家", 4, 5, None),
        ("4至5家", 4, 5, None),
        ("4家至5家", 4, 5, None),
        ("4～5家", 4, 5, None),
        ("超5家", 5, None, "超"),
        ("5家以上", 5, None, "以上"),
        ("不少于5家", 5, None, "不少于"),
        ("五家左右", 5, None, "左右"),
        ("5余家", 5, None, "余"),
    ],
)
def test_ranges_and_qualifiers(
    written: str, value: int, value_max: int | None, qualifier: str | None
) -> None:
    (target,) = extract_targets([f"一、企业。招引数据服务头部企业{written}。"]).values()
    assert (target["value"], target["value_max"], target["unit"], target["qualifier"]) == (
        value,
        value_max,
        "家",
        qualifier,
    )


def test_percent_ranges() -> None:
    (target,) = extract_targets(["主要预期目标:地区生产总值增长4.5%至5%。"]).values()
    assert (target["value"], target["value_max"], target["unit"]) == (4.5, 5, "%")


@pytest.mark.parametrize(
    "text",
    [
        "2024年政府工作重点",
        "确保“十四五”发展开好局",
        "落实促进民间投资12条措施",
        "实施现代服务业高质量发展三年行动",
        "(上接第1版)制定落实规划",
        "我们将重点做好以下九个方面工作",
        "全面落实“四个走在前”“四个新”重大任务",
        "每千人口医生数",
        "强化PM2.5和臭氧浓度“双控双减”",
        "让文明新风吹进千家万户",
        "按照省委十四届五次全会部署",
        "在18岁以上常住居民中常态化开展癌症防控行动",
        "推动“465”现代产业集群和“3010”重点产业链建设",
        "加快推进地铁4号线二期、5号线建设",
        "以优异成绩庆祝建党100周年",
        "推动我市企业各类榜单入围数稳中有升",
        "实现50亿元以下市值公司“一对一”研商服务全覆盖",
    ],
)
def test_not_targets(text: str) -> None:
    assert extract_targets(["(一)测试", text + "。"]) == {}


def test_qualitative_only_inside_target_lists() -> None:
    body = extract_targets(["(一)外贸。外贸进出口稳中提质,粮食产量保持基本稳定。"])
    listed = extract_targets(["主要预期目标:外贸进出口稳中提质,粮食产量保持基本稳定。"])
    assert body == {}
    assert [(t["indicator"], t["value"], t["comparator"]) for t in listed.values()] == [
        ("外贸进出口", None, "稳中提质"),
        ("粮食产量", None, "保持基本稳定"),
    ]


def test_output_has_exactly_the_contract_fields() -> None:
    for target in seed_targets("000").values():
        assert set(target) == {*FIELDS, "text", "section", "quantity"}


def _one(paragraphs: list[str]) -> tuple[str, dict[str, Any]]:
    (item,) = extract_targets(paragraphs).items()
    return item


@pytest.mark.parametrize(
    "changed",
    [
        "地区生产总值增长6%左右",  # value
        "地区生产总值增长5.5%以上",  # qualifier
        "地区生产总值增长5.50%左右",  # number rewritten, same unit
        "地区生产总值达到5.5%左右",  # comparator
    ],
)
def test_key_survives_value_qualifier_and_rewrite(changed: str) -> None:
    key, before = _one(["主要预期目标:地区生产总值增长5.5%左右。"])
    new_key, after = _one([f"主要预期目标:{changed}。"])
    assert new_key == key == "主要预期目标/地区生产总值[%]"
    assert after != before


def test_repeated_indicators_get_ordinal_keys_by_position() -> None:
    paragraphs = ["(一)项目", "新增企业5家。", "新增企业7家。", "(二)人才", "新增企业9家。"]
    targets = extract_targets(paragraphs)
    assert list(targets) == ["(一)项目/新增企业[家]", "(一)项目/新增企业[家]#2", "(二)人才/新增企业[家]"]
    swapped = extract_targets(["(一)项目", "新增企业7家。", "新增企业5家。", "(二)人才", "新增企业9家。"])
    assert list(swapped) == list(targets)
    assert swapped["(一)项目/新增企业[家]"]["value"] == 7


def test_heading_styles() -> None:
    targets = extract_targets(
        ["（二）聚力创新驱动,加快发展。新增企业5家。", "三、聚焦民生,高效统筹", "新增就业1.3万人。"]
    )
    assert [t["section"] for t in targets.values()] == ["(二)聚力创新驱动", "三、聚焦民生"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("建设10个宜居宜业和美乡村", [("建设宜居宜业和美乡村", 10, "个")]),
        (
            "实施30条背街小巷和25座桥下空间提升改造",
            [("实施背街小巷", 30, "条"), ("实施桥下空间提升改造", 25, "座")],
        ),
        ("打造50个连片区、50个聚合区", [("打造连片区", 50, "个"), ("打造聚合区", 50, "个")]),
        (
            "市重大产业项目新开工110个、竣工100个",
            [("市重大产业项目新开工", 110, "个"), ("市重大产业项目竣工", 100, "个")],
        ),
        (
            "新增科技型中小企业150家、潜在独角兽企业4家",
            [("新增科技型中小企业", 150, "家"), ("新增潜在独角兽企业", 4, "家")],
        ),
        (
            "引进大学生10.5万人、高层次人才共1.3万人",
            [("引进大学生", 10.5, "万人"), ("引进高层次人才", 1.3, "万人")],
        ),
        ("服务行动分别覆盖30万人、70万人", [("服务行动", 30, "万人"), ("服务行动", 70, "万人")]),
        (
            "工业、服务业增加值分别增长5%、6%",
            [("工业增加值", 5, "%"), ("服务业增加值", 6, "%")],
        ),
        (
            "科技型中小企业、高新技术企业分别达12453家、6310家",
            [("科技型中小企业", 12453, "家"), ("高新技术企业", 6310, "家")],
        ),
        (
            "城镇、农村居民收入增长5%、6%",
            [("城镇、农村居民收入", 5, "%"), ("城镇、农村居民收入", 6, "%")],
        ),
        ("创建智能制造标杆1900余个,较上年增加4个", [("创建智能制造标杆", 1900, "个")]),
        ("1003个停车场实现“先离场后付费”、年增注册用户53.2万人", [("年增注册用户", 53.2, "万人")]),
    ],
)
def test_sentence_parts(sentence: str, expected: list[tuple[str, Any, str]]) -> None:
    targets = extract_targets(["(一)测试", sentence + "。"])
    assert [(t["indicator"], t["value"], t["unit"]) for t in targets.values()] == expected
    assert len(targets) == len(expected)
