"""503 in words, within about two seconds, whatever part is dead, silent or behind; and never
an address or a password in the answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from exstrat_app.api.request_guard import READY_PATH

PASSWORD = "hunter2-probe"  # appears in the dead parts' URLs, never in an answer or a log


def _timed_ready(client: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    answer = client.get(READY_PATH)
    return answer, time.perf_counter() - started


def _assert_nothing_secret(answer: Any, caplog: pytest.LogCaptureFixture) -> None:
    for secret in (PASSWORD, "127.0.0.1", "redis://", "postgresql"):
        assert secret not in answer.text
        assert secret not in caplog.text


def test_a_refused_redis_is_503_at_once(
    client: Any, use_parts: Callable[..., None], closed_port: int, caplog: Any
) -> None:
    from exstrat_app.infra.redis import probe_client

    caplog.set_level(logging.DEBUG)
    use_parts(redis=probe_client(f"redis://:{PASSWORD}@127.0.0.1:{closed_port}/0"))
    answer, seconds = _timed_ready(client)
    print(f"\nready with a refused Redis: {answer.status_code} in {seconds:.3f} s")
    assert answer.status_code == 503 and seconds < 3
    body = answer.json()
    assert body["status"] == "not_ready"
    checks = body["checks"]
    assert checks["redis"]["ok"] is False
    assert checks["redis"]["status"] == "unreachable (ConnectionError)"
    for name in ("queues", "prices", "scheduler", "workers"):
        assert checks[name]["status"] == "not checked: no Redis", name
    assert checks["database"]["ok"] is True and checks["migrations"]["status"] == "at head"
    _assert_nothing_secret(answer, caplog)


def test_a_silent_redis_is_503_within_its_socket_timeout(
    client: Any, use_parts: Callable[..., None], silent_port: int, caplog: Any
) -> None:
    from exstrat_app.infra.redis import PROBE_TIMEOUT_SECONDS, probe_client

    caplog.set_level(logging.DEBUG)
    use_parts(redis=probe_client(f"redis://:{PASSWORD}@127.0.0.1:{silent_port}/0"))
    answer, seconds = _timed_ready(client)
    print(f"\nready with a silent Redis: {answer.status_code} in {seconds:.3f} s")
    assert answer.status_code == 503
    assert PROBE_TIMEOUT_SECONDS * 0.9 <= seconds < 3
    assert answer.json()["checks"]["redis"]["status"] == "unreachable (TimeoutError)"
    _assert_nothing_secret(answer, caplog)


def test_a_silent_database_is_503_at_the_deadline(
    client: Any, use_parts: Callable[..., None], silent_port: int, caplog: Any
) -> None:
    from exstrat_app.infra.db.engine import make_engine
    from exstrat_app.services.operations.health import DEADLINE_SECONDS

    caplog.set_level(logging.DEBUG)
    engine = make_engine(f"postgresql+psycopg://probe:{PASSWORD}@127.0.0.1:{silent_port}/exs")
    use_parts(engine=engine)
    try:
        answer, seconds = _timed_ready(client)
    finally:
        engine.dispose()
    print(f"\nready with a silent database: {answer.status_code} in {seconds:.3f} s")
    assert answer.status_code == 503
    assert DEADLINE_SECONDS * 0.9 <= seconds < 3
    checks = answer.json()["checks"]
    words = f"no answer within {DEADLINE_SECONDS:g} s"
    assert checks["database"]["status"] == checks["migrations"]["status"] == words
    assert checks["redis"]["status"] == "ok"  # the other group answered meanwhile
    _assert_nothing_secret(answer, caplog)


def test_a_database_that_cannot_be_opened_is_503(
    client: Any, use_parts: Callable[..., None], tmp_path: Path
) -> None:
    from exstrat_app.infra.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'exstrat.db'}")
    use_parts(engine=engine)
    answer = client.get(READY_PATH)
    engine.dispose()
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"]["status"] == "unreachable (OperationalError)"
    assert checks["migrations"]["status"] == "not checked: no database"
    assert checks["redis"]["status"] == "ok"
    assert "missing-dir" not in answer.text


def _database_at(tmp_path: Path, revision: str | None) -> Any:
    """A throwaway SQLite database migrated up to `revision` (None: never migrated)."""
    from alembic import command
    from exstrat_app.infra.db.engine import make_engine
    from exstrat_app.infra.db.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    if revision is not None:
        command.upgrade(alembic_config(url), revision)
    return make_engine(url)


def test_migrations_one_below_head_are_503(
    client: Any, use_parts: Callable[..., None], tmp_path: Path
) -> None:
    from alembic.script import ScriptDirectory

    from exstrat_app.infra.db.migrate import alembic_config, script_heads

    (head,) = script_heads()
    below = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(below, str)
    engine = _database_at(tmp_path, below)
    use_parts(engine=engine)
    answer = client.get(READY_PATH)
    engine.dispose()
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not_ready"
    migrations = body["checks"]["migrations"]
    assert migrations["status"] == f"not at head: database at {below}, code at {head}"
    assert (migrations["databaseRevision"], migrations["codeRevision"]) == (below, head)
    assert migrations["ok"] is False and migrations["required"] is True
    assert body["checks"]["database"]["ok"] is True


def test_a_database_never_migrated_is_503(
    client: Any, use_parts: Callable[..., None], tmp_path: Path
) -> None:
    from exstrat_app.infra.db.migrate import script_heads

    engine = _database_at(tmp_path, None)
    use_parts(engine=engine)
    answer = client.get(READY_PATH)
    engine.dispose()
    assert answer.status_code == 503
    migrations = answer.json()["checks"]["migrations"]
    assert migrations["status"] == f"not migrated: no revision applied, code at {script_heads()[0]}"
    assert migrations["databaseRevision"] is None
