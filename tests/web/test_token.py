"""Token mode: without the token every route answers 401; with it (bearer or login cookie), all work."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from scheduler.web.app import create_app
from scheduler.web.security import COOKIE
from tests.web.store import DemoStore

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token-for-tests"
QUERIES = {"/api/search": "?q=地区", "/search": "?q=地区", "/indicators": "?source=demo-hanweb"}


@pytest.fixture(scope="module")
def locked(demo_store: DemoStore) -> TestClient:
    return TestClient(create_app(demo_store.factory, token=TOKEN), follow_redirects=False)


def _paths(demo_store: DemoStore) -> list[str]:
    """Every route of the interface, placeholders filled in, and a few paths that match none."""
    doc = min(demo_store.documents.values())
    concrete = {
        "{document_id}": str(doc),
        "{seq}": "1",
        "{name}": "demo-trs",
        "{path:path}": "style.css",
    }
    from scheduler.web import api, feeds, pages

    paths = ["/api/openapi.json"]
    for route in [*pages.router.routes, *feeds.router.routes, *api.router.routes]:
        path = getattr(route, "path", "")
        for placeholder, value in concrete.items():
            path = path.replace(placeholder, value)
        paths.append(path + QUERIES.get(path, ""))
    return [*paths, "/static/style.css", "/static/app.js", "/no-such-page"]


def test_every_route_answers_401_without_the_token(locked: TestClient, demo_store: DemoStore) -> None:
    paths = _paths(demo_store)
    assert len(paths) > 20
    for path in paths:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Cookie": f"{COOKIE}=forged"}):
            response = locked.get(path, headers=headers)
            assert response.status_code == 401, path
            assert "地区生产总值" not in response.text
            assert response.headers["x-content-type-options"] == "nosniff"
    api = locked.get("/api/changes")
    assert api.json()["error"] == "unauthorized" and api.headers["www-authenticate"].startswith("Bearer")
    page = locked.get("/")
    assert '<form method="post" action="/login">' in page.text


def test_with_the_token_everything_works(locked: TestClient, demo_store: DemoStore) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for path in _paths(demo_store):
        if path in {"/no-such-page", "/login"}:
            continue
        response = locked.get(path, headers=bearer)
        assert response.status_code == 200, (path, response.text[:200])
    assert "地区生产总值" in locked.get("/", headers=bearer).text


def test_login_form_sets_a_cookie_that_is_not_the_token(demo_store: DemoStore) -> None:
    browser = TestClient(create_app(demo_store.factory, token=TOKEN), follow_redirects=False)
    wrong = browser.post("/login", data={"token": "nope", "next": "/sources"})
    assert wrong.status_code == 401 and COOKIE not in wrong.cookies
    right = browser.post("/login", data={"token": TOKEN, "next": "/sources"})
    assert right.status_code == 303 and right.headers["location"] == "/sources"
    cookie = right.cookies[COOKIE]
    assert cookie and TOKEN not in cookie
    assert (
        "httponly" in right.headers["set-cookie"].lower()
        and "samesite=strict" in right.headers["set-cookie"].lower()
    )
    browser.cookies.set(COOKIE, cookie)
    assert browser.get("/sources").status_code == 200
    assert browser.get("/api/sources").status_code == 200
    # The redirect after login stays on this site.
    elsewhere = TestClient(create_app(demo_store.factory, token=TOKEN), follow_redirects=False)
    for target in ("//evil.invalid/", "https://evil.invalid/", "/\\evil.invalid"):
        moved = elsewhere.post("/login", data={"token": TOKEN, "next": target})
        assert moved.headers["location"] == "/"
