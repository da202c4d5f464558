"""Insert-or-ignore on every supported backend, so concurrent writers never collide on a unique key."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.models import Base


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], index_elements: list[str]
) -> bool:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING``; True when a row was inserted."""
    conn = session.connection()
    stmt = _statement(conn.dialect.name, model, tuple(index_elements))
    # Values as parameters of one cached statement: compiled once, not once per row. Whether a
    # row was inserted is read from RETURNING: psycopg reports no rowcount for this statement.
    return conn.execute(stmt, values).first() is not None


@cache
def _statement(dialect: str, model: Any, index_elements: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(model)
        .on_conflict_do_nothing(index_elements=list(index_elements))
        .returning(*model.__table__.primary_key.columns)
    )
