"""A crawl process starts without what only some pages need: the normaliser's pipeline, cn2an, deepdiff."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.crawler.conftest import REPO

DEFERRED = ("tracker.normalize.pipeline", "cn2an", "deepdiff", "tracker.record")


def loaded_after(statement: str) -> dict[str, bool]:
    probe = f"import json, sys\n{statement}\nprint(json.dumps({{m: m in sys.modules for m in {DEFERRED!r}}}))"
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


def test_recording_an_unchanged_page_needs_neither_deepdiff_nor_cn2an() -> None:
    loaded = loaded_after("import tracker.record")
    assert not loaded["deepdiff"] and not loaded["cn2an"]
