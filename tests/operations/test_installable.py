"""exstrat installs as a web app: the manifest has what browsers ask for, its icons exist at
the sizes it announces, its colour is the pages' accent, every page's head points at it, and
the committed icons are what scripts/make_icons.py draws."""

from __future__ import annotations

import ast
import importlib.util
import json
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from exstrat_app.pages import head
from exstrat_app.pages.styles import ACCENT, ACCENT_HEX

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
MANIFEST = json.loads((ASSETS / "manifest.webmanifest").read_text())
# Radix's step 9 of the accent scales the theme may use (rxconfig.py's accent_color).
RADIX_STEP_9 = {"teal": "#12a594"}


def _asset(href: str) -> Path:
    """The file Reflex serves at `href` (assets/ is the site's root)."""
    assert href.startswith("/") and ".." not in href, href
    return ASSETS / href.lstrip("/")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _attributes(component: Any) -> dict[str, Any]:
    """A head tag's attributes, as rendered for the page."""
    pairs = (prop.split(":", 1) for prop in component.render()["props"])
    return {name: json.loads(value) for name, value in pairs}


def _head_tags() -> list[tuple[str, dict[str, Any]]]:
    return [(json.loads(c.render()["name"]), _attributes(c)) for c in head.head_components()]


def _make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts/make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class is made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_manifest_names_the_app_and_opens_standalone_on_the_portfolio() -> None:
    assert MANIFEST["name"] == "exstrat"
    assert MANIFEST["short_name"] == "exstrat"
    assert MANIFEST["description"]
    assert MANIFEST["display"] == "standalone"
    assert MANIFEST["start_url"] == "/portfolio"
    # The push service worker lives at the root (scope "/"): the app's scope is the same.
    assert MANIFEST["scope"] == "/"
    assert MANIFEST["start_url"].startswith(MANIFEST["scope"])


def test_the_manifest_colours_are_the_pages_accent() -> None:
    assert RADIX_STEP_9[ACCENT] == ACCENT_HEX
    assert MANIFEST["theme_color"] == ACCENT_HEX
    assert MANIFEST["background_color"] == ACCENT_HEX


@pytest.mark.parametrize(("size", "purpose"), [(192, "any"), (512, "any"), (512, "maskable")])
def test_each_announced_png_icon_exists_at_its_size(size: int, purpose: str) -> None:
    icons = [
        icon
        for icon in MANIFEST["icons"]
        if icon["sizes"] == f"{size}x{size}" and purpose in icon.get("purpose", "any").split()
    ]
    assert icons, f"no {purpose} icon of {size}x{size}"
    for icon in icons:
        assert icon["type"] == "image/png"
        assert _png_size(_asset(icon["src"])) == (size, size)


def test_every_icon_of_the_manifest_is_in_assets() -> None:
    for icon in MANIFEST["icons"]:
        assert _asset(icon["src"]).is_file(), icon["src"]
    svgs = [icon for icon in MANIFEST["icons"] if icon["type"] == "image/svg+xml"]
    assert svgs and _asset(svgs[0]["src"]).read_text().startswith("<svg")


def test_every_page_head_points_at_the_manifest_icons_and_theme_colour() -> None:
    tags = _head_tags()
    links = {
        attrs["rel"]: attrs for name, attrs in tags if name == "link" and attrs["rel"] != "icon"
    }
    metas = {attrs["name"]: attrs["content"] for name, attrs in tags if name == "meta"}
    assert _asset(links["manifest"]["href"]) == ASSETS / "manifest.webmanifest"
    assert metas["theme-color"] == ACCENT_HEX
    assert metas["apple-mobile-web-app-capable"] == "yes"
    assert _png_size(_asset(links["apple-touch-icon"]["href"])) == (180, 180)
    icons = [attrs for name, attrs in tags if name == "link" and attrs["rel"] == "icon"]
    assert {icon["href"] for icon in icons} == {"/favicon.ico", "/icon.svg"}
    for icon in icons:
        assert _asset(icon["href"]).is_file()


def test_the_app_is_built_with_those_head_tags() -> None:
    # Read, not imported: importing the app module configures the process (umask, logging).
    tree = ast.parse((ROOT / "exstrat_app/exstrat_app.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "rx.App"
    ]
    assert len(calls) == 1
    keywords = {kw.arg: ast.unparse(kw.value) for kw in calls[0].keywords}
    assert keywords.get("head_components") == "head_components()"


def test_the_favicon_is_a_32_pixel_png_in_an_ico() -> None:
    data = (ASSETS / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, *_, length, offset = struct.unpack("<BBBBHHII", data[6:22])
    assert (width, height) == (32, 32)
    assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and len(data) == offset + length


def test_the_committed_small_icons_are_what_the_script_draws() -> None:
    """The big PNGs come from the same code (drawing them here would take seconds)."""
    make_icons = _make_icons()
    color = make_icons.accent()
    assert (ASSETS / "favicon.ico").read_bytes() == make_icons.favicon(color)
    name, size, look = make_icons.SVG
    assert (ASSETS / name).read_text() == make_icons.svg(size, look, color)
