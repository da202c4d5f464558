"""Charset choice and text repairs, on small real-shaped inputs."""

from __future__ import annotations

import codecs
import unicodedata

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-1252 codec)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from tests.tracker.normalize.pages import PAGE_NAMES, page
from tracker.normalize import Undecodable, normalize
from tracker.normalize.decode import canonical_codec, decode
from tracker.normalize.repair import (
    damaged_heading,
    fix_cp1252_mojibake,
    is_damaged,
    realign_gbk,
    strip_pinyin,
)
from tracker.normalize.text import clean_lines

TEXT = "无锡市2024年政府工作重点:地区生产总值增长5.5%左右,固定资产投资4550亿元。"


def html(charset: str | None, text: str = TEXT) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}<title>t</title></head><body><div id='zoom'><p>{text}</p></div></body></html>"


@pytest.mark.parametrize("label", ["gb2312", "GBK", "cp936", "x-gbk", "gb18030"])
def test_gb_labels_widen_to_gb18030(label: str) -> None:
    assert canonical_codec(label) == "gb18030"


def test_header_charset_is_used_when_bytes_agree() -> None:
    decoded = decode(html(None).encode("gb18030"), {"Content-Type": "text/html; charset=GB2312"})
    assert decoded.charset == "gb18030"
    assert TEXT in decoded.text


def test_gbk_page_labelled_utf8() -> None:
    decoded = decode(html("utf-8").encode("gbk"))
    assert decoded.charset == "gb18030"
    assert TEXT in decoded.text


def test_utf8_page_labelled_gbk_in_header_and_meta() -> None:
    decoded = decode(html("gb2312").encode("utf-8"), {"content-type": "text/html;charset=gbk"})
    assert decoded.charset == "utf-8"
    assert TEXT in decoded.text


def test_unlabelled_gbk_page() -> None:
    assert decode(html(None).encode("gb18030")).charset == "gb18030"


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_bom_wins_over_a_wrong_label(bom: bytes, codec: str) -> None:
    body = bom + html("gbk").encode(codec)
    decoded = decode(body)
    assert TEXT in decoded.text
    assert not decoded.text.startswith("\ufeff")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_page_without_bom_is_read_by_its_header_charset(codec: str) -> None:
    result = normalize(html(None).encode(codec), headers={"Content-Type": f"text/html; charset={codec}"})
    assert result.snapshot["paragraphs"] == [TEXT]


def test_big5_traditional_page_normalises_to_simplified() -> None:
    traditional = "無錫市2024年政府工作重點:地區生產總值增長5.5%左右。"
    result = normalize(html("big5", traditional).encode("big5"))
    assert result.snapshot["paragraphs"] == ["无锡市2024年政府工作重点:地区生产总值增长5.5%左右。"]


def test_detection_is_deterministic() -> None:
    body = html(None).encode("gb18030") + b"\xff\xfe" + html(None).encode("gb18030")
    assert len({decode(body).text for _ in range(5)}) == 1


def test_garbage_bytes_are_undecodable_not_invented() -> None:
    body = b"<html><body><p>" + bytes(range(0x80, 0x100)) * 200 + b"</p></body></html>"
    with pytest.raises(Undecodable):
        normalize(body)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("發(fā)布機構(gòu):常州市人民政府", "發布機構:常州市人民政府"),
        ("權(quán)責(zé)清單", "權責清單"),
        ("全社會研發(fā)經(jīng)費投入", "全社會研發經費投入"),
        ("研发经费占GDP比重(GDP)", "研发经费占GDP比重(GDP)"),
        ("省级两业融合试点(试点)企业", "省级两业融合试点(试点)企业"),
        ("(一)聚力稳定经济运行", "(一)聚力稳定经济运行"),
        ("獨角獸(或潛在獨角獸)企業", "獨角獸(或潛在獨角獸)企業"),
        ("区块链(blockchain)应用", "区块链(blockchain)应用"),
    ],
)
def test_pinyin_annotations_go_real_parentheses_stay(raw: str, clean: str) -> None:
    assert strip_pinyin(raw) == clean


