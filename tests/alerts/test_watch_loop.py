"""The watch loop cannot pile up, and alert emails never wait behind it (docs/watching.md).

Real rq-scheduler ticks (`SingleFlightScheduler.enqueue_jobs`, as the scheduler process calls
it), real RQ worker processes (`python -m exstrat_app worker`), the simulated Binance over
HTTP. A slow cycle is a ticker request the simulator holds until the test lets it go.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from freezegun import freeze_time
from rq.job import Job, JobStatus
from rq_scheduler import Scheduler
from sqlmodel import Session

from exstrat_app.infra.queue import ABANDONED_AFTER, get_queue
from exstrat_app.models import Notification
from exstrat_app.services.notifications.delivery import email_job_id, enqueue_email
from jobs.schedule import SingleFlightScheduler, periodic_jobs, register, run_id
from simexchange import SimExchange
from tests.alerts.conftest import create_seed_strategy, enqueue_watch, run_worker, worker_env

ROOT = Path(__file__).resolve().parents[2]
WATCH = "watch-prices"


def figure(name: str, **values: Any) -> None:
    print(f"\nFIGURE {name} {json.dumps(values, default=str)}")


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> float:
    """Seconds until `predicate()` holds (polled), or fail after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def watch_periodic() -> Any:
    from exstrat_app.settings import get_settings

    return next(p for p in periodic_jobs(get_settings()) if p.job_id == WATCH)


def tick(scheduler: Scheduler, times: int = 1) -> None:
    """`times` scheduler passes, each with `watch-prices` due (a worker slower than the
    interval sees exactly this: the tick comes again and again)."""
    for _ in range(times):
        scheduler.connection.zadd(scheduler.scheduled_jobs_key, {WATCH: 0})
        scheduler.enqueue_jobs()


def waiting(redis: Any, job_id: str, queue: str = "watch") -> int:
    """Entries of `job_id` in the queue (RQ's list can hold the same id several times)."""
    return get_queue(queue, connection=redis).get_job_ids().count(job_id)


