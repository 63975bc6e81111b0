"""The running app for the socket tests: `python -m exstrat_app up --backend-only` (Redis,
migrations, worker, scheduler, Reflex's backend; no frontend build) against the simulated
exchange, on a free port, with its own data dir. One app per test module.

Reflex's compile output goes to a private REFLEX_WEB_WORKDIR in the data dir, so these tests
never touch the checkout's `.web` that the browser tests build under their lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import _get, _stop, free_port

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "socket-tests-" + "s" * 40
START_TIMEOUT = 240.0


@dataclass
class SocketApp:
    url: str
    port: int
    data_dir: Path
    database_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    sim: Any
    tokens: list[str] = field(default_factory=list)  # every JWT the tests handed out
    _engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from exstrat_app.infra.db.engine import make_engine

            self._engine = make_engine(self.database_url)
        return self._engine

    @property
    def redis_url(self) -> str:
        from exstrat_app.infra.redis import embedded_url

        return embedded_url(self.data_dir)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    from simexchange import SimExchange, small_dataset

    exchange = SimExchange(small_dataset())
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture(scope="module")
def socket_app(sim: Any) -> Iterator[SocketApp]:
    data_dir = Path(tempfile.mkdtemp(prefix="exs-socket-"))
    port = free_port()
    database_url = f"sqlite:///{data_dir / 'exstrat.db'}"
    env = dict(os.environ)
    for name in ("REDIS_URL", "REFLEX_STATES_WORKDIR", "REFLEX_REDIS_URL"):
        env.pop(name, None)
    env.update(
        EXSTRAT_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        JWT_SECRET=JWT_SECRET,
        EXSTRAT_BINANCE_URL=sim.url,
        EXSTRAT_COINBASE_URL=sim.url,
        EXSTRAT_PUBLIC_URL=f"http://localhost:{port}",
        PRICE_POLL_SECONDS="1",
        PRICE_CACHE_SECONDS="1",
        EXSTRAT_LOG_LEVEL="INFO",
        REFLEX_WEB_WORKDIR=str(data_dir / "web"),
        PYTHONUNBUFFERED="1",
    )
    log_path = data_dir / "up.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", "up", "--backend-only", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    app = SocketApp(f"http://localhost:{port}", port, data_dir, database_url, proc, log_path, sim)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _get(app.url + "/ping")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(app.log_text().splitlines()[-40:])
                raise RuntimeError(f"the backend did not start:\n{tail}")
            time.sleep(0.5)
        yield app
    finally:
        try:
            _stop(app)  # type: ignore[arg-type]
        finally:
            if app._engine is not None:
                app._engine.dispose()
            if not os.environ.get("EXSTRAT_KEEP_SOCKET_APP"):
                shutil.rmtree(data_dir, ignore_errors=True)