def test_misaligned_gbk_heading_is_realigned() -> None:
    fixed, repaired = realign_gbk("?。ㄋ模┩苿映青l(xiāng)融合發(fā)展新提升")
    assert repaired
    assert fixed == "\u3000（四）推動城鄉(xiāng)融合發(fā)展新提升"


@pytest.mark.parametrize(
    "heading",
    ["?。ǘ┐蛟飚a(chǎn)業集群發展新高地", "?。ㄎ澹?gòu)筑生態綠色發展新優勢", "?。┨嵘窆蚕戆l(fā)展新成效"],
)
def test_heading_with_lost_bytes_is_left_and_marked(heading: str) -> None:
    fixed, repaired = realign_gbk(heading)
    assert not repaired
    assert fixed == heading
    assert is_damaged(strip_pinyin(fixed))


@pytest.mark.parametrize(
    "text",
    ["扎实做好“六稳”“六?!惫ぷ?,强力推进", "新阶段需要新?lián)?,新格局", "打响“三杰故里?红色名城”品牌"],
)
def test_mid_text_mojibake_is_marked_damaged(text: str) -> None:
    assert is_damaged(text)


@pytest.mark.parametrize("text", [TEXT, "怎么办?”他问。", "(一)聚力稳定经济运行", "──────", "R&D比重达3.2%"])
def test_clean_text_is_not_damaged(text: str) -> None:
    assert not is_damaged(text)


def test_utf8_read_as_cp1252_is_repaired() -> None:
    garbled = "地区生产总值增长5.5%".encode().decode("cp1252", errors="replace")
    assert fix_cp1252_mojibake(garbled) == "地区生产总值增长5.5%"
    assert fix_cp1252_mojibake(TEXT) == TEXT


def test_compatibility_runs_give_full_nfkc_on_page_text() -> None:
    for name in PAGE_NAMES:
        text = page(name).decode("gb18030" if name.startswith("changzhou") else "utf-8")
        full_width = text.translate({ord(c): ord(c) + 0xFEE0 for c in ",:;()%!?"}) + "①㎡ⅷ　 …"
        assert clean_lines(full_width) == clean_lines(unicodedata.normalize("NFKC", full_width))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # （二 survives as its lead byte B6 before the bracket's trail A9; 產 is completed by the
        # ASCII byte that realigns the decoder; 打造 sat in the run that lost a pair.
        ("?。ǘ┐蛟飚a(chǎn)業(yè)集群發(fā)展新高地", ("二", "產業集群發展新高地")),
        ("?。ㄎ澹?gòu)筑生態(tài)綠色發(fā)展新優(yōu)勢", ("五", "筑生態綠色發展新優勢")),
        ("?。┨嵘窆蚕戆l(fā)展新成效", (None, "發展新成效")),  # bracket and numeral dropped
        ("?。ㄋ模┩苿映青l(xiāng)融合發(fā)展新提升", None),  # repairable: realign_gbk's job
        ("?。┨嵘窆蚕戆", None),  # never back in step: nothing the bytes vouch for
        ("?abc", None),
        ("地区生产总值增长5.5%左右", None),
    ],
)
def test_damaged_heading_reads_only_what_the_bytes_tell(line: str, expected: object) -> None:
    assert damaged_heading(line) == expected


@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
def test_a_whole_page_of_utf8_read_as_cp1252_is_the_same_document(codec: str) -> None:
    original = page("wuxi-2024-priorities.html")
    mojibake = original.decode("utf-8").encode("utf-8").decode(codec).encode("utf-8")
    result = normalize(mojibake)
    assert result.snapshot == normalize(original).snapshot
    assert "UTF-8 read as cp1252 repaired" in result.warnings


@settings(max_examples=examples(300), deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [*"?。ǘ┐蛟飚a(chǎn)業集群發展ㄎ澹gòu)┨嵘l（）一二\u3000,;", "\ue000", "\U00020000"]
        ),
        max_size=30,
    )
)
def test_damaged_heading_reads_any_line_without_failing_or_inventing_damage(tail: str) -> None:
    found = damaged_heading("?" + tail)
    if found is not None:
        ordinal, title = found
        assert ordinal is None or ordinal in "一二三四五六七八九十"
        assert len(title) >= 2 and not is_damaged(title)
