"""Colour maps and quantisation shared by the heatmap and matrix widgets.

Pure NumPy + Rich (no Textual), so it can be unit-tested and reused anywhere.

Design rules (see shared/research/textual-practice.md, section 3):

* Every map's **relative luminance rises monotonically** with its level.  Under
  ``NO_COLOR`` Textual's Monochrome filter turns colours into greys by luminance,
  and projectors wash out hue; a monotonic map still reads as a ramp.
* Values are **quantised** (16 levels) before they become colours.  Fewer distinct
  colours means identical frames can be detected cheaply and fewer SGR bytes go
  over SSH.
* Widgets build ``Segment``s from **precomputed** ``Style`` tables; no ``Style``
  is created per cell at render time.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.style import Style

RGB = tuple[int, int, int]

LEVELS = 16
"""Intensity levels per map (per sign for the diverging map)."""

RAMP = " .:-=+*#%@"
"""ASCII ramp, darkest to brightest, for monochrome / 16-colour terminals."""

DARK: RGB = (22, 22, 26)
"""Dark neutral: zero weight, zero confidence.  Every channel of every hue below
is >= this, so blending towards a hue never lowers any channel (hence luminance)."""

CLASS_HUES: tuple[RGB, ...] = (
    (66, 133, 244),  # 0 blue
    (245, 130, 48),  # 1 orange
    (60, 180, 75),  # 2 green
    (220, 80, 180),  # 3 magenta
    (230, 200, 40),  # 4 yellow
    (70, 200, 220),  # 5 cyan
    (150, 100, 230),  # 6 purple
    (230, 60, 60),  # 7 red
    (170, 190, 60),  # 8 olive
    (180, 140, 110),  # 9 tan
)

NEGATIVE: RGB = (90, 160, 255)  # blue-ish end of the diverging map
POSITIVE: RGB = (255, 150, 50)  # orange end of the diverging map

# Viridis sampled at 9 points; its luminance rises monotonically.
_VIRIDIS: tuple[RGB, ...] = (
    (68, 1, 84),
    (71, 44, 122),
    (59, 82, 139),
    (44, 113, 142),
    (33, 145, 140),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
)


# --------------------------------------------------------------------------- colour maths
def blend(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend in sRGB space (roughly perceptually even steps)."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))  # type: ignore[return-value]


def relative_luminance(rgb: RGB) -> float:
    """WCAG relative luminance of an sRGB colour, in [0, 1]."""

    def lin(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_fg(bg: RGB) -> RGB:
    """Black or white text, whichever reads better on ``bg``."""
    return (0, 0, 0) if relative_luminance(bg) > 0.18 else (235, 235, 235)


def class_hue(c: int) -> RGB:
    return CLASS_HUES[c % len(CLASS_HUES)]


def point_color(c: int) -> RGB:
    """A lighter tint of the class hue, so a data point stands out even on a
    confidently-predicted region of its own class."""
    return blend(class_hue(c), (255, 255, 255), 0.6)


# --------------------------------------------------------------------------- colour maps
def class_colors(c: int, levels: int = LEVELS) -> list[RGB]:
    """``levels`` colours from DARK (confidence 0) to the class hue (confidence 1)."""
    return [blend(DARK, class_hue(c), k / (levels - 1)) for k in range(levels)]


def class_table(n_classes: int, levels: int = LEVELS) -> list[RGB]:
    """Flattened class colours: index ``c * levels + level``."""
    return [rgb for c in range(n_classes) for rgb in class_colors(c, levels)]


def sequential_colors(levels: int = LEVELS) -> list[RGB]:
    """Viridis-like sequential map (activations), dark to bright."""
    n = len(_VIRIDIS) - 1
    out = []
    for k in range(levels):
        x = k / (levels - 1) * n
        i = min(int(x), n - 1)
        out.append(blend(_VIRIDIS[i], _VIRIDIS[i + 1], x - i))
    return out


def diverging_colors(levels: int = LEVELS) -> list[RGB]:
    """``2*levels - 1`` colours for signed values; index ``q + levels - 1`` for
    ``q`` in ``[-(levels-1), levels-1]``.  Zero is DARK; brightness grows with |q|."""
    top = levels - 1
    neg = [blend(DARK, NEGATIVE, k / top) for k in range(top, 0, -1)]
    pos = [blend(DARK, POSITIVE, k / top) for k in range(1, levels)]
    return neg + [DARK] + pos


VALUE_POINT_LEVELS = 10
"""Levels of a regression target drawn on a point (digits 0-9 in ASCII)."""


def value_point_color(k: int, levels: int = VALUE_POINT_LEVELS) -> RGB:
    """A data point whose target is at level ``k`` of ``0 .. levels-1`` (low to high): the
    diverging map's colour there, tinted towards white like ``point_color`` so the point
    stands out on a region of its own value."""
    t = 2.0 * k / (levels - 1) - 1.0  # -1 .. 1
    end = POSITIVE if t >= 0 else NEGATIVE
    return blend(blend(DARK, end, abs(t)), (255, 255, 255), 0.45)


# --------------------------------------------------------------------------- quantisation
def quantise(values, lo: float, hi: float, levels: int = LEVELS) -> np.ndarray:
    """Map ``values`` linearly from ``[lo, hi]`` to ints ``0 .. levels-1``.

    NaN and -inf go to 0, +inf to ``levels-1``; a degenerate range gives zeros.
    """
    v = np.asarray(values, dtype=np.float64)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return np.zeros(v.shape, dtype=np.int16)
    with np.errstate(invalid="ignore", over="ignore"):
        t = (np.nan_to_num(v, nan=lo, posinf=hi, neginf=lo) - lo) / (hi - lo)
        q = np.rint(np.clip(t, 0.0, 1.0) * (levels - 1))
    return q.astype(np.int16)


def quantise_signed(values, vmax: float, levels: int = LEVELS) -> np.ndarray:
    """Map signed ``values`` in ``[-vmax, vmax]`` to ints ``-(levels-1) .. levels-1``.

    NaN goes to 0, +-inf to the extremes.
    """
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(vmax) or vmax <= 0:
        return np.zeros(v.shape, dtype=np.int16)
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.nan_to_num(v, nan=0.0, posinf=vmax, neginf=-vmax) / vmax
        q = np.rint(np.clip(t, -1.0, 1.0) * (levels - 1))
    return q.astype(np.int16)


def finite_absmax(values) -> float:
    """Largest finite |value| (1.0 when there is none), the diverging map's scale."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    m = float(np.max(np.abs(finite))) if finite.size else 0.0
    return m if m > 0 else 1.0


