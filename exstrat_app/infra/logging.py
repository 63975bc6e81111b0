"""Structured JSON logs with one correlation id per request and per job.

Every log line (ours and the libraries', through the stdlib root logger) is one JSON
object. The id of the request that enqueued a job travels in the job's meta and is
bound again while the job runs, so a sync's log lines carry the id of the click that
started it. Never log secrets: log ids, not keys, passwords or tokens.

Last before rendering, `redact_secrets` scrubs every line (ours, the libraries', their
tracebacks): session JWTs, cookie and Authorization values, and Reflex's event dumps (an
event's payload and router data, which Reflex prints when it cannot process an event).
"""

from __future__ import annotations

import logging
import re
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


REDACTED = "[redacted]"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_HEADER_VALUE = re.compile(
    r"""((?:cookie|authorization|set-cookie)['"]?\s*[:=]\s*)(['"]?)[^'"\n]*\2""", re.IGNORECASE
)
_SESSION_COOKIE = re.compile(r"(exstrat_session=)[^;\s'\"]*")
# Reflex's `Event(name='…', router_data={…}, payload={…})` and "Event data: {…}" dumps.
_EVENT_DUMP = re.compile(r"(Event\(name='[^']*').*", re.DOTALL)
_EVENT_DATA = re.compile(r"((?:event data|payload)\s*[:=]\s*).*", re.IGNORECASE | re.DOTALL)
_SECRET_KEYS = frozenset(
    {"cookie", "authorization", "token", "session_token", "password", "secret", "payload"}
)


def redact_text(text: str) -> str:
    """`text` without session tokens, cookie/Authorization values or event payloads."""
    text = _EVENT_DUMP.sub(rf"\1, {REDACTED})", text)
    text = _EVENT_DATA.sub(rf"\1{REDACTED}", text)
    text = _HEADER_VALUE.sub(rf"\1{REDACTED}", text)
    text = _SESSION_COOKIE.sub(rf"\1{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


def redact_secrets(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub every value of the line (see `redact_text`)."""
    for key, value in list(event.items()):
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_text(value)
        elif value is not None and not isinstance(value, int | float | bool):
            event[key] = redact_text(str(value))
    return event


class RedactingFilter(logging.Filter):
    """The same scrub for handlers that are not ours (Reflex's own console sink): rewrites a
    record's message and traceback text before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


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
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or get_settings().log_level)
