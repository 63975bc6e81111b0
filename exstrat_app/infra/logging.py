"""Structured JSON logs with one correlation id per request and per job.

Every log line (ours and the libraries', through the stdlib root logger) is one JSON
object. The id of the request that enqueued a job travels in the job's meta and is
bound again while the job runs, so a sync's log lines carry the id of the click that
started it. Never log secrets: log ids, not keys, passwords or tokens.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import Any

import structlog

from exstrat_app.settings import get_settings

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_configured = False


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def current_correlation_id() -> str | None:
    return correlation_id.get()


def _add_correlation_id(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    cid = correlation_id.get()
    if cid and "correlation_id" not in event:
        event["correlation_id"] = cid
    return event


def configure_logging(level: str | None = None) -> None:
    """JSON to stderr for every logger; idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or get_settings().log_level)
