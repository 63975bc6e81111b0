"""Binance's error bodies ``{"code": -NNNN, "msg": "..."}`` with its own codes and messages, so
ccxt raises against the sim the exceptions it raises against the real exchange (Binance Spot
API docs, "Error codes")."""

from __future__ import annotations

from .._wire import Request, Response, json_response


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg

    def response(self) -> Response:
        return json_response({"code": self.code, "msg": self.msg}, self.status)


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def int_param(req: Request, name: str) -> int | None:
    """An integer query parameter (None when absent); -1100 when it is not digits."""
    v = req.arg(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise BinanceError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        ) from None
