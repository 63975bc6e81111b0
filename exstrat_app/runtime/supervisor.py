"""`python -m exstrat_app up`: start every piece, restart what crashes, stop them together.

Order: embedded Redis (when REDIS_URL is unset) -> migrations -> worker, notify worker,
scheduler, prices (the price stream), web (Reflex prod, one port). Ctrl-C / SIGTERM stops the
children in reverse order, each with its whole process group, so nothing is left running.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from exstrat_app.infra.db.migrate import upgrade_to_head
from exstrat_app.infra.redis import embedded_url, start_embedded
from exstrat_app.settings import get_settings

log = logging.getLogger("exstrat.up")

ROOT = Path(__file__).resolve().parents[2]
MAX_RESTARTS = 5  # per child, within RESTART_WINDOW seconds; beyond that `up` gives up
RESTART_WINDOW = 300.0
STOP_GRACE = 10.0


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if `up` itself is killed (even with SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        log.info("starting %s", self.name)
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group: we stop grandchildren too
            preexec_fn=_die_with_parent,
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        _signal_group(self.proc, signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s: killing it", self.name, STOP_GRACE)
            _signal_group(self.proc, signal.SIGKILL)
            self.proc.wait()

    def may_restart(self, now: float) -> bool:
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW]
        return len(self.restarts) < MAX_RESTARTS


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    bun_bin = ROOT / ".tools" / "node_modules" / ".bin"
    path = [str(Path(sys.executable).parent)]
    if bun_bin.is_dir():
        path.append(str(bun_bin))  # Reflex finds bun on PATH (its own download needs internet)
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def plan_children(
    *, port: int, backend_only: bool, env: dict[str, str], host: str = "127.0.0.1"
) -> list[Child]:
    """The workers, the scheduler, the price stream and the web process; the web listens on
    `host` (Settings' EXSTRAT_HOST: loopback unless told otherwise, never Reflex's own 0.0.0.0
    default).

    Two workers: one on every queue (notify first), and one on `notify` alone, so an alert's
    email and channel sends never wait for a job that is already running on the other (a sync
    step over 100,000 trades can take minutes; queue order only decides what comes next)."""
    python = sys.executable
    web = [python, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(port)]
    web += ["--backend-host", host]
    web += ["--backend-only"] if backend_only else ["--frontend-port", str(port)]
    return [
        Child("worker", [python, "-m", "exstrat_app", "worker"], env),
        Child("notify-worker", [python, "-m", "exstrat_app", "worker", "--queues", "notify"], env),
        Child("scheduler", [python, "-m", "exstrat_app", "scheduler"], env),
        Child("prices", [python, "-m", "exstrat_app", "prices"], env),
        Child("web", web, env),
    ]


def demo_children(env: dict[str, str]) -> list[Child]:
    """The simulated exchange on the demo dataset, started before the app in demo mode."""
    settings = get_settings()
    walk, drift = settings.demo_walk_seconds, settings.demo_drift
    argv = [sys.executable, "-m", "exstrat_app", "sim-exchange", "--dataset", "demo"]
    argv += ["--port", env["EXSTRAT_DEMO_SIM_PORT"], "--walk-seconds", walk, "--seed", "7"]
    argv += ["--drift", drift]
    ws_url = env.get("EXSTRAT_BINANCE_WS_URL", "")
    if ws_url.startswith("ws://127.0.0.1:"):  # prepare_demo's: the sim serves the stream too
        argv += ["--ws-port", ws_url.rsplit(":", 1)[1]]
    return [Child("sim-exchange", argv, env)]


def run_up(*, port: int, backend_only: bool, demo: bool = False) -> int:
    settings = get_settings()
    data_dir = settings.ensure_data_dir()
    extra: dict[str, str] = {"EXSTRAT_DATA_DIR": str(data_dir.resolve())}
    redis_proc = None
    if not settings.redis_url:
        redis_proc = start_embedded(data_dir)
        extra["REDIS_URL"] = embedded_url(data_dir)
        os.environ["REDIS_URL"] = extra["REDIS_URL"]
        log.info("embedded Redis at %s", extra["REDIS_URL"])
    # Without EXSTRAT_PUBLIC_URL the public URL follows the port `up` was given.
    public_url = (
        settings.public_url if settings.is_set("public_url") else f"http://localhost:{port}"
    )
    extra.setdefault("EXSTRAT_PUBLIC_URL", public_url)
    children: list[Child] = []
    stopping = False

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        log.info("received %s: stopping", signal.Signals(signum).name)
        stopping = True

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    code = 0
    try:
        if demo:
            from exstrat_app.demo.mode import prepare_demo

            extra.update(prepare_demo())
        upgrade_to_head()
        log.info("database migrated")
        env = child_env(extra)
        children = plan_children(port=port, backend_only=backend_only, env=env, host=settings.host)
        if demo:
            children = demo_children(env) + children
        for child in children:
            child.start()
        if demo:
            from exstrat_app.infra.queue import enqueue_unique

            enqueue_unique("ingest", "jobs.demo.seed", job_id="demo-seed", timeout=900)
        log.info(
            "exstrat is starting on %s:%d, open %s (Ctrl-C stops everything)",
            settings.host,
            port,
            public_url,
        )
        code = _supervise(children, lambda: stopping)
    finally:
        for child in reversed(children):
            child.stop()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=STOP_GRACE)
        log.info("stopped")
    return code


def _supervise(children: list[Child], stopping: object) -> int:
    while not stopping():  # type: ignore[operator]
        time.sleep(0.5)
        for child in children:
            assert child.proc is not None
            rc = child.proc.poll()
            if rc is None or stopping():  # type: ignore[operator]
                continue
            now = time.monotonic()
            if not child.may_restart(now):
                log.error("%s keeps crashing (exit %s): stopping everything", child.name, rc)
                return 1
            child.restarts.append(now)
            log.warning("%s exited with %s: restarting", child.name, rc)
            child.start()
    return 0
