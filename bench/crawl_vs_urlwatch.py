"""govwatch against urlwatch 2.29 on the same detail pages, alternating in one run.

Usage: ``python bench/crawl_vs_urlwatch.py [--pages 300] [--sources 4] [--repeat 3] [--validators details]``

Four local portals (``portal.PortalServer`` bulk columns, served by a separate process so the
server does not share this process's interpreter) hold ``--pages`` detail pages in all, ~45 KB
each, with ETag and Last-Modified. urlwatch 2.29 is installed into its own virtual environment
under a temporary directory and watches every detail page (one job per page, the ``html2text``
filter); govwatch (``govwatch crawl``, all sources in one command, politeness off) also walks
the list pages to find them. Per repetition, alternating: govwatch's first crawl (fresh SQLite
database), urlwatch's first run (fresh cache), govwatch's unchanged recrawl, urlwatch's
unchanged run. Wall time of each command, start-up included; medians and the ratio. Last in
each repetition, what a tick of ``govwatch run`` costs on the same unchanged pages: a runner
whose crawl zygote (``crawler.zygote``) has done its imports already, as the scheduler keeps
one, timed from the tick's start to its last run closed (compared with urlwatch's unchanged
run, which has no resident form: cron starts it each time).

``--validators`` says which pages carry an ETag or Last-Modified: ``details`` (the bulk column as
``PortalServer`` serves it: detail pages only, so every list page is parsed again), ``all``
(list pages too: an unchanged recrawl gets a 304 for every page) or ``none`` (no page, and no
per-request noise either, as on a static site: the unchanged recrawl gets byte for byte the
same 200 bodies again, for govwatch and urlwatch alike).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
URLWATCH = "urlwatch==2.29"

SOURCE = """
[[source]]
name = "s{n}"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 8
max_pages = 1000
"""

SERVE = """
import dataclasses, json, sys
from portal import PortalServer, server
counts = json.loads(sys.argv[1])
validators = sys.argv[2]
bulk = server.bulk_resource
def resource(path, total):
    found = bulk(path, total)
    if found is None or validators == "details":
        return found
    if validators == "none":
        return dataclasses.replace(found, etag=False, last_modified=None, volatile=False)
    return dataclasses.replace(found, etag=True)
server.bulk_resource = resource
servers = [PortalServer(bulk_pages=n) for n in counts]
print(json.dumps([s.url for s in servers]), flush=True)
sys.stdin.read()
"""

# What one tick of `govwatch run` costs on unchanged pages: a runner whose zygote has done its
# imports already (the scheduler keeps one for its lifetime). One untimed recrawl warms it.
TICK = """
import json, sys, time
from pathlib import Path
from scheduler.runner import CrawlRequest, CrawlRunner
from tracker.db import session_factory
url, config, names = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
runner = CrawlRunner(session_factory(url), url, config)
runner.warm()
requests = [CrawlRequest(name, "schedule", 600.0) for name in names]
try:
    runner.run_many(requests)
    started = time.perf_counter()
    results = runner.run_many(requests)
    seconds = time.perf_counter() - started
finally:
    runner.close()
