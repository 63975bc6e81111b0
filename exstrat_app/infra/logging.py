"""Structured JSON logs with one correlation id per request and per job.

Every log line (ours and the libraries', through the stdlib root logger) is one JSON
object. The id of the request that enqueued a job travels in the job's meta and is
bound again while the job runs, so a sync's log lines carry the id of the click that
started it. Never log secrets: log ids, not keys, passwords or tokens.

Every line is scrubbed by `redaction.redact_text`, once, where it is made: a log record
factory formats each stdlib record's message with its `%`-args and its traceback, scrubs
them and drops the raw ones, so no handler (ours, Reflex's, rq's, a library's) can print
them unscrubbed, whatever the level. structlog's own events are dicts: `redact_secrets`
scrubs their values last before rendering. The rules are in docs/logging.md.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import IO, Any

import structlog

from exstrat_app.infra.redaction import REDACTED, redact_text
from exstrat_app.settings import get_settings

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_configured = False
_SCRUBBED = "_exstrat_scrubbed"  # the message `redact_record` left on a record


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def current_correlation_id() -> str | None:
    return correlation_id.get()


def _add_correlation_id(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    cid = correlation_id.get()
    if cid and "correlation_id" not in event:
        event["correlation_id"] = cid
    return event


_SECRET_KEYS = frozenset(
    {"cookie", "authorization", "token", "session_token", "password", "secret", "payload"}
)


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


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):  # args that do not fit the format: keep both, scrubbed
        return f"{record.msg} {record.args!r}"


class ScrubbedTraceback(Exception):
    """Takes a logged exception's place on its record once the traceback is formatted and
    scrubbed: a handler that formats `exc_info` itself (Reflex's console) prints the scrubbed
    text, and nothing can format the real exception, its message or its frames, raw."""


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub a stdlib record in place: its message formatted with its args, its traceback
    (formatted now, the exception swapped for a `ScrubbedTraceback`) and its stack.
    structlog's event dicts are left to `redact_secrets`. Idempotent."""
    if getattr(record, _SCRUBBED, None) is record.msg:
        return record
    if not isinstance(record.msg, dict):
        record.msg, record.args = redact_text(_message_of(record)), None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
        record.exc_info = (ScrubbedTraceback, ScrubbedTraceback(record.exc_text), None)
    else:
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    # The scrubbed message itself, not a flag: `logging.makeLogRecord` builds a record through
    # the factory, then copies another's attributes over it (a flag would outlive the message).
    setattr(record, _SCRUBBED, record.msg)
    return record


class RedactingFilter(logging.Filter):
    """`redact_record` as a filter, for handlers that may see records made before
    `install_redaction` (Reflex's console sink, our own handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_base_factory: Any = None


def install_redaction() -> None:
    """Scrub every log record where it is made, whichever logger and handler (idempotent)."""
    global _base_factory
    if _base_factory is not None:
        return
    base = logging.getLogRecordFactory()
    _base_factory = base

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(base(*args, **kwargs))

    logging.setLogRecordFactory(scrubbed_record)


def uninstall_redaction() -> None:
    """Put back the record factory `install_redaction` replaced (tests)."""
    global _base_factory
    if _base_factory is not None:
        logging.setLogRecordFactory(_base_factory)
        _base_factory = None


def _traceback_text(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """A stdlib record's traceback as `redact_record` formatted and scrubbed it, as the line's
    `exception` (rather than structlog formatting the stand-in exception again)."""
    record = event.get("_record")
    exc_text = getattr(record, "exc_text", None)
    if exc_text:
        event.pop("exc_info", None)
        event.setdefault("exception", exc_text)
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    _add_correlation_id,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def json_handler(stream: IO[str]) -> logging.Handler:
    """The handler every process logs through: one scrubbed JSON object per line."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, _traceback_text],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str | None = None) -> None:
    """JSON to stderr for every logger, every record scrubbed; idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    install_redaction()
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.handlers[:] = [json_handler(sys.stderr)]
    root.setLevel(level or get_settings().log_level)
