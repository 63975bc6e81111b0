"""Browser tests: the real app (`python -m exstrat_app up`) against the simulated exchange,
driven by headless Chromium through Playwright.

One app instance serves every browser test (the production frontend build alone takes
60-90 s). It runs with its own data dir, SQLite file and embedded Redis, so the rest of the
suite (which empties the test database between tests) cannot disturb it; the tests read and
seed that database directly through `app.engine`.

Chromium is the system one (/usr/bin/chromium). Without it the tests are skipped, unless
EXSTRAT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("EXSTRAT_CHROMIUM", "/usr/bin/chromium"))
BUN_BIN = ROOT / ".tools" / "node_modules" / ".bin"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
START_TIMEOUT = float(os.environ.get("EXSTRAT_BROWSER_START_TIMEOUT", "420"))
STOP_TIMEOUT = 30.0
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m browser` / `-m "not browser"`: every test here that drives the app is marked."""
    here = Path(__file__).parent
    for item in items:
        uses_app = {"app", "browser"} & set(getattr(item, "fixturenames", ()))
        if uses_app and Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install chromium (make chromium) to run the browser tests"
    if os.environ.get("EXSTRAT_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- processes


def _children(pid: int) -> set[int]:
    """Every descendant of pid (from /proc), including those in other sessions."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - localhost
            return resp.status, resp.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


@dataclass
class RunningApp:
    url: str
    port: int
    data_dir: Path
    database_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    sim: Any
    _engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from exstrat_app.infra.db.engine import make_engine

            self._engine = make_engine(self.database_url)
        return self._engine

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_until_ready(app: RunningApp) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"`up` exited with {app.proc.returncode}:\n{app.log_tail()}")
        if _get(app.url + "/ping")[0] == 200:
            status, body = _get(app.url + "/login")
            if status == 200 and "<html" in body.lower():
                return
        time.sleep(1.0)
    raise RuntimeError(f"the app did not answer within {START_TIMEOUT:.0f} s:\n{app.log_tail()}")


def _stop(app: RunningApp) -> None:
    family = _children(app.proc.pid) | {app.proc.pid}
    if app.proc.poll() is None:
        app.proc.send_signal(signal.SIGTERM)
        try:
            app.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            app.proc.kill()
            app.proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.2)
    left = sorted(p for p in family if _alive(p))
    for pid in left:  # only processes this fixture started
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after `up` stopped: {left}"


@pytest.fixture(scope="session")
def sim() -> Iterator[Any]:
    _require_browser()
    from simexchange import SimExchange, small_dataset

    exchange = SimExchange(small_dataset())
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture(scope="session")
def app(sim: Any) -> Iterator[RunningApp]:
    """The whole app (`up`: Redis, migrations, worker, scheduler, Reflex prod) on a free port."""
    data_dir = Path(tempfile.mkdtemp(prefix="exs-browser-"))
    port = free_port()
    database_url = f"sqlite:///{data_dir / 'exstrat.db'}"
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # `up` starts its own embedded Redis in the data dir
    env.update(
        EXSTRAT_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        EXSTRAT_BINANCE_URL=sim.url,
        EXSTRAT_COINBASE_URL=sim.url,
        EXSTRAT_PUBLIC_URL=f"http://localhost:{port}",
        PRICE_POLL_SECONDS="1",
        PRICE_CACHE_SECONDS="1",
        EXSTRAT_LOG_LEVEL="INFO",
        # Local stand-ins for chat services listen on 127.0.0.2; the app itself on 127.0.0.1
        # stays out of reach (docs/outbound.md).
        EXSTRAT_OUTBOUND_ALLOW="127.0.0.2",
        # Every browser test signs in from 127.0.0.1: the per-IP sign-in limit of a real
        # instance (20 in 5 minutes) would refuse the later tests' sign-ins.
        EXSTRAT_AUTH_PER_IP="1000/5minute",
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(BUN_BIN), env.get("PATH", "")]),
    )
    log_path = data_dir / "up.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", "up", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = RunningApp(
        url=f"http://localhost:{port}",
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        proc=proc,
        log_path=log_path,
        sim=sim,
    )
    from tests.browser.helpers import OUTBOXES

    OUTBOXES[running.url] = data_dir / "outbox"  # where sign-up's confirmation links go
    try:
        started = time.monotonic()
        _wait_until_ready(running)
        print(f"\n[browser] app ready on {running.url} in {time.monotonic() - started:.0f} s")
        yield running
    finally:
        try:
            _stop(running)
        finally:
            if running._engine is not None:
                running._engine.dispose()
            shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser(app: RunningApp) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
