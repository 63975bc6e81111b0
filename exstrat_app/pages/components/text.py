"""Words on a page in both languages: `T("Portfolio")` is compiled as "Portefeuille" or
"Portfolio" by the reader's `LocaleState.locale` (state/locale.py; rules in
docs/translations.md). Placeholders take Vars or text: `T("{n} steps", n=State.count)`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from exstrat_app.i18n.catalog import translations
from exstrat_app.state.locale import LocaleState


def placeholder_pieces(text: str, params: dict[str, Any]) -> list[Any]:
    """ "Page {page} of {pages}" -> ["Page ", page, " of ", pages, ""]: the sentence's own
    word order, whichever language it is in."""
    pieces: list[Any] = []
    rest = text
    while "{" in rest:
        before, _sep, after = rest.partition("{")
        name, _close, rest = after.partition("}")
        pieces += [before, params[name]]
    pieces.append(rest)
    return pieces


def _filled(text: str, params: dict[str, Any]) -> Any:
    if not params:
        return text
    if not any(isinstance(v, rx.Var) for v in params.values()):
        return text.format(**params)
    # The pieces joined as one string Var.
    parts = placeholder_pieces(text, params)
    out: Any = rx.Var.create("")
    for part in parts:
        if isinstance(part, str) and not part:
            continue
        out = out + (part.to(str) if isinstance(part, rx.Var) else part)
    return out


def T(msgid: str, **params: Any) -> Any:
    """The text (a str when both languages read the same, else a Var)."""
    english = _filled(msgid, params)
    french = _filled(translations("fr").gettext(msgid), params)
    if isinstance(english, str) and isinstance(french, str) and english == french:
        return english
    return rx.cond(LocaleState.is_fr, french, english)
