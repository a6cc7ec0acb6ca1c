"""Statements of the hot write path run on the transaction's own DB-API cursor.

SQLAlchemy's ORM unit of work, and even its Core execution path, cost several times the statements
themselves (about 1 ms a flush; 0.1–0.2 ms a Core statement against some 10 µs on the cursor). The
statements here are compiled by SQLAlchemy once per dialect and column set and their values go
through SQLAlchemy's own bind processing (dates, UTC times, JSON), so what is written is what the
ORM would write; they bypass SQLAlchemy's cursor events and its identity map (callers keep their
ORM objects in step, as engine.service.common.write_rows does).
"""

from __future__ import annotations

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

_compiled: dict[tuple, tuple] = {}


def _statement(dialect, table: Table, kind: str, columns: tuple[str, ...]):
    """(sql, bind names in order or None for named parameters, {name: bind processor}) of an INSERT
    (``returning``: the new id), or an UPDATE by id (``versioned``: and version) of ``columns``."""
    key = (dialect.name, table.name, kind, columns)
    hit = _compiled.get(key)
    if hit is None:
        values = {table.c[col]: bindparam(f"v_{col}") for col in columns}
        if kind in ("insert", "returning"):
            stmt = insert(table).values(values)
            if kind == "returning":
                stmt = stmt.returning(table.c.id)
        else:
            where = table.c.id == bindparam("w_id")
            if kind == "versioned":
                where = where & (table.c.version == bindparam("w_version"))
            stmt = update(table).where(where).values(values)
        compiled = stmt.compile(dialect=dialect)
        processors = {f"v_{col}": table.c[col].type.dialect_impl(dialect).bind_processor(dialect) for col in columns}
        hit = _compiled[key] = (compiled.string, list(compiled.positiontup) if compiled.positional else None,
                                processors)
    return hit


def _params(statement, values: dict, where: dict | None = None):
    _, order, processors = statement
    params = {name: (proc(values[name[2:]]) if (proc := processors[name]) is not None else values[name[2:]])
              for name in processors}
    if where:
        params.update(where)
    return [params[name] for name in order] if order is not None else params


def _cursor(session: Session):
    return session.connection().connection.cursor()


def insert_row(session: Session, table: Table, values: dict) -> int:
    """INSERT one row ({column: value}); returns its id."""
    conn = session.connection()
    statement = _statement(conn.dialect, table, "returning", tuple(values))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement[0], _params(statement, values))
        return cursor.fetchone()[0]
    finally:
        cursor.close()


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """INSERT rows that all name the same columns, in one executemany."""
    if not rows:
        return
    conn = session.connection()
    statement = _statement(conn.dialect, table, "insert", tuple(rows[0]))
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(statement[0], [_params(statement, row) for row in rows])
    finally:
        cursor.close()


def update_row(session: Session, table: Table, row_id: int, values: dict, version: int | None = None) -> int:
    """UPDATE one row by id (and, given ``version``, only while it still has that version);
    returns how many rows changed."""
    conn = session.connection()
    where = {"w_id": row_id} if version is None else {"w_id": row_id, "w_version": version}
    statement = _statement(conn.dialect, table, "update" if version is None else "versioned", tuple(values))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement[0], _params(statement, values, where))
        return cursor.rowcount
    finally:
        cursor.close()
