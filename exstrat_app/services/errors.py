"""Errors the use cases raise; every entry point maps them onto its own surface.

The /api maps them to `{"error": {"code", "message", "fields"}}` with `status`;
Reflex states show `message` (and `fields` next to the inputs).

`message` and the `fields` values are `Msg`s (`N_("...")`, docs/translations.md): English as
`str`, rendered by each entry point in its reader's language (`i18n.render`).
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(ServiceError):
    status = 422
    code = "invalid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class TooManyRequests(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ExchangeRejected(ServiceError):
    """The exchange refused the key, or the key has rights we must not hold."""

    status = 422
    code = "exchange_rejected"


class ExchangeUnavailable(ServiceError):
    status = 503
    code = "exchange_unavailable"
