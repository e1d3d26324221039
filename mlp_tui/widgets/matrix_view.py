"""MatrixView: a scrollable 2-D float array (weights, activations, gradients).

Line API + ``virtual_size``: only the visible cells are formatted, so a 784x256
matrix costs the same per frame as a 10x10 one (``DataTable`` needs ~1 s just to
load 784x64).  The header rows and the row-index gutter are drawn by
``render_line`` itself from ``scroll_offset``, so they stay put while scrolling.

Two layouts:

* **numbers** - each cell ``CELL_WIDTH`` characters, e.g. ``  +0.123``, on a
  diverging background (blue negative, dark zero, orange positive; brightness
  grows with |value|).  ASCII mode prints the same numbers without colour.
* **compact** - automatically above ``COMPACT_CELLS`` cells (``compact="auto"``,
  the default), or forced with ``compact=True`` / ``False``:
  one coloured blank per cell; ASCII mode uses two characters per cell, a sign
  and a ramp character for |value| from `` .:=*#%@`` (``+@`` big positive,
  ``-.`` small negative, blank for zero / NaN).

The first header row is a summary (name, shape, min/max/mean/std, the cursor
cell's value at full precision); the second row holds column indices.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mlp_tui import palette as pal

TOP = pal.LEVELS - 1  # signed levels run -TOP .. TOP; table index = level + TOP


def format_value(v: float, width: int) -> str:
    """Fit ``v`` in ``width`` characters: fixed point if it reads, else scientific."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == 0 or 1e-3 <= abs(v) < 1e3:
        s = f"{v:+.3f}"
        if len(s) <= width:
            return s
    for fmt in ("{:+.1e}", "{:+.0e}"):
        s = fmt.format(v)
        if len(s) <= width:
            return s
    return s[:width]


# The palette ramp without "-" and "+", which would read as signs here.
MAGNITUDE_RAMP = pal.RAMP.replace("-", "").replace("+", "")  # " .:=*#%@"


def _ascii_cell(level: int) -> str:
    """Two characters for compact ASCII: sign, then ramp character for |level|."""
    sign = "-" if level < 0 else "+" if level > 0 else " "
    ramp = MAGNITUDE_RAMP[round(abs(level) / TOP * (len(MAGNITUDE_RAMP) - 1))]
    return sign + ramp


