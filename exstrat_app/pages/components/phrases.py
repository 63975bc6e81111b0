"""Sentences with elements inside, in both languages, and the language switch.

`T()` (components/text.py) gives text only. A sentence that holds an element with its own id
or style ("Page <span id=...>2</span> of 5", "Link expired? <a>Sign in</a> to get a new one")
is written once with named placeholders, marked with `N_` so the extractor sees it, and
`phrase()` places the elements where each language puts them: the word order differs between
English and French, so the sentence is never glued from pieces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import Var

from exstrat_app.i18n import Msg
from exstrat_app.i18n.catalog import translations
from exstrat_app.pages.components.text import placeholder_pieces
from exstrat_app.state.locale import LocaleState

# A page's words: plain text, or T()'s Var that reads the reader's language.
Text = str | Var[str]
# The languages offered, each under its own name (a language's name is never translated).
LANGUAGES = (("en", "English"), ("fr", "Français"))


def _pieces(text: str, parts: dict[str, Any], wrap: Callable[[str], Any] | None) -> list[Any]:
    pieces = placeholder_pieces(text, parts)
    kept = [p for p in pieces if not (isinstance(p, str) and not p.strip() and wrap)]
    kept = [p for p in kept if not (isinstance(p, str) and not p)]
    return [wrap(p.strip()) if wrap and isinstance(p, str) else p for p in kept]


def phrase(msg: Msg, *, text: Callable[[str], Any] | None = None, **parts: Any) -> Any:
    """The sentence `msg` (an `N_("... {name} ...")`) with `parts` (elements, Vars or text)
    in its placeholders, in the reader's language; `text` wraps each run of words (e.g. in
    an rx.text) when the sentence is laid out in a stack."""
    english = msg.msgid
    french = translations("fr").gettext(english)
    en = rx.fragment(*_pieces(english, parts, text))
    if french == english:
        return en
    return rx.cond(LocaleState.is_fr, rx.fragment(*_pieces(french, parts, text)), en)


def language_links(**props: Any) -> rx.Component:
    """ "English · Français" under the sign-in forms: each writes the choice and reloads."""
    links: list[Any] = []
    for code, name in LANGUAGES:
        if links:
            links.append(rx.text.span("·", color_scheme="gray"))
        links.append(
            rx.button(
                name,
                on_click=LocaleState.switch(code),
                variant=rx.cond(LocaleState.locale == code, "soft", "ghost"),
                size="1",
                type="button",
                lang=code,
                custom_attrs={"data-testid": f"locale-{code}"},
            )
        )
    return rx.hstack(*links, spacing="2", align="center", justify="center", width="100%",
                     **props)  # fmt: skip


def label_of(value: Var[str], labels: dict[str, Text]) -> Var[str]:
    """A state's key ("active", "write") in the reader's words; the key itself when the table
    does not know it. One property read per row: cheap in long tables."""
    table: Var = Var.create(labels)
    return (table[value] | value).to(str)  # type: ignore[index]
