"""The running app serves what installing it needs: the manifest at /manifest.webmanifest,
a head that links to it (on a public page, /login), and every icon it and the head name, as
images."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import httpx

from tests.browser.helpers import new_page, wait_hydrated


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30, follow_redirects=False)


def test_the_manifest_is_served_as_json(app: Any) -> None:
    answer = _get(f"{app.url}/manifest.webmanifest")
    assert answer.status_code == 200
    manifest = answer.json()
    assert manifest["name"] == "exstrat"
    assert manifest["start_url"] == "/portfolio"
    assert manifest["display"] == "standalone"


def test_the_login_page_links_the_manifest_and_its_icons_answer(app: Any, browser: Any) -> None:
    page = new_page(browser)
    try:
        page.goto(f"{app.url}/login")
        wait_hydrated(page)
        href = page.locator("link[rel=manifest]").first.evaluate("link => link.href")
        theme = page.locator("meta[name=theme-color]").first.get_attribute("content")
        apple = page.locator("link[rel=apple-touch-icon]").first.evaluate("link => link.href")
        favicons = page.locator("link[rel=icon]").evaluate_all(
            "links => links.map(link => link.href)"
        )
    finally:
        page.context.close()

    answer = _get(href)
    assert answer.status_code == 200, href
    manifest = answer.json()
    assert theme == manifest["theme_color"]
    pngs = [urljoin(href, icon["src"]) for icon in manifest["icons"] if icon["type"] == "image/png"]
    assert len(pngs) >= 3
    for url in [*pngs, apple]:
        icon = _get(url)
        assert icon.status_code == 200, url
        assert icon.headers["content-type"].startswith("image/png"), url
        assert icon.content.startswith(b"\x89PNG"), url
    assert favicons
    for url in favicons:
        assert _get(url).status_code == 200, url
