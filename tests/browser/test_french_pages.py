"""Every page in French: a French browser gets French before sign-in, and no word of the
English catalog is left on any page once the reader is in French. The screenshots of the
README's French pages come from here."""

from __future__ import annotations

import re
import time
from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from exstrat_app.i18n.tooling import po_path
from tests.browser.helpers import new_page, shot, sign_in, unique_email, wait_hydrated
from tests.browser.order_seed import seed_binance_ladder

_PLACEHOLDER = re.compile(r"\{\w+\}")


@cache
def _english_only() -> tuple[re.Pattern[str], ...]:
    """The English words of the page and state catalogs whose French differs: any of them on
    a French page is a word that escaped the catalog. Short or single-word ones that French
    also uses ("Binance", "Email"), or that sit inside a French text, are left out."""
    french: list[str] = []
    english: list[str] = []
    for domain in ("pages", "states"):
        with po_path("fr", domain).open("rb") as handle:
            catalog = read_po(handle, locale="fr")
        for message in catalog:
            if not message.id or isinstance(message.id, tuple):
                continue
            french.append(str(message.string))
            if message.string != message.id and not _PLACEHOLDER.search(message.id):
                english.append(message.id)
    joined = "\n".join(french)
    kept = [w for w in english if len(w) >= 5 and " " in w and w not in joined]
    return tuple(re.compile(rf"(?<!\w){re.escape(w)}(?!\w)") for w in kept)


def _leftovers(text: str) -> list[str]:
    return [p.pattern for p in _english_only() if p.search(text)]


def _settled_text(page: Any, timeout: float = 20.0) -> str:
    """The page's text once it stops changing (the loads have answered)."""
    last, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.inner_text("body")
        if text == last and "…" not in text:
            return text
        last = text
        page.wait_for_timeout(400)
    return last


def test_a_french_browser_reads_every_page_in_french(
    browser: Any, app: Any, screenshots: Any
) -> None:
    email = unique_email("fr-pages")
    _account_id, strategy_id = seed_binance_ladder(app, email)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()

    for route in ("/login", "/signup", "/forgot"):
        page.goto(f"{app.url}{route}")
        wait_hydrated(page)
        text = _settled_text(page)
        assert "Mot de passe" in text or "e-mail" in text.lower(), (route, text[:300])
        assert _leftovers(text) == [], route

    sign_in(page, app.url, email)
    routes = ("/portfolio", "/exchanges", "/strategies", f"/strategies/{strategy_id}",
              "/tokens/ETH", "/security", "/channels", "/account")  # fmt: skip
    for route in routes:
        page.goto(f"{app.url}{route}")
        wait_hydrated(page)
        text = _settled_text(page)
        assert _leftovers(text) == [], route
        if route in ("/portfolio", "/tokens/ETH", f"/strategies/{strategy_id}"):
            name = route.strip("/").split("/")[0]
            shot(page, screenshots, f"fr-{name}")
    assert "Portefeuille" in page.inner_text("body")
    context.close()


def test_the_switch_turns_the_pages_english_and_back(browser: Any, app: Any) -> None:
    email = unique_email("switch")
    seed_binance_ladder(app, email)
    page = new_page(browser)  # an English browser
    sign_in(page, app.url, email)
    wait_hydrated(page)
    assert "Portfolio" in _settled_text(page)
    page.get_by_test_id("locale-menu").click() if page.get_by_test_id(
        "locale-menu"
    ).count() else None
    page.get_by_test_id("locale-fr").first.click()
    page.wait_for_function("() => document.body.innerText.includes('Portefeuille')")
    # The choice is saved on the user: another browser signing in reads French too.
    other = new_page(browser)
    sign_in(other, app.url, email)
    other.wait_for_function("() => document.body.innerText.includes('Portefeuille')")
    other.context.close()
    page.context.close()
