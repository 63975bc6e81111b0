"""CSV downloads from the pages: the same text as `GET /api/export/{kind}.csv`,
built by the same service for the signed-in user (the user id comes from the session state,
never from the browser) and handed to the browser with `rx.download`."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.domain.assets import is_ticker
from exstrat_app.i18n import N_, render
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.exchanges import accounts
from exstrat_app.services.portfolio import export as export_service
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.field_errors import error_text

CSV_MIME = "text/csv"
FAILED = N_("The file could not be made; please try again in a moment.")
ALL = "all"
PER_ACCOUNT = ("trades", "transfers")  # positions and the value history are per user


def _export(user_id: str, kind: str, account: str | None = None) -> str:
    with bootstrap.unit_of_work() as session:
        return export_service.export_csv(session, user_id, kind, account=account)


def _accounts(user_id: str) -> list[dict[str, str]]:
    """The choices of the account picker: id and a name (never a secret)."""
    with bootstrap.unit_of_work() as session:
        views = accounts.list_accounts(session, user_id=user_id)
    return [{"value": a.id, "label": a.nickname or a.exchange.capitalize()} for a in views]


def only_asset(text: str, asset: str) -> str:
    """The trades CSV reduced to the rows of one asset (the token page's trades). The cells
    are the service's (`export.csv_cell`, formulas already defused), copied as they are."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    base = rows[0].index("base")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows(r for r in rows[1:] if r[base] == asset)
    return out.getvalue()


@user_data
class ExportState(rx.State):
    error: str = ""
    account: str = ALL  # the trades and transfers files: one account or all
    accounts: list[dict[str, str]] = []

    async def _text(self, kind: str, account: str | None = None) -> str | None:
        user_id = await current_user_id(self)
        if user_id is None:
            return None
        return await asyncio.to_thread(_export, user_id, kind, account)

    @rx.event
    async def load_accounts(self) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        self.accounts = await asyncio.to_thread(_accounts, user_id)
        if self.account not in {a["value"] for a in self.accounts}:
            self.account = ALL
        return None

    @rx.event
    def set_account(self, value: str | list[str]) -> None:
        if value == ALL or value in {a["value"] for a in self.accounts}:
            self.account = str(value)

    @rx.event
    async def download(self, kind: str) -> Any:
        """The CSV of `kind` (trades, transfers, positions, history) of every account."""
        if kind not in export_service.KINDS:
            return None
        account = self.account if kind in PER_ACCOUNT and self.account != ALL else None
        try:
            text = await self._text(kind, account)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the page stays usable
            self.error = error_text(exc) if isinstance(exc, ServiceError) else render(FAILED)
            return None
        if text is None:
            return TO_LOGIN
        self.error = ""
        return rx.download(data=text, filename=f"exstrat-{kind}.csv", mime_type=CSV_MIME)

    @rx.event
    async def download_token_trades(self, asset: str) -> Any:
        """The trades CSV of one asset (the token page)."""
        asset = str(asset).upper()
        if not is_ticker(asset):
            return None
        try:
            text = await self._text("trades")
        except Exception as exc:  # noqa: BLE001 - shown to the user, the page stays usable
            self.error = error_text(exc) if isinstance(exc, ServiceError) else render(FAILED)
            return None
        if text is None:
            return TO_LOGIN
        self.error = ""
        return rx.download(
            data=only_asset(text, asset),
            filename=f"exstrat-{asset}-trades.csv",
            mime_type=CSV_MIME,
        )
