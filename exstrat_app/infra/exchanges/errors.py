"""Our own error tree at the ccxt boundary: callers never see a ccxt exception.

The classes say what a caller can do about the failure (retry, tell the user to fix the key,
give up on this request); `message` is always safe to show (it never carries a secret).
"""

from __future__ import annotations

import ccxt

from exstrat_app.i18n import N_


class ExchangeError(Exception):
    """Base class; `message` is safe to show to the user (never contains a secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExchangeAuthError(ExchangeError):
    """Bad key, bad signature, IP not allowed or missing permission: retrying won't help."""


class ExchangeBadRequest(ExchangeError):
    """The exchange refused the request itself (bad symbol, window too wide, clock skew)."""


class UnsupportedExchange(ExchangeBadRequest):
    """An exchange id we have no client for (the caller's input, not the exchange's answer)."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"Unsupported exchange {exchange!r}.")
        self.exchange = exchange


class MarketsUnavailable(ExchangeError):
    """The market list could not be loaded (exchange unreachable or refusing): the caller
    may say "try again shortly"; `message` names the exchange."""


class ExchangeTemporaryError(ExchangeError):
    """Timeouts, 5xx, maintenance: worth retrying with backoff."""


class ExchangeRateLimited(ExchangeTemporaryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def map_ccxt_error(exc: Exception, *, exchange: str, retry_after: float | None) -> ExchangeError:
    """Our error for a ccxt one; anything that is not a ccxt error is re-raised as is."""
    name = exchange.capitalize()
    if isinstance(exc, ccxt.PermissionDenied):
        return ExchangeAuthError(
            N_("{exchange} refused the key: it lacks a permission we need.", exchange=name)
        )
    if isinstance(exc, ccxt.AuthenticationError):
        return ExchangeAuthError(
            N_(
                "{exchange} rejected the API key or secret (wrong key, wrong secret, or IP not "
                "allowed).",
                exchange=name,
            )
        )
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return ExchangeRateLimited(
            N_("{exchange} is rate-limiting us.", exchange=name), retry_after
        )
    if isinstance(exc, ccxt.InvalidNonce):
        return ExchangeBadRequest(
            N_(
                "{exchange} says this server's clock is out of sync: fix the system time (NTP).",
                exchange=name,
            )
        )
    if isinstance(exc, ccxt.NetworkError):  # timeouts, 5xx, maintenance
        return ExchangeTemporaryError(
            N_("{exchange} is not answering properly right now.", exchange=name)
        )
    if isinstance(exc, ccxt.BadSymbol):
        return ExchangeBadRequest(N_("{exchange} does not know this market.", exchange=name))
    if isinstance(exc, ccxt.BaseError):
        return ExchangeBadRequest(N_("{exchange} refused the request.", exchange=name))
    raise exc
