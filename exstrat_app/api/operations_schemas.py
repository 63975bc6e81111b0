"""Bodies of the load balancer's probes (api/operations.py): the readiness report's checks as
JSON, camelCase like the rest of /api."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from exstrat_app.api.schemas import Body
from exstrat_app.services.operations.health import Readiness


class HealthOut(Body):
    status: Literal["ok"] = "ok"


class CheckOut(Body):
    ok: bool
    required: bool  # a failure here makes the instance not ready
    status: str  # a few words: "ok", "at head", "unreachable (ConnectionError)"...
    ms: float  # how long the check took


class MigrationsOut(CheckOut):
    database_revision: str | None
    code_revision: str | None


class QueueDepthOut(Body):
    queued: int
    failed: int


class QueuesOut(CheckOut):
    depths: dict[str, QueueDepthOut]  # by queue: ingest, watch, notify


class PricesOut(CheckOut):
    age_seconds: float | None  # since the freshest price; null: none seen yet
    stream_live: bool | None


class SchedulerOut(CheckOut):
    running: bool | None
    beat_age_seconds: float | None
    lock_held: bool | None  # only while a tick moves due jobs


class WorkersOut(CheckOut):
    live: int | None


class ChecksOut(Body):
    database: CheckOut
    migrations: MigrationsOut
    redis: CheckOut
    queues: QueuesOut
    prices: PricesOut
    scheduler: SchedulerOut
    workers: WorkersOut


class ReadyOut(Body):
    status: Literal["ready", "not_ready"]
    checked_at: str  # when these checks ran (a report is reused for a second)
    checks: ChecksOut

    @classmethod
    def of(cls, report: Readiness) -> ReadyOut:
        return cls(
            status="ready" if report.ready else "not_ready",
            checked_at=report.checked_at.isoformat(),
            checks=ChecksOut.model_validate(
                {name: asdict(check) for name, check in report.checks.items()}
            ),
        )
