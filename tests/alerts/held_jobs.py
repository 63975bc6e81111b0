"""A job that holds its worker until the test opens a gate: load for the queue-order test
(`tests/alerts/test_watch_loop.py`), run by a real worker process."""

from __future__ import annotations

from rq import get_current_job

GATE_SECONDS = 60  # a test that never opens the gate fails instead of hanging


def hold(gate: str) -> str:
    """Wait until `gate` (a Redis list) gets an item, then put it back for the next job: one
    push opens the gate for every job behind it."""
    job = get_current_job()
    assert job is not None, "run me in an RQ worker"
    redis = job.connection
    if redis.blpop([gate], timeout=GATE_SECONDS) is None:
        raise TimeoutError(f"gate {gate} never opened")
    redis.rpush(gate, "open")
    return "released"
