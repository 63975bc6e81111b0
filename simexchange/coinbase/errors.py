"""Coinbase's error answers: Advanced Trade (v3) ``{"error", "error_details", "message"}``,
App (v2) ``{"errors": [{"id", "message"}]}``, and a text ``Unauthorized`` 401 for a bad JWT
(which ccxt raises as ``AuthenticationError``), as the Coinbase API reference describes."""

from __future__ import annotations

from .._wire import Request, Response, json_response, text_response


class CoinbaseError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.resp = response


def unauthorized(reason: str) -> CoinbaseError:
    r = text_response(401, "Unauthorized\n")
    r.headers.append(("X-Sim-Auth-Error", reason))
    return CoinbaseError(r)


def invalid(msg: str) -> CoinbaseError:
    return CoinbaseError(
        json_response({"error": "INVALID_ARGUMENT", "error_details": msg, "message": msg}, 400)
    )


def not_found_v3(msg: str = "not found") -> CoinbaseError:
    return CoinbaseError(
        json_response({"error": "NOT_FOUND", "error_details": msg, "message": msg}, 404)
    )


def not_found_v2() -> CoinbaseError:
    return CoinbaseError(
        json_response({"errors": [{"id": "not_found", "message": "Not found"}]}, 404)
    )


def int_arg(req: Request, name: str, default: int) -> int:
    v = req.arg(name)
    if v in (None, ""):
        return default
    try:
        return int(v)
    except ValueError:
        raise invalid(f"invalid {name}") from None
