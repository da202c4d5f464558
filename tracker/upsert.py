"""Insert-or-ignore on every supported backend, so concurrent writers never collide on a unique key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: type[Any], values: dict[str, Any], index_elements: list[str]
) -> bool:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING``; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=index_elements)
    result = session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
