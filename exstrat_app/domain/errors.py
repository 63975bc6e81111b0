"""Errors raised by the pure money core.

They are plain Python exceptions (no HTTP status here): the service layer maps them onto its
own `InvalidInput` / 422 with `fields`. `InvalidAmount` and `LadderInvalid` are `ValueError`s so
that generic callers that only know the standard library still catch them.
"""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base class of every error raised by `exstrat_app.domain`."""


class InvalidAmount(DomainError, ValueError):
    """An amount that cannot be a money value (bad text, NaN, too many digits...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class AmountTypeError(InvalidAmount, TypeError):
    """A float (or bool, None...) where a Decimal or its text was expected.

    Both a `TypeError` (it is a programming error: floats are banned from the money path) and an
    `InvalidAmount`, so an API handler catching `InvalidAmount` still answers 422 with `.field`.
    """


class LadderInvalid(DomainError, ValueError):
    """A take-profit ladder that cannot be planned; `.fields` maps camelCase paths to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        summary = "; ".join(f"{path}: {msg}" for path, msg in fields.items())
        super().__init__(f"invalid ladder: {summary}")
        self.fields = dict(fields)


class PriceUnavailable(DomainError, LookupError):
    """Raised by a `PriceAt` callback when it has no price for an asset at a time."""

    def __init__(self, asset: str, ts: datetime, detail: str = "") -> None:
        text = f"no price for {asset} at {ts.isoformat()}"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.asset = asset
        self.ts = ts
