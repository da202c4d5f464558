"""Source fields of discovery: ``include`` / ``exclude`` column patterns, ``platform`` as a hint."""

from __future__ import annotations

import pytest

from tracker.config import DEFAULT_MAX_DEPTH, ConfigError, parse_config

BASE = '[[source]]\nname = "a"\nstart_urls = ["https://www.example.gov.cn/"]\n'


def test_include_and_exclude_are_lists_of_patterns() -> None:
    source = parse_config(BASE + 'include = ["政策", "/col/col1\\\\d+/"]\nexclude = "人事"\n').sources[0]
    assert source.include == ("政策", "/col/col1\\d+/")
    assert source.exclude == ("人事",)
    assert source.platform == "generic"  # no platform named: the generic spider knows every dialect
    assert source.max_depth == DEFAULT_MAX_DEPTH >= 4  # home -> entry -> column -> detail -> attachment


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ('include = ["(政策"]', "'include' holds '(政策', which is not a valid regular expression"),
        ("exclude = [1]", "'exclude' must be a list of non-empty strings"),
        ('includes = ["x"]', "did you mean 'include'"),
    ],
)
def test_bad_patterns_are_named(field: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_config(BASE + field + "\n")
