"""The pages carry both languages: each page builds with its French compiled in beside the
English (chosen in the browser by `LocaleState.locale`), sentences holding elements keep each
language's word order, and the language and currency switches are on the pages."""

from __future__ import annotations

import json

import pytest
import reflex as rx

from exstrat_app.i18n import N_
from exstrat_app.pages import PAGES
from exstrat_app.pages.components.phrases import label_of, phrase
from exstrat_app.pages.views.shell import shell

NB = "\u00a0"
# One sentence per page, in English and in French: both must be compiled into the page.
SAMPLES = {
    "/login": ("Forgot your password?", f"Mot de passe oublié{NB}?"),
    "/signup": ("Create your account", "Créez votre compte"),
    "/confirm": ("Confirm and sign in", "Confirmer et se connecter"),
    "/forgot": ("Send the link", "Envoyer le lien"),
    "/reset": ("Set the new password", "Enregistrer le nouveau mot de passe"),
    "/portfolio": ("Connect your first exchange", "Connectez votre premier exchange"),
    "/exchanges": ("Connect an exchange", "Connecter un exchange"),
    "/strategies": ("No strategy yet", "Pas encore de stratégie"),
    "/strategies/[strategy_id]": ("Complete this strategy?", f"Terminer cette stratégie{NB}?"),
    "/tokens/[symbol]": ("Where the coins sit", "Où se trouvent les tokens"),
    "/security": ("Two-factor sign-in", "Double authentification"),
    "/channels": ("Add an Apprise URL", "Ajouter une URL Apprise"),
    "/account": ("Reporting currency", "Devise de référence"),
}


def _built(component: rx.Component) -> str:
    """The rendered tree as text; strings appear as the JS literals Reflex writes."""
    return json.dumps(component.render(), default=str)


def _js(text: str) -> str:
    """How `text` sits in `_built`: a JS string literal (accents escaped), inside JSON."""
    return json.dumps(json.dumps(text)[1:-1])[1:-1]


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    return {page.route: _built(page.render()) for page in PAGES}


@pytest.mark.parametrize(("route", "words"), SAMPLES.items())
def test_each_page_holds_its_words_in_both_languages(
    built: dict[str, str], route: str, words: tuple[str, str]
) -> None:
    english, french = words
    assert _js(english) in built[route]
    assert _js(french) in built[route]


def test_a_sentence_with_elements_keeps_each_languages_order() -> None:
    built = _built(
        rx.text(
            phrase(
                N_("Page {page} of {pages}"),
                page=rx.text.span("2", id="p-now"),
                pages=rx.text.span("5", id="p-all"),
            )
        )
    )
    assert _js(" of ") in built and _js(" sur ") in built
    # Each language's branch holds both elements, each once.
    assert built.count("p-now") == 2 and built.count("p-all") == 2


def test_a_state_key_is_shown_in_the_readers_words() -> None:
    words = str(label_of(rx.Var.create("paused"), {"paused": N_("paused")}))
    assert "paused" in words
    strategies = next(p for p in PAGES if p.route == "/strategies")
    assert _js("en pause") in _built(strategies.render())


@pytest.mark.parametrize("route", ["/login", "/signup", "/forgot", "/reset", "/confirm"])
def test_the_sign_in_pages_offer_both_languages(built: dict[str, str], route: str) -> None:
    for test_id in ("locale-en", "locale-fr"):
        assert test_id in built[route]
    assert _js("Français") in built[route] and "English" in built[route]


def test_the_signed_in_header_has_the_language_menu() -> None:
    header = _built(shell(rx.text("body")))
    for test_id in ("locale-menu", "locale-en", "locale-fr"):
        assert test_id in header


def test_the_account_page_offers_the_reporting_currency(built: dict[str, str]) -> None:
    account = built["/account"]
    assert "currency-select" in account
    assert '"USD"' in account or _js("USD") in account
    assert _js("EUR") in account
    assert _js("Every figure, ladder and export is counted in this currency.") in account
