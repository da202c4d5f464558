"""A crawl process starts without what only some pages need: the normaliser's pipeline, cn2an, deepdiff."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.crawler.conftest import REPO

DEFERRED = ("tracker.normalize.pipeline", "cn2an", "deepdiff", "tracker.record")


def loaded_after(statement: str, modules: tuple[str, ...] = DEFERRED) -> dict[str, bool]:
    probe = f"import json, sys\n{statement}\nprint(json.dumps({{m: m in sys.modules for m in {modules!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout)


def test_the_crawl_process_imports_no_normaliser_pipeline_before_a_page_needs_it() -> None:
    # Everything ``python -m crawler`` imports before its reactor runs.
    loaded = loaded_after("import crawler.__main__, crawler.run, crawler.pipelines, crawler.spiders")
    assert loaded == dict.fromkeys(DEFERRED, False)


def test_cn2an_waits_for_the_first_chinese_numeral() -> None:
    loaded = loaded_after("from tracker.normalize import normalize")
    assert loaded["tracker.normalize.pipeline"] and not loaded["cn2an"]
    numeral = "from tracker.normalize.numbers import parse_number\nassert parse_number('十三') == 13"
    loaded = loaded_after(numeral)
    assert loaded["cn2an"]


def test_recording_an_unchanged_page_needs_no_normaliser_pipeline_deepdiff_or_cn2an() -> None:
    loaded = loaded_after("import tracker.record, tracker.rederive, crawler.recording")
    assert not loaded["tracker.normalize.pipeline"] and not loaded["deepdiff"] and not loaded["cn2an"]


def test_the_extensions_a_crawl_leaves_out_are_not_imported_to_learn_so() -> None:
    # Scrapy imports every key of EXTENSIONS to normalise it: the remote control brought aiohttp.
    statement = (
        "from scrapy.settings import Settings\n"
        "from crawler.settings import crawl_settings\n"
        "from tracker.config import Settings as Defaults, SourceConfig\n"
        "source = SourceConfig('s', ('http://s.invalid/',), ('s.invalid',))\n"
        "names = list(Settings(crawl_settings(source, Defaults())).getwithbase('EXTENSIONS'))\n"
        "assert not any('remote_control' in str(n) or 'telnet' in str(n) for n in names), names"
    )
    assert loaded_after(statement, ("aiohttp", "scrapy.extensions.remote_control")) == {
        "aiohttp": False,
        "scrapy.extensions.remote_control": False,
    }