print(json.dumps({"seconds": seconds, "counts": [r.counts for r in results]}))
"""


def install_urlwatch(root: Path) -> Path:
    venv = root / "urlwatch-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q", URLWATCH, "html2text"]
    subprocess.run(pip, check=True, stdout=subprocess.DEVNULL)
    return venv / "bin" / "urlwatch"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=REPO)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validators", choices=("details", "all", "none"), default="details")
    args = parser.parse_args()
    per_source = [
        args.pages // args.sources + (1 if n < args.pages % args.sources else 0) for n in range(args.sources)
    ]
    with tempfile.TemporaryDirectory(prefix="govwatch-vs-urlwatch-") as tmp:
        root = Path(tmp)
        print(f"installing {URLWATCH} into {root / 'urlwatch-venv'} ...", file=sys.stderr)
        urlwatch = install_urlwatch(root)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, json.dumps(per_source), args.validators],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        assert server.stdout is not None and server.stdin is not None
        urls = json.loads(server.stdout.readline())
        try:
            config = root / "govwatch.toml"
            config.write_text(
                "".join(SOURCE.format(n=n, url=u) for n, u in enumerate(urls)), encoding="utf-8"
            )
            jobs = "\n---\n".join(
                f"name: p{s}-{i}\nurl: {url}/bulk/doc/2024/01/01/{i}.shtml\nfilter:\n  - html2text"
                for s, (url, count) in enumerate(zip(urls, per_source, strict=True))
                for i in range(count)
            )
            (root / "urls.yaml").write_text(jobs + "\n", encoding="utf-8")
            figures: dict[str, list[float]] = {k: [] for k in ("g1", "g2", "g3", "u1", "u2")}
            names = [f"s{n}" for n in range(args.sources)]
            for rep in range(args.repeat):
                db = root / f"govwatch-{rep}.db"
                genv = env | {"GOVWATCH_DATABASE_URL": f"sqlite:///{db}"}
                gw = [
                    sys.executable,
                    "-m",
                    "scheduler.cli",
                    "crawl",
                    *names,
                    "--config",
                    str(config),
                    "--json",
                ]
                uw = [
                    str(urlwatch),
                    "--urls", str(root / "urls.yaml"),
                    "--config", str(root / "urlwatch.yaml"),
                    "--hooks", str(root / "hooks.py"),
                    "--cache", str(root / f"cache-{rep}.db"),
                ]  # fmt: skip
                for key, command, run_env in (
                    ("g1", gw, genv),
                    ("u1", uw, env),
                    ("g2", gw, genv),
                    ("u2", uw, env),
                ):
                    seconds, result = timed(command, run_env)
                    if result.returncode != 0:
                        print(result.stdout[-2000:], result.stderr[-3000:], file=sys.stderr)
                        raise SystemExit(f"{key}: exit {result.returncode}")
                    if key.startswith("g"):
                        summaries = [json.loads(line) for line in result.stdout.splitlines()]
                        pages = sum(s["counts"]["pages"] for s in summaries)
                        assert pages == args.pages, (key, pages)
                        if key == "g2":
                            unchanged = sum(
                                s["counts"]["not_modified"] + s["counts"]["unchanged"] for s in summaries
                            )
                            assert unchanged == args.pages, summaries
                            kinds = ("not_modified", "unchanged_bodies", "list_pages_not_modified")
                            tally = {k: sum(s["counts"].get(k, 0) for s in summaries) for k in kinds}
                            print(f"rep {rep + 1} g2 counts: {tally}", file=sys.stderr)
                    figures[key].append(seconds)
                    print(f"rep {rep + 1} {key}: {seconds:.2f} s", file=sys.stderr)
                tick = [sys.executable, "-c", TICK, genv["GOVWATCH_DATABASE_URL"], str(config), *names]
                _, result = timed(tick, env)
                if result.returncode != 0:
                    print(result.stdout[-2000:], result.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"tick: exit {result.returncode}")
                measured = json.loads(result.stdout.splitlines()[-1])
                unchanged = sum(c.get("not_modified", 0) + c.get("unchanged", 0) for c in measured["counts"])
                assert unchanged == args.pages, measured["counts"]
                figures["g3"].append(measured["seconds"])
                print(f"rep {rep + 1} g3 (warm tick): {measured['seconds']:.2f} s", file=sys.stderr)
        finally:
            server.stdin.close()
            server.wait(timeout=30)
    med = {k: statistics.median(v) for k, v in figures.items()}
    load = os.getloadavg()
    print(f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.pages} detail pages over "
          f"{args.sources} sources, {args.repeat} alternating repetitions, "
          f"validators: {args.validators}")  # fmt: skip
    print("| pass | govwatch | urlwatch | ratio (govwatch / urlwatch) |")
    print("| --- | --- | --- | --- |")
    passes = (
        ("first crawl", "g1", "u1"),
        ("unchanged recrawl", "g2", "u2"),
        ("unchanged recrawl, warm zygote (a `govwatch run` tick)", "g3", "u2"),
    )
    for label, g, u in passes:
        runs_g = ", ".join(f"{v:.2f}" for v in figures[g])
        runs_u = ", ".join(f"{v:.2f}" for v in figures[u])
        rate = f"; {args.pages / med[g]:.0f} detail pages/s" if g == "g1" else ""
        ratio = med[g] / med[u]
        print(f"| {label} | {med[g]:.2f} s ({runs_g}){rate} | {med[u]:.2f} s ({runs_u}) | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
