"""A load balancer's probes (docs/operations.md):

    GET /api/health -> 200 {"status": "ok"} while this process answers (nothing else is asked)
    GET /api/ready  -> 200 {"status": "ready", ...} or 503 {"status": "not_ready", ...}

Both answer for any Host, without a session, outside the API's rate limit, and the same to
everyone: the cookie and Authorization header of a probe are dropped before the personal
tokens' door (`ProbeCredentialsMiddleware`), so a probe never costs a token lookup. Readiness
is bounded instead: each round of checks takes at most two seconds and its report is reused
for a second (services/operations/health.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from redis import Redis
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from exstrat_app import bootstrap
from exstrat_app.api.deps import SettingsDep
from exstrat_app.api.operations_schemas import HealthOut, ReadyOut
from exstrat_app.api.request_guard import HEALTH_PATH, READY_PATH, is_probe_path
from exstrat_app.services.operations import health

router = APIRouter(tags=["operations"])


# The parts readiness looks at, as dependencies so that a test can put a dead one in.
def probe_engine() -> Engine:
    return bootstrap.engine()


def probe_redis() -> Redis:
    return bootstrap.probe_redis()


def readiness_memo(request: Request) -> health.RecentReadiness:
    """This app's last report (one per app: a test's app never sees another's)."""
    state = request.app.state
    if not hasattr(state, "readiness_memo"):
        state.readiness_memo = health.RecentReadiness()
    memo: health.RecentReadiness = state.readiness_memo
    return memo


EngineDep = Annotated[Engine, Depends(probe_engine)]
ProbeRedisDep = Annotated[Redis, Depends(probe_redis)]
MemoDep = Annotated[health.RecentReadiness, Depends(readiness_memo)]


@router.get(HEALTH_PATH, response_model=HealthOut)
async def liveness() -> HealthOut:
    """Liveness: the process answers. No database, no Redis, no thread: it answers even
    while every worker thread waits on a dead dependency (a restart would not help then)."""
    return HealthOut()


@router.get(
    READY_PATH,
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Not ready: see the failing check"}},
)
def readiness(
    response: Response,
    engine: EngineDep,
    redis: ProbeRedisDep,
    settings: SettingsDep,
    memo: MemoDep,
) -> ReadyOut:
    """Readiness: the database, its migrations and Redis answer (200), else 503; the queues,
    the last price, the scheduler and the workers are reported beside them."""
    report = memo.get(lambda: health.check_readiness(engine, redis, settings))
    if not report.ready:
        response.status_code = 503
    return ReadyOut.of(report)


class ProbeCredentialsMiddleware:
    """Drops the cookie and Authorization header of a probe: it answers the same to anyone,
    and neither the session nor a personal token is looked up for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_probe_path(scope.get("path", "")):
            headers = [
                (name, value)
                for name, value in scope.get("headers") or ()
                if name.lower() not in (b"cookie", b"authorization")
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
