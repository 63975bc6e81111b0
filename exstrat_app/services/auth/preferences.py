"""A user's language and reporting currency (docs/translations.md, docs/currencies.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from exstrat_app.i18n import LOCALES, N_
from exstrat_app.models import User
from exstrat_app.services.errors import InvalidInput, NotFound

CURRENCIES = ("USD", "EUR")


@dataclass(frozen=True)
class Preferences:
    locale: str | None  # None: follows the browser
    currency: str


def preferences_of(user: User) -> Preferences:
    currency = user.currency if user.currency in CURRENCIES else "USD"
    return Preferences(locale=user.locale if user.locale in LOCALES else None, currency=currency)


def user_preferences(session: Session, user_id: str) -> Preferences:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return preferences_of(user)


def change_preferences(
    session: Session, user_id: str, *, locale: str | None = None, currency: str | None = None
) -> Preferences:
    """Set what is given; a value we do not offer is refused with the choices."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    fields: dict[str, str] = {}
    if locale is not None and locale not in LOCALES:
        fields["locale"] = N_("Choose one of: {choices}.", choices=", ".join(LOCALES))
    if currency is not None and currency.upper() not in CURRENCIES:
        fields["currency"] = N_("Choose one of: {choices}.", choices=", ".join(CURRENCIES))
    if fields:
        raise InvalidInput(N_("Some fields are invalid."), fields=fields)
    if locale is not None:
        user.locale = locale
    if currency is not None:
        user.currency = currency.upper()
    session.add(user)
    session.flush()
    return preferences_of(user)
