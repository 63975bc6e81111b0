"""Bulk writes for SQLite and PostgreSQL: idempotent inserts and upserts on unique keys,
and a compiled executemany for the hot path (a page of trades)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, SQLModel


def _dialect_insert(session: Session, table: Any) -> Any:
    return _insert_for(session.get_bind().dialect.name)(table)


def bulk_id() -> str:
    """An id like `new_id()` (32 hex characters, unguessable: 64 random bits) that starts with
    the time: rows inserted together append to the primary-key index instead of landing at
    random places in it, which halves SQLite's insert cost on the hot path."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def insert_ignore(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Bulk `INSERT ... ON CONFLICT (keys) DO NOTHING` (one executemany; ids added here)."""
    if not rows:
        return
    for row in rows:
        row.setdefault("id", bulk_id())
    stmt = _dialect_insert(session, model.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=list(keys)
    )
    session.execute(stmt, rows)


def upsert(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Bulk `INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns`."""
    if not rows:
        return
    for row in rows:
        row.setdefault("id", bulk_id())
    stmt = _dialect_insert(session, model.__table__)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={col: stmt.excluded[col] for col in update}
    )
    session.execute(stmt, rows)


class BulkInsert:
    """`INSERT ... ON CONFLICT (keys) DO NOTHING` of many rows straight through the DBAPI's
    executemany: the statement is compiled once per dialect and each column's bind processor
    (Money, UTCDateTime) looked up once. SQLAlchemy's generic per-row parameter handling
    costs as much as SQLite itself on the trades hot path."""

    _cache: dict[tuple[str, str], BulkInsert] = {}

    def __init__(self, dialect: Any, table: Any, columns: Sequence[str], keys: Sequence[str]):
        insert = _insert_for(dialect.name)
        stmt = (
            insert(table)
            .values({c: bindparam(c) for c in columns})
            .on_conflict_do_nothing(index_elements=list(keys))
        )
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.columns = tuple(columns)
        # Positional drivers (sqlite3) take tuples in the statement's order, others dicts.
        order = compiled.positiontup if compiled.positional else None
        self._order = [self.columns.index(name) for name in order] if order else None
        self._processors = [
            (i, proc)
            for i, c in enumerate(self.columns)
            if (proc := table.c[c].type.dialect_impl(dialect).bind_processor(dialect))
        ]

    @classmethod
    def of(
        cls, session: Session, table: Any, columns: Sequence[str], keys: Sequence[str]
    ) -> BulkInsert:
        dialect = session.get_bind().dialect
        key = (dialect.name, table.name)
        if key not in cls._cache:
            cls._cache[key] = cls(dialect, table, columns, keys)
        return cls._cache[key]

    def run(self, session: Session, rows: list[list[Any]]) -> None:
        """`rows`: value lists in `columns` order (modified in place by the processors)."""
        if not rows:
            return
        for row in rows:
            for i, proc in self._processors:
                if row[i] is not None:
                    row[i] = proc(row[i])
        if self._order is not None:
            params: list[Any] = [tuple(row[i] for i in self._order) for row in rows]
        else:
            params = [dict(zip(self.columns, row, strict=True)) for row in rows]
        session.connection().exec_driver_sql(self.sql, params)


def _insert_for(dialect_name: str) -> Any:
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - SQLite and PostgreSQL are the supported databases
        raise RuntimeError(f"unsupported database {dialect_name!r}")
    return insert


def bulk_ids(count: int) -> list[str]:
    """`count` ids as `bulk_id()` makes them, from one clock read and one urandom call."""
    prefix = f"{time.time_ns():016x}"
    noise = secrets.token_hex(8 * count)
    return [prefix + noise[16 * i : 16 * i + 16] for i in range(count)]


def fast_commits(session: Session) -> None:
    """SQLite: commit without an fsync each time (WAL + synchronous=NORMAL). A committed page
    still survives the process being killed; only an OS crash may lose the last few, which
    the cursors then fetch again. (Per connection; PostgreSQL is left as configured.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA synchronous=NORMAL"))
