"""CSV injection (docs/export.md): text a spreadsheet would run as a formula comes out with a
leading `'` in every export, numbers stay numbers (a negative P&L is still `-12.5`), and the
page's download is the API's file byte for byte."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from exstrat_app.models import ExchangeAccount, Position, Trade, Transfer, ValueHistoryDay
from exstrat_app.services.portfolio.export import csv_cell
from tests.portfolio.conftest import sign_in

D = Decimal
HYPERLINK = '=HYPERLINK("http://x","y")'
AT = datetime(2026, 1, 2, 12, tzinfo=UTC)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _seed(db: Any, user_id: str) -> None:
    """Rows whose exchange-supplied text starts like a formula, and negative figures."""
    account = ExchangeAccount(
        user_id=user_id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.flush()
    db.add(
        Trade(
            exchange_account_id=account.id, exchange_trade_id=HYPERLINK, symbol="+1/@SUM(A1)",
            base="+1", quote="@SUM(A1)", side="buy", amount=D("2"), price=D("3"), cost=D("6"),
            fee_asset="-2+3", fee_cost=D("0.1"), ts=AT, kind="\tx",
        )
    )  # fmt: skip
    db.add(
        Transfer(
            exchange_account_id=account.id, exchange_transfer_id="@SUM(A1)", type="unclassified",
            source=HYPERLINK, asset="-2+3", amount=D("-12.5"), fee_asset="\tx",
            fee_cost=D("0.5"), txid="\rcmd", ts=AT,
        )
    )  # fmt: skip
    db.add(
        Position(
            user_id=user_id, asset="=1+1", quote="+1", quantity=D("1"), computed_qty=D("1"),
            cost_basis=D("3"), avg_price=D("3"), realized_pnl=D("-12.5"),
            unknown_cost_qty=D("0"),
        )
    )  # fmt: skip
    db.add(
        ValueHistoryDay(
            user_id=user_id, day=date(2026, 1, 2), value=D("10"), invested=D("22.5"),
            realized=D("-12.5"), unrealized=D("-0.25"), income=D("0"), unpriced=0, digest="d",
        )
    )  # fmt: skip
    db.commit()


def test_formula_text_is_quoted_and_negative_numbers_stay_numbers(client, db, make_user) -> None:
    user = make_user("csv-injection@example.com")
    _seed(db, user.id)
    sign_in(client, user.id)

    [trade] = _rows(client.get("/api/export/trades.csv").text)
    assert (trade["trade_id"], trade["symbol"], trade["base"], trade["quote"]) == (
        "'" + HYPERLINK, "'+1/@SUM(A1)", "'+1", "'@SUM(A1)"
    )  # fmt: skip
    assert (trade["fee_asset"], trade["kind"], trade["side"]) == ("'-2+3", "'\tx", "buy")
    assert (trade["amount"], trade["cost"], trade["fee_cost"]) == ("2", "6", "0.1")

    [transfer] = _rows(client.get("/api/export/transfers.csv").text)
    assert (transfer["transfer_id"], transfer["source"], transfer["asset"]) == (
        "'@SUM(A1)", "'" + HYPERLINK, "'-2+3"
    )  # fmt: skip
    # A carriage return would end the row in most readers: it is written as a line feed.
    assert (transfer["fee_asset"], transfer["txid"]) == ("'\tx", "'\ncmd")
    assert transfer["amount"] == "-12.5"  # a number, not text

    [position] = _rows(client.get("/api/export/positions.csv").text)
    assert (position["asset"], position["quote"]) == ("'=1+1", "'+1")
    assert position["realized_pnl"] == "-12.5"

    [day] = _rows(client.get("/api/export/history.csv").text)
    assert (day["day"], day["realized"], day["unrealized"]) == ("2026-01-02", "-12.5", "-0.25")


def test_the_pages_download_is_the_apis_file(client, db, make_user) -> None:
    from exstrat_app.state.export import _export

    user = make_user("csv-injection-page@example.com")
    _seed(db, user.id)
    sign_in(client, user.id)
    for kind in ("trades", "transfers", "positions", "history"):
        assert _export(user.id, kind) == client.get(f"/api/export/{kind}.csv").text, kind


def test_one_rule_for_every_cell() -> None:
    for text in ("=1", "+1", "-1", "@A1", "\tx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("\r=1") == "'\n=1" and csv_cell("a\r\nb") == "a\nb"
    for text in ("ETH", "'=1", " =1", "", "1-2"):
        assert csv_cell(text) == text
    assert csv_cell(D("-12.5")) == "-12.5"
    assert csv_cell(-3) == "-3"
    assert csv_cell(None) == ""
    assert csv_cell(AT) == "2026-01-02T12:00:00+00:00"
