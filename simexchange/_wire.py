"""The wire both exchanges share: a parsed request, a response, and the number/time formats
the real exchanges print."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.message import Message

from .datasets.model import SimAccount

Q8 = Decimal("0.00000001")


def f8(d: Decimal) -> str:
    """Binance style: always 8 decimals (``"2000.00000000"``)."""
    return format(d.quantize(Q8), "f")


def plain(d: Decimal) -> str:
    """Coinbase style: the decimal as written, no exponent (``"0.02"``, ``"5913.56"``)."""
    return format(d, "f")


def jbytes(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def iso_micro(t_ms: int) -> str:
    """``"2024-02-01T15:00:10.500000Z"`` (Coinbase sequence_timestamp style)."""
    dt = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}000Z"


def iso_seconds(t_ms: int) -> str:
    """``"2024-02-01T15:00:10Z"`` (Coinbase v2 style)."""
    return datetime.fromtimestamp(t_ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> int:
    """RFC 3339 -> epoch ms (accepts ``Z``, offsets and fractional seconds)."""
    s = s.strip().replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            frac += rest[i]
            i += 1
        s = head + "." + (frac + "000000")[:6] + rest[i:]
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    client: str
    account: SimAccount | None = None  # set by the exchange's auth step

    def signed_account(self) -> SimAccount:
        """The account whose key signed this request (only private endpoints ask for it)."""
        if self.account is None:
            raise LookupError("not an authenticated request")
        return self.account

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    @property
    def target(self) -> str:
        return self.path + ("?" + self.raw_query if self.raw_query else "")


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def is_coinbase(path: str) -> bool:
    """``/api/v3/brokerage/*`` and ``/v2/*`` are Coinbase; the rest of ``/api/v3/*`` and
    ``/sapi/*`` is Binance."""
    return path.startswith("/api/v3/brokerage") or path.startswith("/v2/")


def json_response(obj: object, status: int = 200) -> Response:
    return Response(status, jbytes(obj))


def text_response(status: int, text: str, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), content_type)
