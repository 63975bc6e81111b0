"""Logs are JSON lines and one correlation id follows a request into the jobs it enqueues."""

from __future__ import annotations

import json
import subprocess
import sys

from rq import SimpleWorker

from exstrat_app.infra.logging import correlation_id
from exstrat_app.infra.queue import CorrelatedJob, enqueue_unique, get_queue


def test_every_log_line_is_json_with_the_bound_correlation_id() -> None:
    code = (
        "import logging\n"
        "from exstrat_app.infra.logging import configure_logging, correlation_id\n"
        "configure_logging('INFO')\n"
        "correlation_id.set('req-12345678')\n"
        "logging.getLogger('ccxt').warning('from a library %s', 42)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stderr
    line = json.loads(out.strip().splitlines()[-1])
    assert line["event"] == "from a library 42"
    assert line["correlation_id"] == "req-12345678"
    assert line["level"] == "warning"


def test_a_job_runs_with_the_correlation_id_of_the_request_that_enqueued_it(redis) -> None:
    token = correlation_id.set("click-abcdef12")
    try:
        job = enqueue_unique("ingest", "jobs.diagnostics.echo_correlation_id", job_id="diag-1")
    finally:
        correlation_id.reset(token)
    assert job is not None and job.meta["correlation_id"] == "click-abcdef12"
    # A second enqueue with the same id while the first is queued is refused, not doubled.
    assert enqueue_unique("ingest", "jobs.diagnostics.echo_correlation_id", job_id="diag-1") is None

    worker = SimpleWorker([get_queue("ingest")], connection=redis, job_class=CorrelatedJob)
    worker.work(burst=True)

    job.refresh()
    assert job.return_value() == "click-abcdef12"


def test_the_api_echoes_or_creates_a_request_id() -> None:
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api

    client = TestClient(create_api())
    given = client.get("/api/me", headers={"X-Request-ID": "abcdef1234567890"})
    assert given.headers["x-request-id"] == "abcdef1234567890"
    made = client.get("/api/me", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 16
