"""Document content: prose from the seed texts, synthetic targets with known gold, review paragraphs.

Prose comes from real captured pages (``texts/``), cut to sentences that hold no quantity, so
every quantity on a generated page is one the generator put there and knows about.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from functools import cache
from importlib.resources import files

from portal.generator import quantities
from portal.generator.model import Block, Content, Target

PLACES = (
    "梁溪区",
    "锡山区",
    "惠山区",
    "滨湖区",
    "新吴区",
    "江阴市",
    "宜兴市",
    "钟楼区",
    "天宁区",
    "武进区",
    "新北区",
    "金坛区",
    "溧阳市",
    "经开区",
)

TOPICS = (
    "科技创新",
    "生态环境保护",
    "交通运输",
    "教育事业",
    "卫生健康",
    "城乡建设",
    "农业农村",
    "商务发展",
    "文化旅游",
    "就业创业",
    "应急管理",
    "市场监管",
    "数据资源",
    "养老服务",
)

COLUMN_NAMES = (
    ("zcwj", "政策文件"),
    ("ghjh", "规划计划"),
    ("tzgg", "通知公告"),
    ("zfgzbg", "政府工作报告"),
    ("gfxwj", "规范性文件"),
    ("zcjd", "政策解读"),
    ("rsxx", "人事信息"),
    ("czzj", "财政资金"),
)

# (indicator, template, unit, low, high, step, qualifiers)
VOCABULARY: tuple[tuple[str, str, str, str, str, str, tuple[str, ...]], ...] = (
    ("地区生产总值", "{i}增长{q}", "%", "4.5", "8.5", "0.5", ("左右", "以上", "")),
    ("一般公共预算收入", "{i}增长{q}", "%", "2", "6", "0.5", ("左右", "")),
    ("固定资产投资", "{i}{q}", "亿元", "800", "5000", "10", ("", "左右", "以上")),
    ("社会消费品零售总额", "{i}增长{q}", "%", "4", "8", "0.5", ("左右", "以上")),
    ("实际使用外资", "{i}{q}", "亿美元", "3", "40", "1", ("", "以上")),
    ("外贸进出口总额", "{i}达到{q}", "亿元", "500", "3000", "1", ("", "左右")),
    ("城镇新增就业", "{i}{q}", "万人", "1", "15", "0.5", ("", "以上")),
    ("城镇登记失业率", "{i}控制在{q}", "%", "3", "4.5", "0.5", ("以内",)),
    ("规上工业企业", "新增{i}{q}", "家", "100", "800", "10", ("以上", "")),
    ("国家高新技术企业", "新认定{i}{q}", "家", "50", "600", "10", ("以上", "")),
    ("重大产业项目", "新开工{i}{q}", "个", "20", "150", "1", ("以上", "")),
    ("5G基站", "新建{i}{q}", "个", "1000", "20000", "1000", ("", "以上")),
    ("重点技术改造项目", "实施{i}{q}", "项", "50", "400", "10", ("", "以上")),
    ("中小学和幼儿园", "新建改扩建{i}{q}", "所", "3", "30", "1", ("",)),
    ("口袋公园", "建成{i}{q}", "座", "10", "60", "1", ("",)),
    ("保障性租赁住房", "筹集{i}{q}", "套", "1000", "20000", "100", ("", "以上")),
    ("老旧小区改造", "完成{i}{q}", "户", "2000", "30000", "100", ("",)),
    ("公共停车泊位", "新增{i}{q}", "个", "1000", "20000", "1000", ("",)),
    ("旅游接待人次", "{i}达到{q}", "万人次", "500", "9000", "10", ("", "以上")),
    ("单位地区生产总值能耗", "{i}下降{q}", "%", "2", "4", "0.5", ("左右", "")),
    ("煤炭消费总量", "{i}减少{q}", "万吨", "5", "80", "1", ("",)),
    ("节能量", "实现{i}{q}", "吨标准煤", "20000", "90000", "1000", ("", "以上")),
    ("城市道路", "新建改造{i}{q}", "公里", "10", "120", "1", ("",)),
    ("城市绿地", "新增{i}{q}", "万平方米", "50", "400", "1", ("", "以上")),
    ("标准厂房", "新建{i}{q}", "万平方米", "20", "300", "1", ("",)),
    ("高标准农田", "建设{i}{q}", "万亩", "1", "9", "0.5", ("",)),
    ("造林绿化面积", "完成{i}{q}", "公顷", "100", "900", "10", ("",)),
    ("PM2.5年均浓度", "{i}控制在{q}", "微克/立方米", "25", "35", "1", ("左右", "以内")),
    ("光伏装机容量", "新增{i}{q}", "万千瓦", "5", "60", "1", ("", "以上")),
    ("空气质量优良天数", "{i}达到{q}", "天", "290", "330", "1", ("以上", "")),
    ("企业开办时间", "{i}压缩至{q}", "小时", "4", "24", "1", ("以内", "")),
    ("研发经费投入强度", "{i}提高{q}", "个百分点", "0.1", "0.5", "0.1", ("",)),
    ("居民人均可支配收入", "{i}增长{q}", "%", "4", "7", "0.5", ("左右", "")),
    ("科技型企业贷款余额", "{i}增长{q}", "%", "8", "20", "1", ("", "以上")),
    ("职业技能培训", "开展{i}{q}", "万人次", "1", "20", "0.5", ("",)),
    ("民生实事项目财政投入", "{i}{q}", "万元", "5000", "90000", "100", ("", "以上")),
    ("农村公路提档升级", "完成{i}{q}", "公里", "20", "200", "1", ("",)),
    ("学位供给", "新增{i}{q}", "个", "2000", "30000", "1000", ("",)),
    ("养老床位", "新增{i}{q}", "张", "200", "3000", "100", ("",)),
    ("充电桩", "建成{i}{q}", "个", "500", "10000", "500", ("以上", "")),
)

QUALITATIVE = (
    "外贸进出口稳中提质",
    "居民人均可支配收入与经济增长基本同步",
    "居民消费价格涨幅控制在省定范围内",
    "粮食产量保持基本稳定",
    "节能减排约束性指标完成省下达目标",
    "安全生产形势平稳向好",
)

# Real sentences that contain a word page chrome also uses: they are body text.
CHROME_WORD_SENTENCES = (
    "及时总结推广改革试点经验，将典型做法分享到各板块各部门",
    "推动政务服务“一网通办”，实现企业群众登录一次、全程通办",
    "在公共场所设置二维码，群众扫一扫即可查询办事指南",
    "完善政府网站相关链接管理，确保信息准确规范",
)

_QUANTITY_CHARS = re.compile(r"[0-9０-９二三四五六七八九十百千万亿两%％]|一[个项家所座套户处名批场]")


@cache
def prose_sentences() -> tuple[str, ...]:
    """Sentences of the seed texts (without final 。) that hold no number of any kind."""
    out: list[str] = []
    for name in ("wuxi-2024-priorities.txt", "zhonglou-2024-report.txt"):
        text = (files("portal.generator") / "texts" / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            for sentence in line.strip().split("。"):
                s = sentence.strip().strip("　 ").replace(",", "，").replace(";", "；")
                if (
                    18 <= len(s) <= 140
                    and not _QUANTITY_CHARS.search(s)
                    and ":" not in s
                    and "|" not in s
                    and "--" not in s
                ):
                    if "(" in s or ")" in s or "首页" in s or "ICP" in s:
                        continue
                    out.append(s)
    return tuple(dict.fromkeys(out))


def _value(rng: random.Random, low: str, high: str, step: str) -> Decimal:
    lo, hi, st = Decimal(low), Decimal(high), Decimal(step)
    steps = int((hi - lo) / st)
    return lo + st * rng.randint(0, steps)


def make_target(
    rng: random.Random, key: str, entry: tuple[str, str, str, str, str, str, tuple[str, ...]]
) -> Target:
    indicator, template, unit, low, high, step, qualifiers = entry
    return Target(key, indicator, template, _value(rng, low, high, step), unit, rng.choice(qualifiers))


def other_value(rng: random.Random, target: Target) -> Decimal:
    """A different value of the same indicator (a revised target)."""
    entry = next(e for e in VOCABULARY if e[0] == target.indicator)
    for _ in range(50):
        v = _value(rng, entry[3], entry[4], entry[5])
        if v != target.value:
            return v
    assert target.value is not None
    return target.value + Decimal(entry[5])


def other_qualifier(target: Target) -> str:
    order = {"左右": "以上", "以上": "左右", "": "以上", "以内": "左右"}
    return order.get(target.qualifier, "以上")


def _sentences(rng: random.Random, n: int) -> list[str]:
    pool = prose_sentences()
    return [rng.choice(pool) for _ in range(n)]


def prose(rng: random.Random, n: int = 2) -> str:
    return "。".join(_sentences(rng, n)) + "。"


def review_block(
    rng: random.Random, place: str, year: int, entries: list[tuple[str, ...]], avoid: set[tuple[str, Decimal]]
) -> Block:
    """Last year's results: the same kind of figures as targets, stated about the past.

    A result never equals a target of the same indicator (``avoid``), so a normaliser that
    lists it as a target cannot be credited by accident."""
    parts = []
    for entry in entries:
        indicator, template, unit, low, high, step = entry[:6]
        value = _value(rng, low, high, step)
        while (indicator, value) in avoid:
            value += Decimal(step)
        figure = quantities.plain(value) + unit
        if "增长" in template or "下降" in template:
            parts.append(template.format(i=indicator, q=figure))
        else:
            parts.append(f"{indicator}完成{figure}")
    opener = rng.choice(
        (
            f"过去一年，全{place[-1]}",
            f"{year - 1}年，全{place[-1]}",
            "去年，我们",
            f"回顾{year - 1}年，全{place[-1]}",
        )
    )
    closer = rng.choice(("，比上年增长明显", "，主要指标好于预期", "，圆满完成年度目标任务"))
    return Block("review", opener + "，".join(parts) + closer + "。")


def plan_content(
    rng: random.Random,
    title: str,
    metadata: tuple[tuple[str, str], ...],
    *,
    place: str,
    year: int,
    n_targets: int,
) -> Content:
    """A work plan / development plan / government work report with quantitative targets."""
    entries = rng.sample(VOCABULARY, min(len(VOCABULARY), n_targets + 3))
    targets = [make_target(rng, f"t{i}", e) for i, e in enumerate(entries[:n_targets])]
    blocks: list[Block] = [Block("prose", prose(rng, 2))]
    if rng.random() < 0.7:
        avoid = {(t.indicator, t.value) for t in targets if t.value is not None}
        blocks.append(review_block(rng, place, year, [e[:6] for e in rng.sample(entries, 3)], avoid))
    # The headline paragraph of main expected targets, then sections with the rest.
    head = targets[: max(2, len(targets) // 3)]
    quals = [Target(f"q{i}", q, "{i}") for i, q in enumerate(rng.sample(QUALITATIVE, 2))]
    blocks.append(
        Block(
            "targets",
            f"综合各方面因素，今年全{place[-1]}经济社会发展的主要预期目标是：",
            tuple(head) + tuple(quals),
            "。",
        )
    )
    rest = targets[len(head) :]
    numerals = "一二三四五六七八九"
    section = 0
    while rest:
        n = rng.randint(1, 3)
        chunk, rest = rest[:n], rest[n:]
        blocks.append(Block("heading", f"{numerals[section % 9]}、{_sentences(rng, 1)[0][:18]}"))
        section += 1
        lead = rng.choice(_sentences(rng, 3))
        if rng.random() < 0.25:
            lead = rng.choice(CHROME_WORD_SENTENCES)
        blocks.append(Block("targets", lead + "，", tuple(chunk), "。"))
        blocks.append(Block("prose", prose(rng, rng.randint(1, 3))))
    blocks.append(Block("prose", prose(rng, 1)))
    return Content(title, metadata, tuple(blocks))


def notice_content(
    rng: random.Random, title: str, metadata: tuple[tuple[str, str], ...], signer: str, date: str
) -> Content:
    blocks = [Block("prose", prose(rng, rng.randint(1, 3))) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.2:
        blocks.insert(1, Block("prose", rng.choice(CHROME_WORD_SENTENCES) + "。"))
    y, m, d = date.split("-")
    blocks.append(Block("sign", f"{signer}　{int(y)}年{int(m)}月{int(d)}日"))
    return Content(title, metadata, tuple(blocks))


def plan_title(rng: random.Random, place: str, year: int, kind: str) -> str:
    if kind == "report":
        return rng.choice((f"{year}年{place}人民政府工作报告", f"{place}{year}年政府工作报告"))
    topic = rng.choice(TOPICS)
    return rng.choice(
        (
            f"{place}{year}年国民经济和社会发展计划",
            f"{year}年{place}政府工作重点",
            f"{place}{year}年{topic}工作要点",
            f"关于印发《{place}{year}年{topic}工作方案》的通知",
            f"{place}“十四五”{topic}发展规划",
        )
    )


def notice_title(rng: random.Random, place: str, year: int) -> str:
    topic = rng.choice(TOPICS)
    return rng.choice(
        (
            f"关于开展{year}年度{topic}专项检查的通知",
            f"{place}关于公布{topic}示范单位名单的公告",
            f"关于做好{year}年{topic}工作的通知",
            f"{place}{topic}领域政府信息公开工作情况通报",
            f"关于征求《{place}{topic}管理办法》意见的公告",
        )
    )


def edit_prose(rng: random.Random, content: Content) -> Content:
    """A body edit no target or metadata change explains: one prose paragraph rewritten or added."""
    blocks = list(content.blocks)
    prose_at = [i for i, b in enumerate(blocks) if b.kind == "prose"]
    if prose_at and rng.random() < 0.6:
        i = rng.choice(prose_at)
        new = prose(rng, 2)
        while new == blocks[i].text:
            new = prose(rng, 2)
        blocks[i] = Block("prose", new)
    else:
        blocks.insert(max(1, len(blocks) - 1), Block("prose", prose(rng, 2)))
    return Content(content.title, content.metadata, tuple(blocks))
