"""Draw exstrat's icons into assets/: the SVG logo, the PNGs the web app manifest and iOS
ask for, and the favicon. Run `python scripts/make_icons.py` after changing the mark or the
manifest's `theme_color` (the icons take their colour from there); the output is the same
bytes every time, so an unchanged mark gives no diff.

Plain Python (zlib + struct), no imaging library: every shape is a rounded box, and a
pixel's share of a shape comes from its signed distance to the box's edge (a one-pixel ramp),
which anti-aliases the edges without supersampling.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
MANIFEST = ASSETS / "manifest.webmanifest"
MARK_COLOR = (255, 255, 255)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box with rounded corners (radius r)."""

    x0: float
    y0: float
    x1: float
    y1: float
    r: float

    def scaled(self, scale: float, dx: float, dy: float) -> Box:
        return Box(self.x0 * scale + dx, self.y0 * scale + dy, self.x1 * scale + dx,
                   self.y1 * scale + dy, self.r * scale)  # fmt: skip

    def distance(self, x: float, y: float) -> float:
        """Signed distance from (x, y) to the edge: negative inside."""
        half_w, half_h = (self.x1 - self.x0) / 2, (self.y1 - self.y0) / 2
        qx = abs(x - (self.x0 + half_w)) - half_w + self.r
        qy = abs(y - (self.y0 + half_h)) - half_h + self.r
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - self.r


# The mark: the brand's candlestick chart (the top bar's `chart_candlestick` glyph), filled
# so that it still reads at 32 px. Drawn on a 24-unit grid; it spans 2..22 both ways.
GLYPH = (
    Box(2, 2, 4, 22, 1),  # the axes: up...
    Box(2, 20, 22, 22, 1),  # ...and along
    Box(8, 4, 10, 18, 1),  # the first candle's wick
    Box(6.5, 8, 11.5, 15, 1),  # and body
    Box(16, 2, 18, 16, 1),  # the second candle's wick
    Box(14.5, 5, 19.5, 12, 1),  # and body
)
GLYPH_FROM, GLYPH_SPAN = 2.0, 20.0


@dataclass(frozen=True)
class Look:
    """How one icon is laid out: a rounded square on a clear canvas, or a full-bleed square
    (for masks drawn by the platform: Android's maskable icons, iOS's home screen, which
    turns clear pixels black), and the share of the side the mark spans."""

    full_bleed: bool
    mark_share: float


ROUNDED = Look(full_bleed=False, mark_share=0.58)
# A maskable icon's mark must stay inside the centred circle of 40 % of the side.
MASKABLE = Look(full_bleed=True, mark_share=0.5)
APPLE = Look(full_bleed=True, mark_share=0.58)
CORNER_SHARE = 0.22  # the rounded square's corner radius, as a share of the side

PNGS = {
    "icon-192.png": (192, ROUNDED),
    "icon-512.png": (512, ROUNDED),
    "icon-maskable-512.png": (512, MASKABLE),
    "apple-touch-icon.png": (180, APPLE),
}
FAVICON = ("favicon.ico", 32, ROUNDED)
SVG = ("icon.svg", 512, ROUNDED)


def accent() -> tuple[int, int, int]:
    """The manifest's theme colour (tests check that it is the pages' accent)."""
    value = json.loads(MANIFEST.read_text())["theme_color"].lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def layout(size: int, look: Look) -> tuple[Box, list[Box]]:
    """The background and the mark's boxes, in pixels."""
    background = Box(0, 0, size, size, 0 if look.full_bleed else size * CORNER_SHARE)
    scale = size * look.mark_share / GLYPH_SPAN
    offset = (size - size * look.mark_share) / 2 - GLYPH_FROM * scale
    return background, [box.scaled(scale, offset, offset) for box in GLYPH]


def _coverage(distance: float) -> float:
    return min(1.0, max(0.0, 0.5 - distance))


def _mark_coverage(marks: list[Box], x: float, y: float) -> float:
    near = [box for box in marks if box.x0 - 1 <= x <= box.x1 + 1 and box.y0 - 1 <= y <= box.y1 + 1]
    if not near:
        return 0.0
    return _coverage(min(box.distance(x, y) for box in near))


def render(size: int, look: Look, color: tuple[int, int, int]) -> bytes:
    """The icon's pixels: RGBA rows, top to bottom."""
    background, marks = layout(size, look)
    pixels = bytearray()
    for row in range(size):
        for col in range(size):
            x, y = col + 0.5, row + 0.5
            alpha = 1.0 if look.full_bleed else _coverage(background.distance(x, y))
            share = _mark_coverage(marks, x, y)
            pixels += bytes(
                round(c + (m - c) * share) for c, m in zip(color, MARK_COLOR, strict=True)
            )
            pixels.append(round(alpha * 255))
    return bytes(pixels)


def png(size: int, rgba: bytes) -> bytes:
    """A truecolour-with-alpha PNG of the square `size` image (no filtering, fixed zlib
    level: the same pixels give the same file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    stride = size * 4
    raw = b"".join(b"\x00" + rgba[row * stride : (row + 1) * stride] for row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))  # fmt: skip


def ico(size: int, png_bytes: bytes) -> bytes:
    """An .ico holding one PNG image (every current browser reads PNG inside ICO)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png_bytes), 6 + 16)
    return header + entry + png_bytes


def svg(size: int, look: Look, color: tuple[int, int, int]) -> str:
    background, marks = layout(size, look)

    def rect(box: Box, fill: str) -> str:
        return (f'<rect x="{box.x0:g}" y="{box.y0:g}" width="{box.x1 - box.x0:g}" '
                f'height="{box.y1 - box.y0:g}" rx="{box.r:g}" fill="{fill}"/>')  # fmt: skip

    accent_hex = "#{:02x}{:02x}{:02x}".format(*color)
    mark_hex = "#{:02x}{:02x}{:02x}".format(*MARK_COLOR)
    shapes = [rect(background, accent_hex), *(rect(box, mark_hex) for box in marks)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">\n'
            + "".join(f"  {shape}\n" for shape in shapes) + "</svg>\n")  # fmt: skip


def favicon(color: tuple[int, int, int]) -> bytes:
    _, size, look = FAVICON
    return ico(size, png(size, render(size, look, color)))


def main() -> None:
    color = accent()
    for name, (size, look) in PNGS.items():
        (ASSETS / name).write_bytes(png(size, render(size, look, color)))
    (ASSETS / FAVICON[0]).write_bytes(favicon(color))
    name, size, look = SVG
    (ASSETS / name).write_text(svg(size, look, color))
    print("wrote", ", ".join([*PNGS, FAVICON[0], SVG[0]]), "in", ASSETS)


if __name__ == "__main__":
    main()
