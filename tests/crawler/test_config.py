"""The sources file: typed sources and channels; every mistake names the file, the entry and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.config import ConfigError, channel_routes, load_config, parse_config
from tracker.events import GROUPS, ChangeKind

REPO = Path(__file__).resolve().parents[2]

GOOD = """
[settings]
contact = "mailto:ops@example.org"
download_delay = 1.5

[[source]]
name = "wuxi-dfgw"
platform = "hanweb"
start_urls = ["https://dfgw.wuxi.gov.cn/col/col1/index.html"]
schedule = "every 6h"
notify_kinds = ["targets", "document_removed"]

[[source]]
name = "zhonglou"
start_urls = ["https://www.zhonglou.gov.cn/html/czzl/xxgk/index.html"]
allowed_hosts = ["www.zhonglou.gov.cn"]
schedule = "0 6 * * *"
download_delay = 3
detail_url_pattern = '/html/czzl/\\d{4}/'
list_selector = "ul.list"

[[channel]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/${HOOK_TOKEN}"
kinds = ["target_changed", "metadata_changed"]

[[channel]]
name = "everything"
type = "console"

[[channel]]
name = "zhonglou-only"
type = "jsonl"
url = "out.jsonl"
sources = ["zhonglou"]
"""


def test_a_valid_file_resolves_defaults_and_expands_environment() -> None:
    config = parse_config(GOOD, Path("govwatch.toml"), environ={"HOOK_TOKEN": "s3cret"})
    wuxi, zhonglou = config.sources
    assert wuxi.allowed_hosts == ("dfgw.wuxi.gov.cn",)  # derived from the start URLs
    assert wuxi.download_delay == 1.5 and zhonglou.download_delay == 3.0
    assert wuxi.interval_seconds == 21600 and wuxi.cron is None
    assert zhonglou.cron == "0 6 * * *" and zhonglou.interval_seconds is None
    assert wuxi.timeout_seconds == 3600 and wuxi.obey_robots and not wuxi.allow_private_addresses
    assert wuxi.notify_kinds == {"target_changed", "target_added", "target_removed", "document_removed"}
    assert config.channels[0].url == "https://hooks.example.org/s3cret"
    assert "mailto:ops@example.org" in config.settings.user_agent_string()
    assert "govwatch" in config.settings.user_agent_string()


def test_channel_routes_intersect_channel_and_source_kinds() -> None:
    config = parse_config(GOOD, environ={"HOOK_TOKEN": "x"})
    assert channel_routes(config, "wuxi-dfgw") == {
        "hook": frozenset({"target_changed"}),
        "everything": frozenset({"target_changed", "target_added", "target_removed", "document_removed"}),
    }
    assert channel_routes(config, "zhonglou") == {
        "hook": frozenset({"target_changed", "metadata_changed"}),
        "everything": None,
        "zhonglou-only": None,
    }


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('[[source]]\nname = "a"\nstart_urls = ["ftp://x.gov.cn/"]', "source 'a': field 'start_urls'"),
        ('[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nplatform = "wcm"', "field 'platform'"),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nschedule = "hourly"',
            "field 'schedule'",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nschedule = "0 6 * *"',
            "field 'schedule'",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nallowed_hosts = ["y.gov.cn"]',
            "whose host is not in allowed_hosts",
        ),
        ('[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nmax_pages = 0', "field 'max_pages'"),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\ndetail_url_pattern = "("',
            "regular expr",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nlist_selector = "ul[["',
            "CSS selector",
        ),
        ('[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nnotify_kinds = ["typo"]', "'typo'"),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\ndelay = 1',
            "unknown field(s) 'delay'",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nplatfrom = "trs"',
            "unknown field(s) 'platfrom' (did you mean 'platform'?)",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nlist_selector = "//ul[@id="',
            "field 'list_selector' is not a valid XPath expression",
        ),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nlist_selector = "ul a::attr(href)"',
            "must select elements",
        ),
        ('[[source]]\nstart_urls = ["https://x.gov.cn/"]', "source #1: field 'name' is required"),
        ('[[source]]\nname = "a b"\nstart_urls = ["https://x.gov.cn/"]', "field 'name'"),
        (
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\n'
            '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]',
            "used twice",
        ),
        ('[[channel]]\nname = "c"\ntype = "sms"', "channel 'c': field 'type'"),
        ('[[channel]]\nname = "c"\ntype = "webhook"', "channel 'c': field 'url' is required"),
        ('[[channel]]\nname = "c"\ntype = "webhook"\nurl = "${NOT_SET_ANYWHERE}"', "NOT_SET_ANYWHERE"),
        ('[[channel]]\nname = "c"\ntype = "console"\nsources = ["nope"]', "unknown source(s) ['nope']"),
        ("[[source]\nname = 1", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_the_entry_and_the_field(snippet: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(snippet, Path("/etc/govwatch.toml"), environ={})
    assert str(info.value).startswith("/etc/govwatch.toml: ")
    assert expected in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sources file not found"):
        load_config(tmp_path / "absent.toml")


def test_config_path_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('[[source]]\nname = "x"\nstart_urls = ["https://x.gov.cn/"]\n', encoding="utf-8")
    monkeypatch.setenv("GOVWATCH_CONFIG", str(path))
    assert [s.name for s in load_config().sources] == ["x"]


def test_the_shipped_example_is_valid_and_names_the_seed_cities() -> None:
    config = load_config(REPO / "govwatch.example.toml")
    hosts = {h for s in config.sources for h in s.allowed_hosts}
    assert {"dfgw.wuxi.gov.cn", "www.changzhou.gov.cn", "www.zhonglou.gov.cn"} <= hosts
    assert not any(s.allow_private_addresses for s in config.sources)
    assert {c.type for c in config.channels} >= {"console", "jsonl"}


def test_every_change_kind_the_tracker_emits_can_be_filtered() -> None:
    events_doc = (REPO / "docs/change-events.md").read_text(encoding="utf-8").split("## Change events")[1]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", events_doc, re.M))
    assert documented == set(ChangeKind)
    assert set().union(*GROUPS.values()) == set(ChangeKind)  # every kind sits in one group
    config = parse_config(
        '[[source]]\nname = "a"\nstart_urls = ["https://x.gov.cn/"]\nnotify_kinds = ["documents"]\n'
        '[[channel]]\nname = "c"\ntype = "console"\nkinds = ["document_restored"]'
    )
    assert config.sources[0].notify_kinds == {"document_added", "document_removed", "document_restored"}
    assert channel_routes(config, "a") == {"c": frozenset({"document_restored"})}
