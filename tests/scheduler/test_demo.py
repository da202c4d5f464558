"""``govwatch demo`` end to end: the first thing a new user runs must work and say what it found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


def test_demo_finds_the_expected_changes_and_keeps_its_data_on_request(tmp_path: Path):
    keep = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env["COLUMNS"] = "120"
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "demo", "--keep", str(keep)],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "演示成功" in out
    assert "地区生产总值：5.5%左右 → 6%左右" in out  # the digest
    assert "有效性：有效 → 废止" in out
    assert "文件撤下" in out and "新增文件" in out
    assert "目标对比" in out and "文件历史" in out
    assert not (tmp_path / "govwatch.db").exists()  # never touches the working directory's database
    engine = create_engine(f"sqlite:///{keep / 'govwatch-demo.db'}")
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM changes GROUP BY kind")).all())
        pending = conn.execute(text("SELECT count(*) FROM deliveries WHERE status != 'sent'")).scalar()
    engine.dispose()
    assert kinds["target_changed"] == 2 and kinds["document_removed"] == 1
    assert pending == 0  # every change event went out through the console channel
    assert (keep / "govwatch.toml").exists()


def test_ctrl_c_stops_the_demo_cleanly(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env["PYTHONUNBUFFERED"] = "1"
    demo = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert demo.stdout is not None
    seen = ""
    while "内置演示门户" not in seen:  # the crawls start right after this panel
        line = demo.stdout.readline()
        assert line, "the demo ended before it started crawling"
        seen += line
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=60)
    assert demo.returncode == 130, err
    assert "演示已中断" in out
    assert "Traceback" not in err
