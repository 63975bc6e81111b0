"""SQLite commit cost: 200 small committed transactions (one row each, as a step claim or a
notification is), with `synchronous=FULL` (SQLite's default, what exstrat used before) and
with `synchronous=NORMAL` (what `infra/db/engine.py` sets now), both in WAL mode on the same
disk. Prints the figures; the trade-off is in docs/database.md.

    python -m bench sqlite_commits
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, text
from sqlalchemy.engine import Engine

from exstrat_app.infra.db.engine import make_engine

TRANSACTIONS = 200
ROUNDS = 3  # each mode runs this many times, alternating, so a disk hiccup hits both

_meta = MetaData()
_rows = Table("bench_rows", _meta, Column("id", Integer, primary_key=True), Column("v", String))


def _engine(path: Path, synchronous: str | None) -> Engine:
    """The app's own SQLite engine; `synchronous` overrides its setting after its pragmas."""
    engine = make_engine(f"sqlite:///{path}")
    if synchronous is not None:

        def _override(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")

        event.listen(engine, "connect", _override)
    _meta.create_all(engine)
    return engine


def _commits(engine: Engine) -> float:
    """Seconds for TRANSACTIONS transactions of one insert each, each committed."""
    started = time.perf_counter()
    for i in range(TRANSACTIONS):
        with engine.begin() as conn:
            conn.execute(insert(_rows).values(v=f"row {i}"))
    return time.perf_counter() - started


def _mode(engine: Engine) -> tuple[str, int]:
    with engine.connect() as conn:
        journal = conn.execute(text("PRAGMA journal_mode")).scalar_one()
        synchronous = conn.execute(text("PRAGMA synchronous")).scalar_one()
    return str(journal), int(synchronous)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="exs-sqlite-bench-"))
    try:
        engines = {"FULL (before)": _engine(tmp / "full.db", "FULL")}
        engines["NORMAL (now)"] = _engine(tmp / "normal.db", None)
        times: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(ROUNDS):
            for name, engine in engines.items():
                times[name].append(_commits(engine))
        for name, engine in engines.items():
            journal, synchronous = _mode(engine)
            best, median = min(times[name]), statistics.median(times[name])
            print(
                f"synchronous={name:<14} journal={journal} (PRAGMA synchronous={synchronous}): "
                f"{TRANSACTIONS} commits in {median * 1000:.0f} ms median of {ROUNDS} "
                f"(best {best * 1000:.0f} ms, {median / TRANSACTIONS * 1e6:.0f} us/commit)",
                flush=True,
            )
            engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
