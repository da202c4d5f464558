"""bench/accuracy.py end to end: real crawls of a tiny generated portal through the CLI, scored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_accuracy_benchmark_crawls_every_state_and_scores(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "bench/accuracy.py", "--seeds", "6", "--sites", "1", "--docs-per-site", "5"),
            *("--entry", "columns", "--json", "--keep", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    total = result["total"]
    # six crawls, each of them run (0 ok, 4 partial: the portal serves faults on purpose)
    assert len(total["crawl_exit_codes"]) == 6
    assert set(total["crawl_exit_codes"]) <= {0, 4}
    assert total["discovery_total"] > 0 and total["noise_only_documents"] > 0
    assert total["documents"]["tp"] + total["documents"]["fn"] > 0
    assert (tmp_path / "seed-6" / "gold.json").is_file()
    assert (tmp_path / "seed-6" / "govwatch.db").is_file()
