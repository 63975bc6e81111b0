"""Epoch-millisecond time units and the ISO strings the exchanges print them as."""

from __future__ import annotations

from datetime import UTC, datetime

DAY_MS = 86_400_000
MINUTE_MS = 60_000


def ms(iso: str) -> int:
    """``"2024-01-10T12:00:27.123Z"`` -> epoch milliseconds (UTC)."""
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def iso_ms(t_ms: int) -> str:
    """Epoch milliseconds -> ``"2024-01-10T12:00:27.123Z"``."""
    dt = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}Z"
