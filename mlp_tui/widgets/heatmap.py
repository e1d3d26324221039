"""DecisionHeatmap: a network's decision regions (or one neuron's activation map)
drawn with Textual's Line API.

Why the Line API and lookup tables: a per-cell ``rich.text.Text`` was ~19x slower
in the prototype, and every refresh is re-sent whole over SSH.  So the image is
quantised into small integer *codes* once per update (``show_*``), identical
images skip the refresh, and ``render_line`` only indexes precomputed tables.

Colour mode ("color")
    One text cell = two pixels: ``▀`` with fg = top pixel, bg = bottom pixel.
    Class regions: class hue, darker = less confident.  Points: one shape per class
    (``● ▲ ■ ◆ ▼``) in a light tint of its hue, filled for training points and
    hollow (``○ △ □ ◇ ▽``) for test points, so classes differ in shape as well as colour.
Regression ("show_values_signed")
    The predicted value on a diverging map (blue negative, dark zero, orange positive; in ASCII
    the ramp ``SIGNED_RAMP``); each point carries its target on the same scale: in colour a
    tint of the target's colour, in ASCII a digit 0-9 (training) or a letter a-j (test), low to high.
ASCII mode ("ascii"), for NO_COLOR / 16-colour / dumb terminals
    One text cell = one pixel.  Region of class k (letters a, b, c, ...):
    ``A`` sure (rescaled confidence >= 0.6, i.e. p >= 0.8 for two classes),
    ``a`` unsure (>= 0.15), ``.`` boundary ("edge" in the legend).  Points: the class digit for training
    points; for test points a mark per class (``+`` class 0, ``x`` class 1, ``*`` class 2 ...).  Activation maps use the ramp `` .:-=+*#%@``.

The mode is chosen by the App (``--color``) and passed in; it is never sniffed here.
The last text row is a one-line legend. With ``square=True`` the plotting area is the largest
physically square one that fits (two pixels per cell in colour, one cell = a 1:2 pixel in ASCII),
centred horizontally, so circles look round.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from mlp_tui import palette as pal

HALF = "\u2580"  # ▀  fg = top pixel, bg = bottom pixel
TRAIN_GLYPHS = "\u25cf\u25b2\u25a0\u25c6\u25bc"  # ● ▲ ■ ◆ ▼, by class
TEST_GLYPHS = "\u25cb\u25b3\u25a1\u25c7\u25bd"  # ○ △ □ ◇ ▽, the same shapes hollow
ASCII_TEST = "+x*#%&$@=~"  # test points in ASCII, by class (training points are the class digit)
LETTERS = "abcdefghij"
SURE, UNSURE = 0.6, 0.15  # ASCII tiers on rescaled confidence
MAX_CLASSES = len(pal.CLASS_HUES)
SIGNED_RAMP = "#=~-, .:+*@"  # ASCII diverging ramp: most negative .. zero (space) .. most positive


@lru_cache(maxsize=16)
def _halfblock_segments(colors: tuple[pal.RGB, ...]) -> tuple[Segment, ...]:
    """Segment table indexed by ``top_code * K + bottom_code`` (shared by all widgets)."""
    return tuple(Segment(HALF, s) for s in pal.halfblock_table(colors))


def point_glyph(label: int, test: bool = False) -> str:
    """The shape of a data point of class ``label``: filled for training, hollow for test."""
    glyphs = TEST_GLYPHS if test else TRAIN_GLYPHS
    return glyphs[label % len(glyphs)]


@lru_cache(maxsize=4096)
def _point_segment(label: int, test: bool, background: pal.RGB, values: bool = False) -> Segment:
    """A data point's glyph on its pixel's colour. Cached: a redraw places every training point
    again, and building a Style per point cost ~40 ms a frame for 1,000 points.
    ``values``: ``label`` is a regression target's level, drawn as a round point of its colour."""
    fg = pal.value_point_color(label) if values else pal.point_color(label)
    style = Style(color=Color.from_rgb(*fg), bgcolor=Color.from_rgb(*background), bold=True)
    return Segment(point_glyph(0 if values else label, test=test), style)


def value_levels(targets, vmax: float) -> np.ndarray:
    """Regression targets as point levels 0 .. VALUE_POINT_LEVELS-1 over [-vmax, vmax]."""
    return pal.quantise(targets, -vmax, vmax, pal.VALUE_POINT_LEVELS)


