"""Character-level diff: opcodes rebuild both strings, and the edit script is minimal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracker.textdiff import opcodes, similarity

CJK = st.text(alphabet="地区生产总值增长5.5%左右以上,。的市重大项目", max_size=40)


@given(CJK, CJK)
def test_opcodes_rebuild_both_sides(a: str, b: str) -> None:
    ops = opcodes(a, b)
    assert "".join(a[i1:i2] for _t, i1, i2, _j1, _j2 in ops) == a
    assert "".join(b[j1:j2] for _t, _i1, _i2, j1, j2 in ops) == b
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]


@given(CJK, CJK)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0


def test_wording_drift_is_one_small_replacement() -> None:
    assert opcodes("市重大产业项目完成投资", "市重大项目项目完成投资") == [
        ("equal", 0, 3, 0, 3),
        ("replace", 3, 5, 3, 5),
        ("equal", 5, 11, 5, 11),
    ]
    assert opcodes("科技型企业贷款", "科技型中小企业贷款") == [
        ("equal", 0, 3, 0, 3),
        ("insert", 3, 3, 3, 5),
        ("equal", 3, 7, 5, 9),
    ]
    assert similarity("增长5.5%左右", "增长6%左右") > 0.7


def test_edit_script_is_minimal() -> None:
    ops = opcodes("ABCABBA", "CBABAC")  # the classic example: 5 edits
    edits = sum(
        max(i2 - i1, j2 - j1) if t == "replace" else (i2 - i1) + (j2 - j1)
        for t, i1, i2, j1, j2 in ops
        if t != "equal"
    )
    assert sum((i2 - i1) + (j2 - j1) for t, i1, i2, j1, j2 in ops if t != "equal") == 5
    assert edits <= 5
