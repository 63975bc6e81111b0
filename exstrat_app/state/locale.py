"""The reader's language in the browser (docs/translations.md).

`locale` is what the compiled pages read to show their words (`pages/components/text.py`).
Where it comes from, first found wins: the `exstrat_locale` cookie (set by the switch, and at
sign-in from the user's saved choice), else the browser's Accept-Language, else English. The
socket middleware (`state/guard.py`) puts the same choice in the i18n context for every event,
so the words and figures a state writes follow it too.

Switching saves the choice on the signed-in user, writes the cookie and reloads the page: a new
socket handshake carries the new cookie, and every state loads again in the new language.
"""

from __future__ import annotations

import asyncio
import json

import reflex as rx

from exstrat_app import bootstrap, i18n
from exstrat_app.services import auth
from exstrat_app.services.portfolio.history import request_refigure
from exstrat_app.state.base import current_user_id

COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie


def cookie_script(locale: str) -> str:
    cookie = f"{i18n.LOCALE_COOKIE}={locale}; path=/; max-age={COOKIE_MAX_AGE}; samesite=lax"
    return f"document.cookie = {json.dumps(cookie)}; window.location.reload()"


def _save(user_id: str, *, locale: str | None = None, currency: str | None = None) -> None:
    with bootstrap.unit_of_work() as session:
        auth.change_preferences(session, user_id, locale=locale, currency=currency)


def _currency_of(user_id: str) -> str:
    with bootstrap.unit_of_work() as session:
        return auth.user_preferences(session, user_id).currency


class LocaleState(rx.State):
    locale: str = i18n.DEFAULT_LOCALE
    currency: str = "USD"  # the signed-in user's reporting currency ("USD" | "EUR")

    @rx.var
    def is_fr(self) -> bool:
        return self.locale == "fr"

    @rx.event
    async def pick(self) -> None:
        """First on_load of every page: the language the middleware found for this socket,
        and the signed-in user's reporting currency."""
        self.locale = i18n.current_locale()
        user_id = await current_user_id(self)
        if user_id:
            self.currency = await asyncio.to_thread(_currency_of, user_id)

    @rx.event
    async def switch(self, locale: str) -> rx.event.EventSpec | None:
        chosen = i18n.valid_locale(locale)
        if chosen is None:
            return None
        user_id = await current_user_id(self)
        if user_id:
            await asyncio.to_thread(_save, user_id, locale=chosen)
        return rx.call_script(cookie_script(chosen))

    @rx.event
    async def switch_currency(self, currency: str) -> rx.event.EventSpec | None:
        """Save the reporting currency, then reload: every figure is read again in it."""
        chosen = currency.upper()
        user_id = await current_user_id(self)
        if chosen not in auth.CURRENCIES or not user_id:
            return None
        if await asyncio.to_thread(_currency_of, user_id) != chosen:
            await asyncio.to_thread(_save, user_id, currency=chosen)
            await asyncio.to_thread(request_refigure, user_id, redis=bootstrap.redis())
        return rx.call_script("window.location.reload()")
