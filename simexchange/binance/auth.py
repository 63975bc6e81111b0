"""Binance's SIGNED endpoint security: ``X-MBX-APIKEY``, ``timestamp``/``recvWindow`` and an
HMAC-SHA256 ``signature`` over the query string (+ body), checked as Binance does (Binance
Spot API docs, "SIGNED (TRADE and USER_DATA) Endpoint security")."""

from __future__ import annotations

import hashlib
import hmac

from .._wire import Request
from ..datasets.model import SimAccount
from .errors import BinanceError, int_param, mandatory


def authenticate(req: Request, accounts: dict[str, SimAccount], now_ms: int) -> SimAccount:
    """The Binance account whose key signed ``req``, or the BinanceError Binance answers."""
    key = req.headers.get("X-MBX-APIKEY")
    if not key:
        raise BinanceError(401, -2014, "API-key format invalid.")
    acct = accounts.get(key)
    if acct is None or acct.exchange != "binance":
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    ts = int_param(req, "timestamp")
    if ts is None:
        raise mandatory("timestamp")
    recv = int_param(req, "recvWindow")
    if recv is None:
        recv = 5000
    if recv > 60000:
        raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    sig = req.arg("signature")
    if not sig:
        raise mandatory("signature")
    if ts > now_ms + 1000:
        raise BinanceError(
            400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - ts > recv:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    payload = "&".join(p for p in req.raw_query.split("&") if not p.startswith("signature="))
    expected = hmac.new(
        acct.secret.encode(), payload.encode() + req.body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, sig.lower()):
        raise BinanceError(400, -1022, "Signature for this request is not valid.")
    if not acct.permissions.get("enableReading", True):
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    return acct
