"""The catalog's plumbing: which language a reader gets, lazy messages, the catalogs' state."""

from __future__ import annotations

import pickle

import pytest

from exstrat_app import i18n
from exstrat_app.i18n.catalog import DOMAINS
from exstrat_app.i18n.tooling import TRANSLATED, problems


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US,fr;q=0.9", "en"),
        ("de-DE,fr;q=0.8,en;q=0.5", "fr"),  # German first: we speak none, French next
        ("de,it", "en"),  # nothing we speak: English
        ("fr;q=0, en", "en"),  # q=0 means "not this one"
        ("", "en"),
        ("FR_ca", "fr"),
    ],
)
def test_the_browsers_language_picks_ours(header: str, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_the_readers_choice_beats_the_browser() -> None:
    assert i18n.request_locale("exstrat_locale=fr; other=1", "en-US") == "fr"
    assert i18n.request_locale("exstrat_locale=xx", "fr-FR") == "fr"  # unknown: header
    assert i18n.request_locale("", "") == "en"


def test_a_lazy_message_is_english_text_and_renders_for_its_reader() -> None:
    message = i18n.N_("Choose one of: {choices}.", choices="en, fr")
    assert message == "Choose one of: en, fr."  # a str: English wherever it is used as one
    assert i18n.render(message, "fr") == "Choisissez parmi\u00a0: en, fr."
    assert i18n.render(message, "en") == "Choose one of: en, fr."
    with i18n.use_locale("fr"):
        assert i18n.render(message) == "Choisissez parmi\u00a0: en, fr."
        # A queued job carries it pickled: it still renders in the reader's language.
        again = pickle.loads(pickle.dumps(message))  # noqa: S301 — our own bytes
        assert i18n.render(again) == "Choisissez parmi\u00a0: en, fr."
    assert i18n.current_locale() == "en"  # the block ended: back to the default


def test_plain_text_renders_as_itself() -> None:
    assert i18n.render("ETH", "fr") == "ETH"
    assert i18n.render(None, "fr") == ""


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_of_the_code_is_translated(domain: str, locale: str) -> None:
    """What `make lint` checks: none missing, untranslated, fuzzy or with other placeholders."""
    assert problems(domain, locale) == []
