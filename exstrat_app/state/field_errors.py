"""A service error as the page shows it, in the reader's language, and the field errors
the sign-in, reset and account forms share.

Services raise `ServiceError`s whose `message` and `fields` may be lazy messages (`N_`, a
`Msg`); a state renders them when it keeps them (`error_text`, `field_texts`), inside the
event, where the socket middleware has set the reader's locale (docs/translations.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import reflex as rx

from exstrat_app.i18n import render
from exstrat_app.services.errors import ServiceError


def error_text(exc: ServiceError) -> str:
    """The error's message in the current locale."""
    return render(exc.message)


def field_texts(fields: Mapping[str, object]) -> dict[str, str]:
    """Each field's message in the current locale."""
    return {name: render(text) for name, text in fields.items()}


class FieldErrors(rx.State, mixin=True):
    """`field_errors` (input name -> why, already in the reader's language) and the inputs
    every form of this kind has."""

    field_errors: dict[str, str] = {}

    @rx.var
    def email_error(self) -> str:
        return self.field_errors.get("email", "")

    @rx.var
    def password_error(self) -> str:
        return self.field_errors.get("password", "")

    @rx.var
    def confirm_error(self) -> str:
        return self.field_errors.get("confirm", "")
