"""Collection paused while a process imports, then what the imports made frozen; nothing for a host."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.crawler.conftest import REPO

PROBE = """
import gc, json
from tracker.processes import pause_collection, resume_collection
pause_collection()
paused = not gc.isenabled()
import crawler.run
frozen_before = gc.get_freeze_count()
resume_collection()
frozen = gc.get_freeze_count() - frozen_before
print(json.dumps({"paused": paused, "enabled": gc.isenabled(), "frozen": frozen}))
"""


def test_a_process_collects_nothing_while_it_imports_and_then_freezes_what_it_imported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    state = json.loads(result.stdout)
    assert state["paused"] and state["enabled"]
    assert state["frozen"] > 100_000  # Scrapy, SQLAlchemy and the models, out of every later collection


def test_a_host_whose_collection_was_never_paused_keeps_its_objects_collectable() -> None:
    import gc

    from tracker.processes import resume_collection

    frozen = gc.get_freeze_count()
    resume_collection()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