def spawn_worker(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**worker_env(), "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its work-horse (RQ puts the horse in its own process group)."""
    if proc.poll() is None:
        family = psutil.Process(proc.pid).children(recursive=True)
        for p in [psutil.Process(proc.pid), *family]:
            p.kill()
    proc.wait(timeout=10)


@pytest.fixture
def held_ticker(binance: SimExchange, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The simulator holds every ticker request until `.gate` is set; `.entered` is set when
    the first one arrives (a watch cycle is then running, and slow)."""
    gate, entered = threading.Event(), threading.Event()
    serve = binance._handle

    def handle(request: Any) -> Any:
        if "/ticker/price" in request.path:
            entered.set()
            gate.wait(60)
        return serve(request)

    monkeypatch.setattr(binance, "_handle", handle)
    held = type("Held", (), {"gate": gate, "entered": entered})()
    yield held
    gate.set()  # never leave a simulator thread waiting


# ------------------------------------------------------------------ one cycle at a time


def test_ten_ticks_leave_one_run_waiting_where_rq_scheduler_queued_ten(redis: Any) -> None:
    plain = Scheduler(queue_name="watch", connection=redis)
    register(plain, watch_periodic())
    tick(plain, 10)
    before = waiting(redis, WATCH)  # rq-scheduler pushes the job itself at every tick
    redis.flushdb()

    scheduler = SingleFlightScheduler(queue_name="watch", connection=redis)
    register(scheduler, watch_periodic())
    tick(scheduler, 10)
    after = waiting(redis, run_id(WATCH))
    figure("ten-ticks-no-worker", queued_before=before, queued_after=after)
    assert before == 10
    assert after == 1
    assert waiting(redis, WATCH) == 0  # the registered job stays with the scheduler...
    assert WATCH in scheduler  # ...for the next tick


def test_a_slow_cycle_skips_ticks_and_a_cycle_started_beside_it_returns_at_once(
    engine: Any,
    db: Any,
    redis: Any,
    alice: Any,
    seed_position: Any,
    held_ticker: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_seed_strategy(db, alice.id)  # ETH is watched: the cycle asks for the ticker
    scheduler = SingleFlightScheduler(queue_name="watch", connection=redis)
    register(scheduler, watch_periodic())
    tick(scheduler)
    worker = spawn_worker(["--queues", "watch", "--burst"], tmp_path / "worker.log")
    try:
        wait_for(held_ticker.entered.is_set, 60, "the cycle to ask for the ticker")
        run = Job.fetch(run_id(WATCH), connection=redis)
        assert run.get_status() == JobStatus.STARTED
        tick(scheduler, 10)  # the interval passes ten times while it works
        assert waiting(redis, run_id(WATCH)) == 0  # skipped, not queued behind it

        # Another cycle starts anyway (enqueued by hand, run by another worker): it returns
        # at once, while the first one is still held.
        with caplog.at_level(logging.INFO, logger="jobs.watch"):
            beside = enqueue_watch(redis)
            started = time.perf_counter()
            run_worker(redis, ("watch",))
            beside_ms = (time.perf_counter() - started) * 1000
        beside.refresh()
        assert beside.return_value() == {"skipped": True}
        assert "watch cycle skipped: another one is running" in caplog.text
        assert not held_ticker.gate.is_set() and run.get_status() == JobStatus.STARTED

        held_ticker.gate.set()
        assert worker.wait(timeout=60) == 0
    finally:
        held_ticker.gate.set()
        kill_worker(worker)
    assert run.get_status() == JobStatus.FINISHED
    assert run.return_value()["skipped"] is False
    tick(scheduler)  # the ended run does not block the next tick
    assert waiting(redis, run_id(WATCH)) == 1
    figure(
        "slow-cycle",
        queued_while_running_after_10_ticks=0,
        second_cycle_job_ms=round((beside.ended_at - beside.started_at).total_seconds() * 1000, 1),
        second_cycle_worker_ms=round(beside_ms, 1),
        second_cycle_result=beside.return_value(),
    )


def test_a_run_abandoned_by_a_killed_worker_blocks_ticks_only_until_its_timeout(
    engine: Any,
    db: Any,
    redis: Any,
    alice: Any,
    seed_position: Any,
    held_ticker: Any,
    tmp_path: Path,
) -> None:
    create_seed_strategy(db, alice.id)
    scheduler = SingleFlightScheduler(queue_name="watch", connection=redis)
    register(scheduler, watch_periodic())
    tick(scheduler)
    worker = spawn_worker(["--queues", "watch"], tmp_path / "worker.log")
    try:
        wait_for(held_ticker.entered.is_set, 60, "the cycle to ask for the ticker")
    finally:
        kill_worker(worker)  # SIGKILL, work-horse included: nobody will end that run
    run = Job.fetch(run_id(WATCH), connection=redis)
    assert run.get_status() == JobStatus.STARTED
    tick(scheduler)
    assert waiting(redis, run_id(WATCH)) == 0  # for all Redis knows, it is still working
    later = datetime.now(UTC) + timedelta(seconds=watch_periodic().timeout) + ABANDONED_AFTER
    with freeze_time(later + timedelta(seconds=1), tick=True):
        tick(scheduler)
    assert waiting(redis, run_id(WATCH)) == 1  # abandoned: replaced by a new run


# ------------------------------------------------------------------ emails first


def test_the_default_worker_takes_an_alert_email_before_waiting_watch_and_ingest_jobs(
    engine: Any, db: Any, redis: Any, alice: Any, outbox: Path, tmp_path: Path
) -> None:
    """Three slow jobs in `watch`, three in `ingest`; the worker is busy with the first when
    the alert's email is enqueued; its next job is the email, not the five still waiting."""
    note = Notification(
        user_id=alice.id, title="ETH reached step 1 of 2", body="ETH is at…", email_status="pending"
    )
    db.add(note)
    db.commit()
    gate = "test:hold-gate"
    held = []
    for queue in ("watch", "ingest"):
        for i in range(3):
            job_id = f"hold-{queue}-{i}"
            get_queue(queue, connection=redis).enqueue(
                "tests.alerts.held_jobs.hold", gate, job_id=job_id
            )
            held.append(job_id)
    worker = spawn_worker(["--burst"], tmp_path / "worker.log")  # the default queue list
    try:

        def busy() -> bool:
            return any(Job.fetch(j, connection=redis).get_status() == "started" for j in held)

        wait_for(busy, 60, "the worker to take a held job")
        assert enqueue_email(redis, note.id)
        redis.rpush(gate, "open")
        assert worker.wait(timeout=120) == 0
    finally:
        redis.rpush(gate, "open")
        kill_worker(worker)

    jobs = [Job.fetch(j, connection=redis) for j in [*held, email_job_id(note.id)]]

    def label(job: Job) -> str:
        return "EMAIL" if job.id == email_job_id(note.id) else job.id

    order = sorted(jobs, key=lambda j: j.started_at)
    email = order[1]
    t0 = order[0].started_at
    figure(
        "queue-order",
        order=[label(j) for j in order],
        started_ms={label(j): round((j.started_at - t0).total_seconds() * 1000) for j in order},
        email_waited_ms=round((email.started_at - email.enqueued_at).total_seconds() * 1000),
    )
    assert email.id == email_job_id(note.id), [j.id for j in order]
    assert all(email.ended_at <= j.started_at for j in order[2:])
    assert len(list(outbox.glob("*.eml"))) == 1
    with Session(engine) as s:
        assert s.get(Notification, note.id).email_status == "sent"  # type: ignore[union-attr]


def test_up_runs_a_worker_for_notify_alone_beside_the_default_worker() -> None:
    from exstrat_app.runtime.supervisor import plan_children

    children = {c.name: c.argv for c in plan_children(port=3000, backend_only=True, env={})}
    assert children["worker"][-1] == "worker"  # every queue, notify first
    assert children["notify-worker"][-3:] == ["worker", "--queues", "notify"]
    assert os.path.basename(children["notify-worker"][0]).startswith("python")


def test_the_worker_takes_notify_first_and_watch_and_ingest_in_turns(redis: Any) -> None:
    """A watch cycle queued at every tick must not starve the sync steps (ingest)."""
    from exstrat_app.infra.queue import get_queue
    from exstrat_app.runtime.workers import _Worker

    notify, watch, ingest = (get_queue(n, connection=redis) for n in ("notify", "watch", "ingest"))
    worker = _Worker([notify, watch, ingest], connection=redis)
    worker._ordered_queues = [notify, watch, ingest]

    def names() -> list[str]:
        return [q.name for q in worker._ordered_queues]

    worker.reorder_queues(watch)  # a watch cycle ran: ingest is looked at before watch
    assert names() == ["notify", "ingest", "watch"]
    worker.reorder_queues(ingest)
    assert names() == ["notify", "watch", "ingest"]
    worker.reorder_queues(notify)  # an email ran: the turns are kept
    assert names() == ["notify", "watch", "ingest"]