# --------------------------------------------------------------------------- Style tables
def rich_colors(colors: list[RGB]) -> list[Color]:
    return [Color.from_rgb(*c) for c in colors]


def bg_styles(colors: list[RGB], fg: RGB | None = None) -> list[Style]:
    """One background Style per colour (optionally with a fixed foreground)."""
    fgc = Color.from_rgb(*fg) if fg else None
    return [Style.from_color(fgc, Color.from_rgb(*c)) for c in colors]


def fg_styles(colors: list[RGB], bg: RGB | None = None, bold: bool = False) -> list[Style]:
    """One foreground Style per colour (optionally on a fixed background)."""
    bgc = Color.from_rgb(*bg) if bg else None
    extra = Style(bold=True) if bold else Style()
    return [Style.from_color(Color.from_rgb(*c), bgc) + extra for c in colors]


def cell_styles(colors: list[RGB], reverse: bool = False) -> list[Style]:
    """Background = colour, foreground = black/white for contrast (numbers on a map)."""
    return [
        Style(color=Color.from_rgb(*contrast_fg(c)), bgcolor=Color.from_rgb(*c), reverse=reverse)
        for c in colors
    ]


@lru_cache(maxsize=16)
def halfblock_table(colors: tuple[RGB, ...]) -> tuple[Style, ...]:
    """``K*K`` styles for the half-block trick: index ``top * K + bottom`` gives
    fg = top pixel colour, bg = bottom pixel colour.  Cached per palette, so all
    heatmaps with the same map share one table (10 classes: 25,600 styles, ~15 ms once)."""
    rc = rich_colors(list(colors))
    from_color = Style.from_color
    return tuple(from_color(t, b) for t in rc for b in rc)
