"""The hot writes of a push, handed to the database driver in as few round trips as it allows.

SQLAlchemy's executemany builds every row's parameters in Python. For a 500-event push that was
most of the time: 100 ms on PostgreSQL for the events alone, against 8 ms through COPY. Here:
- PostgreSQL: binary COPY for plain inserts, and one `INSERT ... SELECT FROM unnest(arrays)` for inserts
  that skip rows already there (claims), with `= ANY(array)` to read rows back; each array goes
  as one text literal;
- SQLite: the driver's executemany for plain inserts, multi-row `INSERT OR IGNORE`, and `IN (...)`
  to read rows back.

Rows are tuples of values in the order of the column names given with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, Float, Integer, Row, Table
from sqlalchemy.exc import IntegrityError

from server_stub.database.connection import is_sqlite

# SQLite takes at most 32,766 parameters in one statement; claims have 6 columns
SQLITE_ROWS_PER_STATEMENT = 1000


class KeyTaken(Exception):
    """A row could not be inserted: its unique key is taken. The transaction is spoilt."""


def insert_rows(
    conn: Connection, table: Table, names: Sequence[str], values: Sequence[Sequence[Any]]
) -> None:
    """Insert every row (values in the order of `names`); a unique key taken raises KeyTaken."""
    if not values:
        return
    columns = ", ".join(names)
    if is_sqlite(conn):
        marks = ", ".join("?" * len(names))
        try:
            conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", values)
        except IntegrityError as exc:
            raise KeyTaken(str(exc.orig)) from None
        return
    import psycopg

    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:  # binary: numbers go as they are, not as text to parse (half the time of text COPY)
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_pg_type(table, name) for name in names])
            for value in values:
                copy.write_row(value)
    except psycopg.errors.UniqueViolation as exc:
        raise KeyTaken(str(exc)) from None


def insert_missing(
    conn: Connection, table: Table, names: Sequence[str], values: Sequence[Sequence[Any]],
    same: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    """Insert the rows whose key is not taken yet, in the order given (callers sort the keys,
    so concurrent writers queue on them in one order instead of deadlocking); how many were.

    `same` holds columns with one value for every row (sent once, not once per row).
    """
    if not values:
        return 0
    same = same or {}
    columns = ", ".join([*names, *same])
    if is_sqlite(conn):
        one = "(" + ", ".join("?" * (len(names) + len(same))) + ")"
        constant = tuple(same.values())
        inserted = 0
        for start in range(0, len(values), SQLITE_ROWS_PER_STATEMENT):
            part = values[start : start + SQLITE_ROWS_PER_STATEMENT]
            inserted += conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO {table.name} ({columns}) VALUES"
                f" {', '.join([one] * len(part))}",
                tuple(v for row in part for v in (*row, *constant)),
            ).rowcount
        return inserted
    arrays = ", ".join(f"%s::{_pg_type(table, n)}[]" for n in names)
    marks = "".join(f", %s::{_pg_type(table, n)}" for n in same)
    columns_of_values = [array_literal(column) for column in zip(*values, strict=True)]
    return conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) SELECT *{marks} FROM unnest({arrays})"
        " ON CONFLICT DO NOTHING",
        (*same.values(), *columns_of_values),
    ).rowcount


def array_literal(values: Sequence[Any]) -> str | list[Any]:
    """Whole numbers or text as one PostgreSQL array literal, where a list is adapted value by
    value (a fifth of a claim batch's time); anything else as a list."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(v) is str for v in values):
        quoted = ['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]
        return "{" + ",".join(quoted) + "}"
    return list(values)


def rows_where_in(
    conn: Connection, table: Table, equal: dict[str, Any], column: str, values: Sequence[Any],
    columns: Sequence[str] = (),
) -> list[Row[Any]]:  # fmt: skip
    """The rows matching `equal` whose `column` is one of `values` (all columns unless named)."""
    if not values:
        return []
    names = ", ".join(columns or [c.name for c in table.columns])
    where = "".join(f"{k} = {_mark(conn)} AND " for k in equal)
    if is_sqlite(conn):
        marks = ", ".join("?" * len(values))
        sql = f"SELECT {names} FROM {table.name} WHERE {where}{column} IN ({marks})"
        return list(conn.exec_driver_sql(sql, (*equal.values(), *values)).all())
    # one array parameter: the plan uses the index, and 500 values cost one bind, not 500
    sql = f"SELECT {names} FROM {table.name} WHERE {where}{column} = ANY(%s::{_pg_type(table, column)}[])"
    return list(conn.exec_driver_sql(sql, (*equal.values(), array_literal(values))).all())


def _mark(conn: Connection) -> str:
    return "?" if is_sqlite(conn) else "%s"


def _pg_type(table: Table, name: str) -> str:
    kind = type(table.c[name].type)
    if issubclass(kind, BigInteger):
        return "bigint"
    if issubclass(kind, Integer):
        return "integer"
    if issubclass(kind, Float):
        return "float8"
    if issubclass(kind, Boolean):
        return "boolean"
    return "text"
