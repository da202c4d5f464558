"""Golden fetch sequences over the seed pages: what each fetch is, and which events it yields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import FIXTURES_DIR
from tests.tracker.pages import portal_page, snap
from tracker.db import session_scope
from tracker.models import Change
from tracker.record import record

TABLE = json.loads((FIXTURES_DIR / "changes" / "pages.json").read_text(encoding="utf-8"))


def step_body(step: dict[str, Any]) -> bytes:
    if "page" not in step:
        return b"<html><body>error</body></html>"
    body = portal_page(step["page"], views=step.get("views", 1287))
    if not step.get("replace"):
        return body
    encoding = step.get("encoding", "utf-8")
    text = body.decode(encoding)
    for old, new in step.get("replace", []):
        assert old in text, old
        text = text.replace(old, new)
    return text.encode(encoding)


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_golden_fetch_sequence(case: dict[str, Any], session_factory: sessionmaker[Session]) -> None:
    url = "http://127.0.0.1/art/2024/3/1/art_100_200.html"
    for minute, step in enumerate(case["steps"]):
        page = snap(step_body(step), status=step.get("status", 200), minutes=minute, url=url)
        with session_scope(session_factory) as session:
            result = record(session, page)
            details = [session.get(Change, cid).details for cid in result.changes]  # type: ignore[union-attr]
        assert (str(result.outcome), result.change_kinds) == (step["outcome"], step["kinds"]), step
        if "revert_of" in step:
            assert details and all(d.get("revert_of") == step["revert_of"] for d in details)
