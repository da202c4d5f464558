"""The JSON API: the same objects as the CLI's --json, cursor pagination, diff, targets, search, CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from portal import site
from tests.web.store import REPO, DemoStore

pytestmark = pytest.mark.slow


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env["GOVWATCH_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_changes_are_the_objects_of_govwatch_changes_json(client: TestClient, demo_store: DemoStore) -> None:
    cli = _cli(demo_store.url, "changes", "--json")
    assert cli.returncode == 0, cli.stderr
    expected = [json.loads(line) for line in cli.stdout.splitlines()]
    api = client.get("/api/changes", params={"limit": 500}).json()
    assert api["next_cursor"] is None
    assert api["changes"] == list(reversed(expected))  # the same objects, newest first
    kinds = client.get("/api/changes", params={"kind": "targets", "source": "demo-hanweb"}).json()["changes"]
    assert {c["kind"] for c in kinds} == {"target_changed"} and len(kinds) == 2
    assert {c["details"]["indicator"] for c in kinds} == {"地区生产总值", "社会消费品零售总额"}
    by_url = client.get("/api/changes", params={"url": demo_store.portal_url + site.ART_PLAN}).json()[
        "changes"
    ]
    assert [c["kind"] for c in by_url] == ["metadata_changed", "document_added"]
    bad = client.get("/api/changes", params={"kind": "nonsense"})
    assert bad.status_code == 400 and "nonsense" in bad.json()["detail"]
    assert client.get("/api/changes", params={"limit": 0}).status_code == 400


def test_sources_documents_versions(client: TestClient, demo_store: DemoStore) -> None:
    sources = {s["name"]: s for s in client.get("/api/sources").json()["sources"]}
    assert sources["demo-trs"]["last_outcome"] == "ok" and sources["demo-trs"]["documents"]["removed"] == 1
    doc = demo_store.documents[site.ART_PRIORITIES]
    one = client.get(f"/api/documents/{doc}").json()
    assert (
        one["title"] == "2024年政府工作重点" and one["latest_version"] == 2 and one["source"] == "demo-hanweb"
    )
    assert one["targets"]["主要预期目标/地区生产总值[%]"]["value"] == 6
    versions = client.get(f"/api/documents/{doc}/versions").json()["versions"]
    assert [v["seq"] for v in versions] == [1, 2]
    assert sorted(v["kinds"] for v in versions) == [["document_added"], ["target_changed"]]
    assert client.get("/api/documents/999999").json() == {"error": 404, "detail": "没有编号为 999999 的文件"}


def test_diff_and_targets(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents[site.ART_PRIORITIES]
    diff = client.get(f"/api/documents/{doc}/diff").json()
    assert (diff["from"], diff["to"]) == (1, 2)
    gdp = next(e for e in diff["events"] if e["details"].get("indicator") == "地区生产总值")
    assert gdp["kind"] == "target_changed" and gdp["details"]["old"]["value"] == 5.5
    assert gdp["details"]["new"]["value"] == 6
    assert [p["op"] for p in diff["paragraphs"]] == ["edited"]
    cli = _cli(demo_store.url, "diff", str(doc), "--json")
    assert json.loads(cli.stdout)["events"] == diff["events"]
    back = client.get(f"/api/documents/{doc}/diff", params={"from": 2, "to": 1}).json()
    assert (
        next(e for e in back["events"] if e["details"].get("indicator") == "地区生产总值")["details"]["new"][
            "value"
        ]
        == 5.5
    )
    series = client.get(f"/api/documents/{doc}/targets").json()["targets"]
    gdp_series = next(s for s in series if s["indicator"] == "地区生产总值")
    assert [p["value"] for p in gdp_series["points"]] == [5.5, 6]


def test_search_api(client: TestClient, demo_store: DemoStore) -> None:
    hits = client.get("/api/search", params={"q": "有效性"}).json()["results"]
    found = client.get("/api/search", params={"q": "废止"}).json()["results"]
    assert demo_store.documents[site.ART_PLAN] in [h["document_id"] for h in found]
    hit = next(h for h in found if h["document_id"] == demo_store.documents[site.ART_PLAN])
    assert ["废止", True] in hit["highlights"]
    assert isinstance(hits, list)
    assert client.get("/api/search").status_code == 400  # q is required
    assert client.get("/api/search", params={"q": "   "}).json()["results"] == []


def test_changes_csv_follows_the_filters(client: TestClient) -> None:
    response = client.get("/api/changes.csv", params={"kind": "targets", "source": "demo-hanweb"})
    assert 'filename="changes.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {r["kind"] for r in rows} == {"target_changed"}
    assert "目标调整 地区生产总值：5.5%左右 → 6%左右" in {r["change"] for r in rows}


def test_openapi_is_served_and_described_here(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path in (
        "/api/changes",
        "/api/sources",
        "/api/documents/{document_id}",
        "/api/documents/{document_id}/versions",
        "/api/documents/{document_id}/diff",
        "/api/documents/{document_id}/targets",
        "/api/search",
    ):
        assert path in spec["paths"]
    assert not any(p.startswith(("/documents", "/sources")) for p in spec["paths"])  # pages are not API
    docs = client.get("/api/docs").text
    assert "/api/changes" in docs and "cdn" not in docs.lower()