class MatrixView(ScrollView, can_focus=True):
    """Scrollable matrix with a cell cursor and a diverging colour per cell."""

    CELL_WIDTH = 9  # one separator space + 8 characters: "+999.123", "-1.2e-05"
    COMPACT_CELLS = 100_000

    DEFAULT_CSS = """
    MatrixView {
        width: 1fr;
        height: 1fr;
    }
    MatrixView > .matrix-view--header {
        color: $text-muted;
        text-style: bold;
    }
    MatrixView > .matrix-view--gutter {
        color: $text-muted;
    }
    MatrixView > .matrix-view--cursor-label {
        color: $text;
        text-style: bold reverse;
    }
    MatrixView > .matrix-view--highlight {
        color: $warning;
        text-style: bold;
    }
    MatrixView > .matrix-view--cursor {
        text-style: reverse;
    }
    """
    COMPONENT_CLASSES = {
        "matrix-view--header",
        "matrix-view--gutter",
        "matrix-view--cursor-label",
        "matrix-view--highlight",
        "matrix-view--cursor",
    }
    # Same keys as DataTable, so the keyboard feels familiar; these override the
    # plain scrolling bindings inherited from ScrollableContainer.
    BINDINGS = [
        Binding("up", "cursor(-1, 0)", "Up", show=False),
        Binding("down", "cursor(1, 0)", "Down", show=False),
        Binding("left", "cursor(0, -1)", "Left", show=False),
        Binding("right", "cursor(0, 1)", "Right", show=False),
        Binding("home", "cursor_home", "First column", show=False),
        Binding("end", "cursor_end", "Last column", show=False),
        Binding("ctrl+home", "cursor_top", "Top", show=False),
        Binding("ctrl+end", "cursor_bottom", "Bottom", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
    ]

    class CellSelected(Message):
        """The cursor moved to ``(row, col)``, which holds ``value``."""

        def __init__(self, view: "MatrixView", name: str, row: int, col: int, value: float) -> None:
            super().__init__()
            self.view = view
            self.name = name
            self.row = row
            self.col = col
            self.value = value

        @property
        def control(self) -> "MatrixView":
            return self.view

    def __init__(self, mode: str = "color", *, compact: bool | str = "auto", **kw) -> None:
        super().__init__(**kw)
        if mode not in ("color", "ascii"):
            raise ValueError(f"mode must be 'color' or 'ascii', not {mode!r}")
        self._mode = mode
        self._compact_request = compact
        self._values = np.zeros((0, 0))
        self._levels = np.zeros((0, 0), dtype=np.int16)  # signed, -TOP .. TOP
        self._matrix_name = ""
        self._cursor = (0, 0)
        self._highlight: frozenset[int] = frozenset()
        self._summary_text = ""
        self._build_tables()
        # Per-frame styles, resolved from CSS in render_lines (plain until then).
        self._base = self._st_header = self._st_gutter = Style()
        self._st_cursor_label = self._st_highlight = self._st_cursor = Style()

    # ------------------------------------------------------------------ public API
    @property
    def cursor(self) -> tuple[int, int]:
        return self._cursor

    @property
    def matrix_name(self) -> str:
        return self._matrix_name

    @property
    def values(self) -> np.ndarray:
        return self._values

    @property
    def compact(self) -> bool:
        """True when drawing one block per cell instead of numbers."""
        if self._compact_request == "auto":
            return self._values.size > self.COMPACT_CELLS
        return bool(self._compact_request)

    @property
    def cell_width(self) -> int:
        if not self.compact:
            return self.CELL_WIDTH
        return 1 if self._mode == "color" else 2

    @property
    def header_rows(self) -> int:
        return 2

    @property
    def gutter_width(self) -> int:
        return len(str(max(self._values.shape[0] - 1, 0))) + 1

    def set_matrix(self, values, name: str = "", mode: str | None = None,
                   compact: bool | str | None = None) -> bool:
        """Show ``values`` (1-D is one row, >2-D is flattened to rows).

        ``mode`` ("color"/"ascii") and ``compact`` (True/False/"auto") default to
        the current setting.  The cursor is kept (clamped); no ``CellSelected``
        is posted, because the App may call this at its poll rate.  Returns
        False (and skips the refresh) when nothing changed.
        """
        v = np.array(values, dtype=np.float64)  # a copy: the trainer may mutate its arrays
        if v.ndim == 0:
            v = v.reshape(1, 1)
        elif v.ndim == 1:
            v = v.reshape(1, -1)
        elif v.ndim > 2:
            v = v.reshape(v.shape[0], -1)
        mode = self._mode if mode is None else mode
        compact = self._compact_request if compact is None else compact
        if mode not in ("color", "ascii"):
            raise ValueError(f"mode must be 'color' or 'ascii', not {mode!r}")
        if (name, mode, compact) == (self._matrix_name, self._mode, self._compact_request) and np.array_equal(
            v, self._values, equal_nan=True
        ):
            return False
        self._values, self._matrix_name = v, name
        self._mode, self._compact_request = mode, compact
        self._levels = pal.quantise_signed(v, pal.finite_absmax(v))
        rows, cols = v.shape
        self._cursor = (min(self._cursor[0], max(rows - 1, 0)), min(self._cursor[1], max(cols - 1, 0)))
        self._summary_text = self._summary()
        self.virtual_size = Size(self.gutter_width + cols * self.cell_width, rows + self.header_rows)
        self.refresh()
        return True

    def move_cursor(self, row: int, col: int) -> None:
        """Move the cursor (clamped), scroll it into view, post ``CellSelected``."""
        rows, cols = self._values.shape
        if rows == 0 or cols == 0:
            return
        row, col = min(max(row, 0), rows - 1), min(max(col, 0), cols - 1)
        old = self._cursor
        if (row, col) == old:
            return
        self._cursor = (row, col)
        self._summary_text = self._summary()
        if not self.is_mounted:  # nothing to scroll or notify yet
            return
        if not self._scroll_cursor_into_view():
            # No scroll happened: repaint only the lines that changed (a full
            # refresh would re-send the whole widget over SSH on every key press).
            width, height = self.size
            sy = self.scroll_offset.y
            for y in {0, 1, old[0] - sy + self.header_rows, row - sy + self.header_rows}:
                if 0 <= y < height:
                    self.refresh(Region(0, y, width, 1))
        self.post_message(self.CellSelected(self, self._matrix_name, row, col, float(self._values[row, col])))

    def highlight_rows(self, rows) -> None:
        """Mark rows (e.g. the active sample's neurons) in the gutter."""
        self._highlight = frozenset(int(r) for r in rows)
        self.refresh()

    # ------------------------------------------------------------------ actions / events
    def action_cursor(self, drow: int, dcol: int) -> None:
        r, c = self._cursor
        self.move_cursor(r + drow, c + dcol)

    def action_cursor_home(self) -> None:
        self.move_cursor(self._cursor[0], 0)

    def action_cursor_end(self) -> None:
        self.move_cursor(self._cursor[0], self._values.shape[1] - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0, self._cursor[1])

    def action_cursor_bottom(self) -> None:
        self.move_cursor(self._values.shape[0] - 1, self._cursor[1])

    def action_page(self, direction: int) -> None:
        page = max(self._visible_rows(), 1) * direction
        self.scroll_to(y=self.scroll_offset.y + page, animate=False)
        self.move_cursor(self._cursor[0] + page, self._cursor[1])

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        gutter, hr = self.gutter_width, self.header_rows
        if x < gutter or y < hr:
            return
        sx, sy = self._scroll_cells()
        row, col = sy + y - hr, (sx + x - gutter) // self.cell_width
        if row < self._values.shape[0] and col < self._values.shape[1]:
            self.move_cursor(row, col)

    def _scroll_cells(self) -> tuple[int, int]:
        """Scroll offset with x rounded *up* to a whole cell, so cells never show
        cut in half (a half number, or a sign without its ramp character)."""
        sx, sy = self.scroll_offset
        cw = self.cell_width
        return -(-sx // cw) * cw, sy

    def _visible_rows(self) -> int:
        # scrollable_size excludes the scrollbars, which are drawn over self.size.
        return self.scrollable_size.height - self.header_rows

    def _scroll_cursor_into_view(self) -> bool:
        """Scroll the minimum needed to show the cursor cell; True if it scrolled."""
        row, col = self._cursor
        sx, sy = self.scroll_offset
        cw, vis_w, vis_h = self.cell_width, self.scrollable_size.width - self.gutter_width, self._visible_rows()
        x0 = col * cw
        new_x = x0 if x0 < sx else (-(-(x0 + cw - vis_w) // cw) * cw if x0 + cw > sx + vis_w else sx)
        new_y = row if row < sy else (row - vis_h + 1 if row >= sy + vis_h else sy)
        new_x, new_y = max(new_x, 0), max(new_y, 0)
        if (new_x, new_y) == (sx, sy):
            return False
        self.scroll_to(new_x, new_y, animate=False, force=True)
        return True

    # ------------------------------------------------------------------ precomputation
    def _build_tables(self) -> None:
        """Style/Segment lookup tables indexed by ``level + TOP``."""
        colors = pal.diverging_colors()
        self._cell_styles = pal.cell_styles(colors)  # numbers on coloured background
        self._block_segs = [Segment(" ", s) for s in pal.bg_styles(colors)]
        self._cursor_blocks = [Segment("X", s + Style(bold=True)) for s in pal.cell_styles(colors)]
        self._ascii_cells = [_ascii_cell(q) for q in range(-TOP, TOP + 1)]

    def _summary(self) -> str:
        v = self._values
        times = "x" if self._mode == "ascii" else "\u00d7"
        head = f"{self._matrix_name} {v.shape[0]}{times}{v.shape[1]}".strip()
        finite = v[np.isfinite(v)]
        if finite.size:
            stats = (f"min {finite.min():.4g}  max {finite.max():.4g}  "
                     f"mean {finite.mean():.4g}  std {finite.std():.4g}")
        else:
            stats = "no finite values"
        bad = v.size - finite.size
        if bad:
            stats += f"  non-finite {bad}"
        cursor = ""
        if v.size:  # the cursor value first: it is what a teacher points at
            r, c = self._cursor
            cursor = f"  [{r},{c}] = {v[r, c]:.6g}"
        return f"{head}{cursor}  {stats}"

    # ------------------------------------------------------------------ rendering
    def render_lines(self, crop):
        # Resolve CSS-derived styles once per frame, not once per line.
        base = self.rich_style
        get = self.get_component_rich_style
        self._base = base
        self._st_header = base + get("matrix-view--header")
        self._st_gutter = base + get("matrix-view--gutter")
        self._st_cursor_label = base + get("matrix-view--cursor-label")
        self._st_highlight = base + get("matrix-view--highlight")
        self._st_cursor = base + get("matrix-view--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, _ = self.size
        rows, cols = self._values.shape
        if y == 0:
            text = self._summary_text if rows and cols else f"{self._matrix_name} (empty)".strip()
            position = self._position_text()
            if position:  # first, so the panel's edge never cuts it off
                text = f"{position}  {text}"
            return Strip([Segment(text, self._st_header)]).crop(0, width).extend_cell_length(width, self._base)
        sx, sy = self._scroll_cells()
        gutter, cw = self.gutter_width, self.cell_width
        vis = max(width - gutter, 0)
        c0, c1 = sx // cw, min(cols, -(-(sx + vis) // cw))
        if y == 1:
            corner = Segment(" " * gutter, self._st_header)
            data = self._header_cells(c0, c1)
        else:
            row = sy + y - self.header_rows
            if row >= rows or row < 0:
                return Strip.blank(width, self._base)
            label_style = (self._st_cursor_label if row == self._cursor[0]
                           else self._st_highlight if row in self._highlight else self._st_gutter)
            corner = Segment(f"{row:>{gutter - 1}} ", label_style)
            data = self._row_cells(row, c0, c1)
        cut = sx - c0 * cw
        data_strip = Strip(data).crop(cut, cut + vis)
        strip = Strip.join([Strip([corner], gutter), data_strip])
        return strip.crop(0, width).extend_cell_length(width, self._base)

    def visible_span(self) -> tuple[range, range]:
        """The rows and columns wholly on screen now."""
        rows, cols = self._values.shape
        sx, sy = self._scroll_cells()
        vis_w = max(self.scrollable_size.width - self.gutter_width, 0)
        return (range(min(sy, rows), min(rows, sy + max(self._visible_rows(), 0))),
                range(min(sx // self.cell_width, cols), min(cols, (sx + vis_w) // self.cell_width)))

    def _position_text(self) -> str:
        """E.g. "cols 8-15 of 16 ←  rows 0-9 of 32 ↓" for an axis cut by the panel; "" if all shows."""
        arrows = ("<-", "->", "^", "v") if self._mode == "ascii" else ("\u2190", "\u2192", "\u2191", "\u2193")
        parts = []
        for label, span, size, (back, ahead) in zip(("rows", "cols"), self.visible_span(), self._values.shape,
                                                     (arrows[2:], arrows[:2])):
            if len(span) < size and len(span):
                marks = " ".join(m for m, cut in ((back, span.start > 0), (ahead, span.stop < size)) if cut)
                parts.append(f"{label} {span.start}-{span.stop - 1} of {size} {marks}")
        return "  ".join(reversed(parts))  # columns first: wide matrices are the common case

    def _header_cells(self, c0: int, c1: int) -> list[Segment]:
        cw, cur = self.cell_width, self._cursor[1]
        if self.compact:  # a label every few columns, built for the visible span only
            step = 10 if cw == 1 else 5
            chars = [" "] * ((c1 - c0) * cw)
            for c in range(-(-c0 // step) * step, c1, step):
                x = (c - c0) * cw
                chars[x : x + len(str(c))] = str(c)
            return [Segment("".join(chars[: (c1 - c0) * cw]), self._st_header)]
        return [Segment(f"{c:>{cw}}", self._st_cursor_label if c == cur else self._st_header)
                for c in range(c0, c1)]

    def _row_cells(self, row: int, c0: int, c1: int) -> list[Segment]:
        levels = (self._levels[row, c0:c1] + TOP).tolist()
        cur = self._cursor[1] - c0 if row == self._cursor[0] else -1
        color = self._mode == "color"
        if self.compact:
            if color:
                segs = [self._block_segs[k] for k in levels]
                if 0 <= cur < len(segs):
                    segs[cur] = self._cursor_blocks[levels[cur]]
                return list(Segment.simplify(segs))
            cells = [self._ascii_cells[k] for k in levels]
            if 0 <= cur < len(cells):  # split the line around the reversed cursor cell
                return [Segment("".join(cells[:cur]), self._base), Segment(cells[cur], self._st_cursor),
                        Segment("".join(cells[cur + 1 :]), self._base)]
            return [Segment("".join(cells), self._base)]
        cw = self.CELL_WIDTH
        values = self._values[row, c0:c1].tolist()
        texts = [f"{format_value(v, cw - 1):>{cw}}" for v in values]
        if color:
            styles = self._cell_styles
            segs = [Segment(t, styles[k]) for t, k in zip(texts, levels)]
            if 0 <= cur < len(segs):
                segs[cur] = Segment(texts[cur], styles[levels[cur]] + Style(reverse=True))
            return segs
        segs = [Segment(t, self._base) for t in texts]
        if 0 <= cur < len(segs):
            segs[cur] = Segment(texts[cur], self._st_cursor)
        return segs
