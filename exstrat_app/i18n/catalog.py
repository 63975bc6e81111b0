"""The compiled catalogs (`locales/<locale>/LC_MESSAGES/<domain>.mo`), loaded once per locale.

Three domains, one per layer that writes words (pages, states, messages: services, API,
emails), merged at load: each has its own `.po`, so work on one layer never edits another's
file. `make catalogs` compiles them (the Makefile runs it before `run` and `test`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES = ("en", "fr")
DOMAINS = ("pages", "states", "messages")
LOCALE_DIR = Path(__file__).parent / "locales"


@cache
def translations(locale: str) -> NullTranslations:
    """English is the source language: its catalog is the identity."""
    if locale not in LOCALES or locale == "en":
        return NullTranslations()
    merged: NullTranslations | None = None
    for domain in DOMAINS:
        found = Translations.load(str(LOCALE_DIR), [locale], domain)
        if not isinstance(found, Translations):
            continue  # not compiled: `make catalogs`; the words fall back to English
        if merged is None:
            merged = found
        else:
            merged.merge(found)
    return merged or NullTranslations()
