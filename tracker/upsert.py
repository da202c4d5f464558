"""Insert-or-ignore on every supported backend, so concurrent writers never collide on a unique key.

One statement builder for both dialects (``insert_ignore_statement``); every insert that may meet
a concurrent writer of the same key goes through it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from tracker.models import Base


@cache
def insert_ignore_statement(
    dialect: str,
    model: type[Base],
    columns: tuple[str, ...],
    index_elements: tuple[str, ...],
    *,
    whole_row: bool = False,
) -> ReturningInsert[Any]:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING RETURNING`` the primary key (or, with
    ``whole_row``, the ORM object), for ``dialect``; nothing comes back when the key existed.

    Built once per model, columns and key, with each column's value a bound parameter of its
    name passed at execution: compiling a new statement for every row cost about as much as
    running it (and an ORM insert without ``values`` takes the slower bulk path). Whether a row
    was inserted is read from RETURNING, since psycopg reports no rowcount for this statement.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(model)
        .values({column: bindparam(column) for column in columns})
        .on_conflict_do_nothing(index_elements=list(index_elements))
    )
    if whole_row:
        return stmt.returning(model)
    return stmt.returning(*inspect(model).primary_key)


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], index_elements: list[str]
) -> bool:
    """Insert ``values`` unless a row with the same ``index_elements`` exists; True when inserted."""
    conn = session.connection()
    stmt = insert_ignore_statement(conn.dialect.name, model, tuple(values), tuple(index_elements))
    return conn.execute(stmt, values).first() is not None
