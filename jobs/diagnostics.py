"""Tiny jobs used to check the worker plumbing (correlation ids, queues)."""

from __future__ import annotations

import logging

from exstrat_app.infra.logging import current_correlation_id

log = logging.getLogger(__name__)


def echo_correlation_id() -> str | None:
    log.info("diagnostic job ran")
    return current_correlation_id()
