"""The tags in every page's <head> that make exstrat an installable web app: the manifest
(assets/manifest.webmanifest), the browser bar's colour, the favicon and the home-screen
icons (drawn by scripts/make_icons.py). Reflex serves assets/ from the site's root, beside
the push service worker (/exstrat-sw.js), whose scope the manifest's ("/") matches."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.styles import ACCENT_HEX

MANIFEST_HREF = "/manifest.webmanifest"
FAVICON_HREF = "/favicon.ico"
SVG_ICON_HREF = "/icon.svg"
APPLE_TOUCH_ICON_HREF = "/apple-touch-icon.png"
APP_NAME = "exstrat"  # a brand: the same in every language


def head_components() -> list[rx.Component]:
    return [
        rx.el.link(rel="manifest", href=MANIFEST_HREF),
        rx.el.meta(name="theme-color", content=ACCENT_HEX),
        rx.el.link(rel="icon", href=FAVICON_HREF, sizes="32x32"),
        rx.el.link(rel="icon", href=SVG_ICON_HREF, type="image/svg+xml"),
        rx.el.link(rel="apple-touch-icon", href=APPLE_TOUCH_ICON_HREF),
        # iOS opens a home-screen exstrat without Safari's bars (it ignores the manifest's
        # "display" for that), under this name.
        rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
        rx.el.meta(name="mobile-web-app-capable", content="yes"),
        rx.el.meta(name="apple-mobile-web-app-title", content=APP_NAME),
    ]