def _as_points(points, shape: tuple[int, int]):
    """``(rows, cols, labels)`` -> three int arrays, with points outside the image dropped."""
    if points is None:
        return None
    rows, cols, labels = (np.asarray(a).reshape(-1) for a in points)
    rows = np.nan_to_num(rows.astype(np.float64), nan=-1).astype(np.int64)
    cols = np.nan_to_num(cols.astype(np.float64), nan=-1).astype(np.int64)
    labels = np.nan_to_num(labels.astype(np.float64), nan=0).astype(np.int64)
    keep = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return rows[keep], cols[keep], np.clip(labels[keep], 0, MAX_CLASSES - 1)


class DecisionHeatmap(Widget):
    """Decision regions or an activation map, drawn cell by cell with lookup tables."""

    DEFAULT_CSS = """
    DecisionHeatmap {
        width: 1fr;
        height: 1fr;
        min-height: 2;
    }
    DecisionHeatmap > .decision-heatmap--legend {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {"decision-heatmap--legend"}

    class PixelShapeChanged(Message):
        """Posted after a resize changed :attr:`pixel_shape`: re-evaluate the grid."""

        def __init__(self, heatmap: "DecisionHeatmap", shape: tuple[int, int]) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.shape = shape

        @property
        def control(self) -> "DecisionHeatmap":
            return self.heatmap

    class Clicked(Message):
        """A mouse click on the picture at pixel ``(row, col)`` with mouse ``button`` (1 left, 3 right)."""

        def __init__(self, heatmap: "DecisionHeatmap", pixel: tuple[int, int], button: int) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.pixel = pixel
            self.button = button

        @property
        def control(self) -> "DecisionHeatmap":
            return self.heatmap

    def __init__(self, mode: str = "color", square: bool = False, **kw) -> None:
        super().__init__(**kw)
        if mode not in ("color", "ascii"):
            raise ValueError(f"mode must be 'color' or 'ascii', not {mode!r}")
        self._mode = mode
        self.square = square
        self._image_key: tuple | None = None  # what is on screen; equal key -> no refresh
        self._codes: np.ndarray | None = None  # color: pair index per text cell; ascii: char code per cell
        self._table: tuple[Segment, ...] = ()  # color: half-block segments by pair index
        self._xlat = bytes(256)  # ascii: bytes.translate table, code -> character
        self._row_points: dict[int, list[tuple[int, object]]] = {}  # text row -> [(col, Segment|char)]
        self._legend: list[tuple[str, Style | None]] = []  # (text, colour) pieces
        self._legend_cache: tuple[tuple, Strip] | None = None
        self._base = Style()
        self._legend_style = Style()
        self._last_shape: tuple[int, int] | None = None
        self._value_points = False  # the points' labels are regression target levels
        self._cursor: tuple[int, int] | None = None  # the draw cursor's pixel (row, col)

    # ------------------------------------------------------------------ public API
    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        """Switching mode drops the image: call ``show_*`` again at the new ``pixel_shape``."""
        if mode not in ("color", "ascii"):
            raise ValueError(f"mode must be 'color' or 'ascii', not {mode!r}")
        if mode != self._mode:
            self._mode = mode
            self._clear()
            self._post_shape()
            self.refresh()

    @property
    def pixel_shape(self) -> tuple[int, int]:
        """``(H, W)`` of the grid the App should evaluate for the current size."""
        width, height = self.size
        rows = max(height - 1, 0)  # last row is the legend
        if self._mode == "color":
            side = min(2 * rows, width)
            return (side, side) if self.square else (2 * rows, width)
        if self.square:  # an ASCII pixel is one cell, twice as tall as wide
            tall = min(rows, width // 2)
            return (tall, 2 * tall)
        return (rows, width)

    def show_classes(self, pred, conf, n_classes: int, train=None, test=None, *, rescale: bool = True) -> bool:
        """Show predicted classes, with confidence as intensity.

        ``pred`` (H, W) class indices (up to 10 classes; out-of-range and NaN
        are clipped), ``conf`` (H, W) probability of the predicted class.
        With ``rescale`` (default) confidence is mapped from chance (1/n) .. 1 to
        0 .. 1, so the decision boundary is dark; pass ``rescale=False`` if
        ``conf`` is already in that form.  NaN/inf confidence counts as 0.
        ``train``/``test``: ``(rows, cols, labels)`` in pixel coordinates.
        Returns True when the image changed (and a refresh was requested).
        """
        n = int(np.clip(n_classes, 1, MAX_CLASSES))
        pred = np.nan_to_num(np.asarray(pred, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        pred = np.clip(pred, 0, n - 1).astype(np.int32)
        conf = np.asarray(conf, dtype=np.float64)
        if pred.ndim != 2 or conf.shape != pred.shape:
            raise ValueError(f"pred and conf must be 2-D and equal shape, got {pred.shape} and {conf.shape}")
        conf = np.where(np.isfinite(conf), conf, 0.0)
        if rescale and n > 1:
            conf = (conf - 1.0 / n) / (1.0 - 1.0 / n)
        conf = np.clip(conf, 0.0, 1.0)

        if self._mode == "color":
            codes = pred * pal.LEVELS + pal.quantise(conf, 0.0, 1.0, pal.LEVELS)
            colors = tuple(pal.class_table(n))
            chars = ""
        else:
            tier = (conf >= UNSURE).astype(np.int32) + (conf >= SURE)
            codes = pred * 3 + tier
            colors = ()
            chars = "".join("." + LETTERS[c] + LETTERS[c].upper() for c in range(n))
        legend_key = ("classes", n)
        self._value_points = False
        return self._show(codes.astype(np.int32), colors, chars, legend_key, train, test)

    def show_values(self, values, lo: float | None = None, hi: float | None = None,
                    train=None, test=None, *, label: str = "") -> bool:
        """Show one neuron's activation map (sequential colour map / ASCII ramp).

        ``lo``/``hi`` fix the scale (default: finite min/max); NaN shows as ``lo``.
        Returns True when the image changed.
        """
        v = np.asarray(values, dtype=np.float64)
        if v.ndim != 2:
            raise ValueError(f"values must be 2-D, got shape {v.shape}")
        finite = v[np.isfinite(v)]
        if lo is None or not np.isfinite(lo):
            lo = float(finite.min()) if finite.size else 0.0
        if hi is None or not np.isfinite(hi):
            hi = float(finite.max()) if finite.size else 1.0
        if self._mode == "color":
            codes, colors, chars = pal.quantise(v, lo, hi, pal.LEVELS), tuple(pal.sequential_colors()), ""
        else:
            codes, colors, chars = pal.quantise(v, lo, hi, len(pal.RAMP)), (), pal.RAMP
        # The legend shows lo/hi to 3 digits; keying on that text means a drifting
        # data range alone does not force a repaint.
        legend_key = ("values", f"{lo:.3g}", f"{hi:.3g}", label)
        self._value_points = False
        return self._show(codes.astype(np.int32), colors, chars, legend_key, train, test)

    def show_values_signed(self, values, vmax: float, train=None, test=None, *, label: str = "") -> bool:
        """Show a regression's predicted value over [-vmax, vmax] on the diverging map; the points'
        third array holds their targets (drawn on the same scale). Returns True when the image changed."""
        v = np.asarray(values, dtype=np.float64)
        if v.ndim != 2:
            raise ValueError(f"values must be 2-D, got shape {v.shape}")
        if self._mode == "color":
            top, colors, chars = pal.LEVELS - 1, tuple(pal.diverging_colors()), ""
        else:
            top, colors, chars = len(SIGNED_RAMP) // 2, (), SIGNED_RAMP
        codes = pal.quantise_signed(v, vmax, top + 1) + top
        train, test = ((*pts[:2], value_levels(pts[2], vmax)) if pts is not None else None for pts in (train, test))
        self._value_points = True
        return self._show(codes.astype(np.int32), colors, chars, ("signed", f"{vmax:.3g}", label), train, test)
    @property
    def rows_per_cell(self) -> int:
        """Pixel rows in one text row: two in colour (half blocks), one in ASCII."""
        return 2 if self._mode == "color" else 1

    @property
    def cursor(self) -> tuple[int, int] | None:
        return self._cursor

    @cursor.setter
    def cursor(self, pixel: tuple[int, int] | None) -> None:
        """Show a cursor (a reversed ``+``) on pixel (row, col), or none."""
        if pixel != self._cursor:
            self._cursor = pixel
            self.refresh()

    def pixel_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The pixel (row, col) under text cell (x, y) of this widget, None off the picture."""
        if self._codes is None:
            return None
        H, W = self.pixel_shape
        col = x - (max(0, (self.size.width - W) // 2) if self.square else 0)
        row = y * self.rows_per_cell
        return (row, col) if 0 <= row < H and 0 <= col < W else None

    def on_click(self, event: events.Click) -> None:
        pixel = self.pixel_at(event.x, event.y)
        if pixel is not None:
            self.post_message(self.Clicked(self, pixel, event.button))

    def clear(self) -> None:
        self._clear()
        self.refresh()

    # ------------------------------------------------------------------ update logic
    def _clear(self) -> None:
        self._image_key = None
        self._codes = None
        self._row_points = {}
        self._legend = []
        self._legend_cache = None

    def _show(self, codes: np.ndarray, colors: tuple, chars: str, legend_key: tuple, train, test) -> bool:
        color = self._mode == "color"
        overlay = []  # rows of [text_row, col, glyph, label, pixel_code]
        for glyph, pts in ((0, _as_points(train, codes.shape)), (1, _as_points(test, codes.shape))):
            if pts is not None and pts[0].size:
                r, c, lab = pts
                overlay.append(np.stack([r // 2 if color else r, c, np.full_like(r, glyph), lab, codes[r, c]], 1))
        overlay_arr = np.concatenate(overlay) if overlay else np.zeros((0, 5), np.int64)

        # Compare the *quantised* image: sub-level changes are invisible, so no refresh
        # (a refresh re-sends the whole widget over SSH even if nothing changed).
        key = (self._mode, legend_key, colors)
        old = self._image_key
        if (old is not None and old[0] == key and np.array_equal(old[1], codes)
                and np.array_equal(old[2], overlay_arr)):
            return False
        same_frame = old is not None and old[0] == key and old[1].shape == codes.shape
        old_codes, old_points = self._codes, self._row_points
        self._image_key = (key, codes, overlay_arr)

        if color:
            k = len(colors)
            if codes.shape[0] % 2:  # odd pixel rows: repeat the last row as the bottom half
                codes = np.concatenate([codes, codes[-1:]])
            self._codes = codes[0::2] * k + codes[1::2]
            self._table = _halfblock_segments(colors)
        else:
            self._codes = codes
            # bytes.translate table: code byte -> ASCII character byte
            self._xlat = chars.encode("ascii").ljust(256, b"?")
        self._build_points(overlay_arr, colors)
        if same_frame and old_codes is not None:
            self._refresh_rows(old_codes, old_points)
            return True
        self._legend = self._legend_pieces(legend_key, colors)
        self._legend_cache = None
        self.refresh()
        return True

    def _refresh_rows(self, old_codes: np.ndarray, old_points: dict) -> None:
        """Repaint only the text rows whose pixels or points changed: while a boundary forms
        most rows hold still, and over SSH every repainted row is sent again."""
        changed = np.flatnonzero((old_codes != self._codes).any(axis=1)).tolist()
        changed += [y for y in set(old_points) | set(self._row_points)
                    if old_points.get(y) != self._row_points.get(y)]
        width = self.size.width
        if changed:
            self.refresh(*(Region(0, y, width, 1) for y in sorted(set(changed))))

    def _build_points(self, overlay: np.ndarray, colors: tuple) -> None:
        """Pre-build the point glyphs per text row, so render_line only splices them in."""
        rows: dict[int, list[tuple[int, object]]] = {}
        for trow, col, glyph, label, code in overlay.tolist():
            if self._mode == "color":
                segment = _point_segment(label, bool(glyph), colors[code], self._value_points)
                rows.setdefault(trow, []).append((col, segment))
            elif self._value_points:  # the target's level: a digit (training) or a letter (test)
                rows.setdefault(trow, []).append((col, LETTERS[label] if glyph else str(label)))
            else:
                rows.setdefault(trow, []).append((col, ASCII_TEST[label % 10] if glyph else str(label % 10)))
        self._row_points = rows

    def _legend_pieces(self, legend_key: tuple, colors: tuple) -> list[tuple[str, Style | None]]:
        """Legend as (text, style-or-None) pieces; None means the plain legend style."""
        color = self._mode == "color"
        if legend_key[0] == "classes":
            n = legend_key[1]
            if not color:
                # Most important first: the legend is cropped on narrow widgets.
                digits = "".join(str(c) for c in range(n))
                return [(f"A=sure a=unsure .=edge {digits}=train {ASCII_TEST[:n]}=test  classes a-{LETTERS[n - 1]}",
                         None)]
            pieces: list[tuple[str, Style | None]] = []
            for c in range(n):
                label = f" class {c} " if n <= 3 else f" {c} "
                pieces += [(point_glyph(c), Style(color=Color.from_rgb(*pal.point_color(c)))),
                           ("\u2587", Style(color=Color.from_rgb(*pal.class_hue(c)))), (label, None)]
            pieces.append((" filled=train hollow=test, darker = less confident", None))
            return pieces
        if legend_key[0] == "signed":
            _, vmax, label = legend_key
            return self._signed_legend(vmax, label, colors)
        _, lo, hi, label = legend_key
        head = f"{label} " if label else ""
        if not color:
            return [(f"{head}{lo} [{pal.RAMP}] {hi}  0-9=train {ASCII_TEST}=test", None)]
        swatches = [("\u2588", Style(color=Color.from_rgb(*c))) for c in pal.sequential_colors()]
        return [(f"{head}{lo} ", None), *swatches, (f" {hi}  ", None),
                (TRAIN_GLYPHS[0], None), (" train ", None), (TEST_GLYPHS[0], None), (" test", None)]

    def _signed_legend(self, vmax: str, label: str, colors: tuple) -> list[tuple[str, Style | None]]:
        head = f"{label} " if label else ""
        if self._mode != "color":
            return [(f"{head}-{vmax} [{SIGNED_RAMP}] {vmax}  target 0-9=train a-j=test (low..high)", None)]
        swatches = [("\u2588", Style(color=Color.from_rgb(*c))) for c in colors[::2]]
        return [(f"{head}-{vmax} ", None), *swatches, (f" {vmax}  ", None),
                (TRAIN_GLYPHS[0], None), (" train ", None), (TEST_GLYPHS[0], None), (" test", None)]

    def _post_shape(self) -> None:
        shape = self.pixel_shape
        if shape != self._last_shape:
            self._last_shape = shape
            self.post_message(self.PixelShapeChanged(self, shape))

    def on_resize(self) -> None:
        self._legend_cache = None
        self._post_shape()

    # ------------------------------------------------------------------ rendering
    def render_lines(self, crop):
        # Resolve CSS-derived styles once per frame, not once per line.
        self._base = self.rich_style
        self._legend_style = self._base + self.get_component_rich_style("decision-heatmap--legend")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if width <= 0:
            return Strip.blank(0)
        if y == height - 1:
            return self._legend_line(width)
        codes = self._codes
        if codes is None or y >= codes.shape[0]:
            return Strip.blank(width, self._base)
        indent = max(0, (width - codes.shape[1]) // 2) if self.square else 0
        if indent:
            return Strip.join([Strip.blank(indent, self._base), self._image_line(y, width - indent)])
        return self._image_line(y, width)

    def _image_line(self, y: int, width: int) -> Strip:
        row = self._codes[y, :width]
        points = self._row_points.get(y, ())
        if self._mode == "color":
            table = self._table
            segments = [table[i] for i in row.tolist()]
            for col, seg in points:
                if col < width:
                    segments[col] = seg
            strip = Strip(Segment.simplify(segments), len(segments))
        else:
            text = row.astype(np.uint8).tobytes().translate(self._xlat).decode("ascii")
            if points:
                chars = list(text)
                for col, ch in points:
                    if col < width:
                        chars[col] = ch
                text = "".join(chars)
            strip = Strip([Segment(text, self._base)], len(text))
        strip = strip.extend_cell_length(width, self._base) if strip.cell_length < width else strip
        cursor = self._cursor
        if cursor is not None and cursor[0] // self.rows_per_cell == y and 0 <= cursor[1] < width:
            col = cursor[1]
            mark = Strip([Segment("+", self._base + Style(bold=True, reverse=True))], 1)
            strip = Strip.join([strip.crop(0, col), mark, strip.crop(col + 1, width)])
        return strip

    def _legend_line(self, width: int) -> Strip:
        key = (width, self._legend_style)
        if self._legend_cache is None or self._legend_cache[0] != key:
            base = self._legend_style
            segments = [Segment(text, base + style if style else base) for text, style in self._legend]
            strip = Strip(segments).crop(0, width).extend_cell_length(width, self._base)
            self._legend_cache = (key, strip)
        return self._legend_cache[1]
