"""Retries with a budget: temporary errors only, exponential backoff with jitter, never
sooner than the exchange's Retry-After. Auth and bad-request errors are raised at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from exstrat_app.infra.exchanges.errors import ExchangeRateLimited, ExchangeTemporaryError

T = TypeVar("T")

MAX_ATTEMPTS = 6
# Module-level so tests can swap it for a few-millisecond wait (read at each retry).
_backoff = wait_random_exponential(multiplier=0.5, max=30)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff with jitter, but never shorter than the exchange's Retry-After."""
    wait = _backoff(state)
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ExchangeRateLimited) and exc.retry_after:
        wait = max(wait, float(exc.retry_after))
    return wait


def with_retries(fn: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run `fn`, retrying only temporary errors; the last error is raised as is."""
    runner = retry(
        retry=retry_if_exception_type(ExchangeTemporaryError),
        wait=_wait,
        stop=stop_after_attempt(attempts),
        reraise=True,
    )(fn)
    return runner()
