#!/usr/bin/env python3
"""Draw the Vault app icon set (a light keyhole on a rounded dark-teal square).

Regenerate with:  python3 icons/generate.py      (needs Pillow: `pip install pillow`)

Every size is drawn at 8x and downsampled, so edges are antialiased at each size rather than
scaled from one bitmap. All PNGs are RGBA, which Tauri requires.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent
SUPERSAMPLE = 8

BG_TOP = (20, 110, 106)  # dark teal, lighter at the top ...
BG_BOTTOM = (10, 70, 68)  # ... for a hint of depth
KEYHOLE = (232, 244, 243)

# Geometry as fractions of the icon's side.
MARGIN = 0.06  # transparent border around the square
RADIUS = 0.22  # corner radius of the square
HOLE_CX, HOLE_CY, HOLE_R = 0.5, 0.41, 0.125  # keyhole head
SLOT_TOP, SLOT_BOTTOM = 0.45, 0.74  # keyhole slot, a trapezoid under the head
SLOT_TOP_HALF, SLOT_BOTTOM_HALF = 0.055, 0.1

PNG_SIZES = {
    "32x32.png": 32,
    "64x64.png": 64,
    "128x128.png": 128,
    "128x128@2x.png": 256,
    "icon.png": 512,
}
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]


def draw(size: int) -> Image.Image:
    """Return the icon as an RGBA image of `size` x `size` pixels."""
    s = size * SUPERSAMPLE

    gradient = Image.new("RGBA", (s, s))
    gdraw = ImageDraw.Draw(gradient)
    for y in range(s):
        t = y / max(s - 1, 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(BG_TOP, BG_BOTTOM))
        gdraw.line([(0, y), (s, y)], fill=(*colour, 255))

    mask = Image.new("L", (s, s), 0)
    m = round(s * MARGIN)
    ImageDraw.Draw(mask).rounded_rectangle(
        [m, m, s - 1 - m, s - 1 - m], radius=round(s * RADIUS), fill=255
    )

    icon = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)

    d = ImageDraw.Draw(icon)
    cx, cy, r = HOLE_CX * s, HOLE_CY * s, HOLE_R * s
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*KEYHOLE, 255))
    d.polygon(
        [
            (cx - SLOT_TOP_HALF * s, SLOT_TOP * s),
            (cx + SLOT_TOP_HALF * s, SLOT_TOP * s),
            (cx + SLOT_BOTTOM_HALF * s, SLOT_BOTTOM * s),
            (cx - SLOT_BOTTOM_HALF * s, SLOT_BOTTOM * s),
        ],
        fill=(*KEYHOLE, 255),
    )

    return icon.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for name, size in PNG_SIZES.items():
        draw(size).save(OUT / name, format="PNG", optimize=True)
        print(f"wrote {name} ({size}x{size} RGBA)")

    largest = max(ICO_SIZES)
    draw(largest).save(
        OUT / "icon.ico",
        format="ICO",
        sizes=[(n, n) for n in ICO_SIZES],
        append_images=[draw(n) for n in ICO_SIZES if n != largest],
    )
    print(f"wrote icon.ico ({', '.join(str(n) for n in ICO_SIZES)})")


if __name__ == "__main__":
    main()
