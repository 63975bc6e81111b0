"""The SQLite engine's settings (docs/database.md): WAL with synchronous=NORMAL on every
connection the app opens, foreign keys on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from exstrat_app.infra.db.engine import make_engine


def test_every_sqlite_connection_is_wal_with_synchronous_normal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        for _ in range(2):  # a second connection gets them too (they are per connection)
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
                assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
                assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            engine.dispose()
    finally:
        engine.dispose()
