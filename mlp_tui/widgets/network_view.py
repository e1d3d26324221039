"""NetworkView: the network drawn as TensorFlow Playground draws it.

Columns left to right: the inputs (labels ``x0``, ``x1`` ...), each hidden layer, the outputs.
Every neuron is a small box showing its activation over the 2-D input plane (colour mode: one
text cell = two square pixels with ``▀``); for other data the box is one shade, the neuron's
mean activation. Edges between boxes follow the weight: colour mode draws them orange for
positive and blue for negative weights (the matrix view's diverging map), brighter for larger
|w|; ASCII mode draws ``+`` / ``-`` for strong weights and ``.`` for faint ones (|w| under a
third of the layer's largest). Columns taller than the widget show their first neurons and a
"+N more" label.

The widget receives plain arrays (:meth:`NetworkView.show`), never the session. The whole
picture is a grid of integer codes into one table of Segments, painted when the data, size,
selection or highlight change; ``render_line`` only returns the cached strips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from mlp_tui import palette as pal
from mlp_tui.widgets.heatmap import HALF

BOX_SIZES = ((8, 4), (6, 3), (4, 2))
"""Neuron box sizes in text cells (wide, tall), largest first: 8x8, 6x6 and 4x4 pixels in colour."""
MIN_GAP = 5  # columns between two layers, for the edges and the selection marks
EDGE_GLYPHS = "─╲╱│"  # by slope: flat, falling, rising, steep
ASCII_EDGES = "+-."  # strong positive, strong negative, faint
FAINT = pal.LEVELS // 3  # |quantised weight| below this is faint in ASCII mode
MARKS = {"color": ("▶", "◀"), "ascii": (">", "<")}  # either side of the selected box

SIGNED_LEVELS = 2 * pal.LEVELS - 1  # colours in the diverging map
# Segment table layout, colour mode: blank, diverging half-block pairs, sequential pairs, edges, text.
OFF_DIV = 1
OFF_SEQ = OFF_DIV + SIGNED_LEVELS ** 2
OFF_EDGE = OFF_SEQ + pal.LEVELS ** 2
# ASCII mode: blank, the ramp, the edge characters, text.
OFF_RAMP = 1
OFF_ASCII_EDGE = OFF_RAMP + len(pal.RAMP)


def map_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The colour scale of an activation: its own range where it has one, else the data's."""
    if activation in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    top = pal.finite_absmax(values)
    return (0.0, top) if activation in ("relu", "leaky_relu") else (-top, top)


@dataclass(frozen=True)
class Column:
    """One layer on screen: boxes at ``rows`` (top text row of unit i), ``more`` units not drawn."""

    layer: int
    x: int
    width: int
    rows: tuple[int, ...]
    more: int
    more_row: int


@dataclass(frozen=True)
class Plan:
    box: tuple[int, int]  # (cells wide, rows tall)
    columns: tuple[Column, ...]

    def centre(self, column: Column, unit: int) -> int:
        """Text row where a unit's edges attach (the middle of its box)."""
        return column.rows[unit] + self.box[1] // 2


def input_labels(n: int, names=None) -> tuple[str, ...]:
    """The input units' labels: the input features' names where given, else x0, x1, ..."""
    return tuple(names) if names else tuple(f"x{unit}" for unit in range(n))


def plan(sizes: tuple[int, ...], width: int, height: int, inputs=None) -> Plan:
    """Where each layer and box goes: the largest box size that fits every layer, else the
    largest that leaves room for edges (wide layers are then summarised)."""
    layers = len(sizes) - 1
    in_width = max(map(len, input_labels(sizes[0], inputs)))

    def gap(bw: int) -> int:
        return (width - 2 - in_width - layers * bw) // layers  # 1-cell margins for the marks

    roomy = [b for b in BOX_SIZES if gap(b[0]) >= MIN_GAP] or [BOX_SIZES[-1]]
    fitting = [b for b in roomy if max(sizes) <= height // (b[1] + 1)]
    bw, bh = (fitting or roomy)[0]
    step = max(gap(bw), 1)
    slots = height // (bh + 1)  # one slot = a box and a blank row; row 0 is the header
    columns, x = [], 1
    for layer, n in enumerate(sizes):
        shown = n if n <= slots else max(slots - 1, 0)
        more = n - shown
        used = (shown + (more > 0)) * (bh + 1) - 1
        top = 1 + max(0, (height - 1 - used) // 2)
        rows = tuple(top + i * (bh + 1) for i in range(shown))
        more_row = top + shown * (bh + 1) + bh // 2 if more else -1
        w = in_width if layer == 0 else bw
        columns.append(Column(layer, x, w, rows, more, more_row))
        x += w + step
    return Plan((bw, bh), tuple(columns))


class NetworkView(Widget, can_focus=True):
    """The network as boxes (activation maps) and edges (weights); arrows/click select a neuron."""

    DEFAULT_CSS = """
    NetworkView {
        width: 1fr;
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("up", "move(0, -1)", "Neuron up", show=False),
        Binding("down", "move(0, 1)", "Neuron down", show=False),
        Binding("left", "move(-1, 0)", "Layer left", show=False),
        Binding("right", "move(1, 0)", "Layer right", show=False),
        Binding("enter", "toggle", "Select/output", show=False),
        Binding("backspace", "deselect", "Output", show=False),
    ]

    highlight_layer: reactive[int | None] = reactive(None)
    """Layer drawn highlighted in the header (e.g. the inspector's current stage); None: none."""
    selected: reactive[tuple[int, int] | None] = reactive(None)
    """The selected neuron (layer, unit), layer 1..L; None means the output (nothing selected)."""

    class NeuronSelected(Message):
        """The user selected neuron (layer, unit), or the output when both are None."""

        def __init__(self, view: "NetworkView", layer: int | None, unit: int | None) -> None:
            super().__init__()
            self.network_view = view
            self.layer = layer
            self.unit = unit

        @property
        def neuron(self) -> tuple[int, int] | None:
            """As ``BoundaryPanel.neuron`` takes it."""
            return None if self.layer is None else (self.layer, self.unit)

        @property
        def control(self) -> "NetworkView":
            return self.network_view

    def __init__(self, mode: str = "color", **kw) -> None:
        super().__init__(**kw)
        if mode not in MARKS:
            raise ValueError(f"mode must be 'color' or 'ascii', not {mode!r}")
        self.mode = mode
        self.sizes: tuple[int, ...] | None = None
        self._labels: list[str] = []
        self._inputs: tuple[str, ...] = ()
        self._maps: list[tuple[np.ndarray, int, int]] = []  # per layer: (codes, colours K, table offset)
        self._edges: list[np.ndarray] = []  # per layer: quantised weights
        self._cursor = (1, 0)  # where Enter re-selects after a deselect
        self._base = Style()
        self._table: list[Segment] | None = None  # code -> Segment, for the current base style
        self._text: dict[tuple[str, str], int] = {}  # (character, kind) -> code
        self._strips: list[Strip] | None = None
        self._painted: np.ndarray | None = None  # the codes on screen, to repaint only changed rows
        self._fresh: np.ndarray | None = None  # codes painted for new data, drawn on the next frame

    # ------------------------------------------------------------------ data in
    def show(self, sizes, maps, weights, activations, inputs=None) -> bool:
        """Draw a network. ``sizes``: layer widths (inputs first); for each layer l = 1..L:
        ``maps[l-1]`` (sizes[l], h, w) activations over the input plane (h = w = 1: one shade),
        ``weights[l-1]`` (sizes[l-1], sizes[l]) and ``activations[l-1]`` its activation's name;
        ``inputs``: the input units' names (the input features), by default x0, x1, ...
        Raises ValueError naming the argument at fault (the picture stays); returns True when
        the quantised picture changed (and a repaint was requested)."""
        try:
            sizes = tuple(int(s) for s in sizes)
        except (TypeError, ValueError):
            raise ValueError(f"sizes must be a list of layer widths; got {sizes!r}") from None
        layers = len(sizes) - 1
        if layers < 1 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least two widths >= 1; got {sizes}")
        for name, seq in (("maps", maps), ("weights", weights), ("activations", activations)):
            if not hasattr(seq, "__len__") or len(seq) != layers:
                raise ValueError(f"{name} must have one entry per layer ({layers}); got {seq!r:.40}")
        new_maps, new_edges = [], []
        for l in range(1, layers + 1):
            m, W = np.asarray(maps[l - 1]), np.asarray(weights[l - 1])
            if m.ndim != 3 or m.shape[0] != sizes[l] or 0 in m.shape:
                raise ValueError(f"maps[{l - 1}] must have shape ({sizes[l]}, h, w); got {m.shape}")
            if W.shape != (sizes[l - 1], sizes[l]):
                raise ValueError(f"weights[{l - 1}] must have shape {(sizes[l - 1], sizes[l])}; got {W.shape}")
            new_maps.append(self._quantise_map(m, str(activations[l - 1])))
            new_edges.append(pal.quantise_signed(W, pal.finite_absmax(W)))
        if inputs is not None and len(inputs) != sizes[0]:
            raise ValueError(f"inputs must name the {sizes[0]} input units; got {inputs!r:.40}")
        names = input_labels(sizes[0], inputs)
        labels = ["in"] + [f"h{l} {a}" for l, a in enumerate(activations[:-1], 1)] + [f"out {activations[-1]}"]
        if self._same(sizes, labels, new_maps, new_edges) and names == self._inputs:
            return False
        if sizes != self.sizes:
            self._cursor = (1, 0)
            self.set_reactive(NetworkView.selected, None)
        same_shape = sizes == self.sizes and labels == self._labels and names == self._inputs
        self._inputs = names
        self.sizes, self._labels, self._maps, self._edges = sizes, labels, new_maps, new_edges
        self._repaint_changed() if same_shape else self._repaint()
        return True

    def _quantise_map(self, m: np.ndarray, activation: str) -> tuple[np.ndarray, int, int]:
        lo, hi = map_range(activation, m)
        if self.mode == "ascii":
            return pal.quantise(m, lo, hi, len(pal.RAMP)), len(pal.RAMP), OFF_RAMP
        if lo < 0:
            return pal.quantise_signed(m, hi) + (pal.LEVELS - 1), SIGNED_LEVELS, OFF_DIV
        return pal.quantise(m, lo, hi), pal.LEVELS, OFF_SEQ

    def _same(self, sizes, labels, maps, edges) -> bool:
        return (sizes == self.sizes and labels == self._labels
                and all(a[1:] == b[1:] and np.array_equal(a[0], b[0]) for a, b in zip(maps, self._maps))
                and all(np.array_equal(a, b) for a, b in zip(edges, self._edges)))

    # ------------------------------------------------------------------ selection
    def plan(self) -> Plan | None:
        """Where everything is at the current size (None before the first ``show``)."""
        if self.sizes is None:
            return None
        return plan(self.sizes, *self.size, self._inputs)

    def neuron_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (layer, unit) whose box (or selection mark) covers cell (x, y), if any."""
        layout = self.plan()
        if layout is None:
            return None
        bw, bh = layout.box
        for col in layout.columns[1:]:
            if col.x - 1 <= x <= col.x + bw:
                for unit, top in enumerate(col.rows):
                    if top <= y < top + bh:
                        return col.layer, unit
        return None

    def _select(self, neuron: tuple[int, int] | None) -> None:
        if neuron == self.selected:
            return
        if neuron is not None:
            self._cursor = neuron
        self.selected = neuron
        layer, unit = neuron if neuron is not None else (None, None)
        self.post_message(self.NeuronSelected(self, layer, unit))

    def action_move(self, d_layer: int, d_unit: int) -> None:
        layout = self.plan()
        if layout is None or len(layout.columns) < 2:
            return
        if self.selected is None:
            layer, unit = self._cursor
        else:
            layer, unit = self.selected[0] + d_layer, self.selected[1] + d_unit
        layer = min(max(layer, 1), len(layout.columns) - 1)
        shown = len(layout.columns[layer].rows)
        if shown:
            self._select((layer, min(max(unit, 0), shown - 1)))

    def action_toggle(self) -> None:
        if self.selected is not None:
            self._select(None)
        else:
            self.action_move(0, 0)

    def action_deselect(self) -> None:
        self._select(None)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        hit = None if offset is None else self.neuron_at(offset.x, offset.y)
        if hit is not None:
            self._select(None if hit == self.selected else hit)

    # ------------------------------------------------------------------ repaint triggers
    def watch_highlight_layer(self) -> None:
        self._repaint()

    def watch_selected(self) -> None:
        self._repaint()

    def on_resize(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        self._strips = self._fresh = None
        self.refresh()

    def _repaint_changed(self) -> None:
        """New numbers for the same network: repaint only the rows that changed (over SSH every
        repainted row is sent again, and a forming network changes a few boxes at a time)."""
        width, height = self.size
        old = self._painted
        if old is None or self._table is None or old.shape != (height, width):
            self._repaint()
            return
        self._fresh = self._paint(width, height)
        self._strips = None
        rows = np.flatnonzero((self._fresh != old).any(axis=1)).tolist()
        if rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    # ------------------------------------------------------------------ painting
    def _reset_table(self) -> None:
        """(Re)build the code table for the current base style; text codes are added as drawn."""
        base = self._base
        table = [Segment(" ", base)]
        if self.mode == "ascii":
            table += [Segment(c, base) for c in pal.RAMP + ASCII_EDGES]
        else:
            for colors in (pal.diverging_colors(), pal.sequential_colors()):
                table += [Segment(HALF, s) for s in pal.halfblock_table(tuple(colors))]
            table += [Segment(g, base + Style(color=Color.from_rgb(*c)))
                      for g in EDGE_GLYPHS for c in pal.diverging_colors()]
        self._table, self._text, self._strips = table, {}, None

    def _text_style(self, kind: str) -> Style:
        return self._base + {"label": Style(), "muted": Style(dim=True), "mark": Style(bold=True),
                             "highlight": Style(bold=True, reverse=True)}[kind]

    def _put_text(self, codes: np.ndarray, y: int, x: int, text: str, kind: str, limit: int) -> None:
        """Write ``text`` (cropped to ``limit`` cells and the widget) at row y, column x."""
        height, width = codes.shape
        if not 0 <= y < height:
            return
        for i, ch in enumerate(text[:max(limit, 0)]):
            if 0 <= x + i < width:
                key = (ch, kind)
                if key not in self._text:
                    self._text[key] = len(self._table)
                    self._table.append(Segment(ch, self._text_style(kind)))
                codes[y, x + i] = self._text[key]

    def _paint(self, width: int, height: int) -> np.ndarray:
        codes = np.zeros((height, width), np.int32)
        layout = plan(self.sizes, width, height, self._inputs)
        cols = layout.columns
        for left, right in zip(cols, cols[1:]):
            self._paint_edges(codes, layout, left, right)
        for col in cols[1:]:
            self._paint_boxes(codes, layout, col)
        gap = cols[1].x - cols[0].x - cols[0].width if len(cols) > 1 else width
        for col in cols:
            if col.layer == 0:
                for unit in range(len(col.rows)):
                    self._put_text(codes, layout.centre(col, unit), col.x, self._inputs[unit], "label", col.width)
            if col.more:
                more = f"+{col.more} more"
                self._put_text(codes, col.more_row, col.x, more if len(more) <= col.width + gap - 2 else f"+{col.more}",
                               "muted", col.width + gap - 2)
            label = self._labels[col.layer]
            kind = "label"
            if col.layer == self.highlight_layer:
                label, kind = f"[{label}]", "highlight"
            if col is cols[-1]:  # the last label may start over the gap so it is not cropped
                x = max(col.x - gap + 2, min(col.x, width - len(label)))
                self._put_text(codes, 0, x, label, kind, width - x)
            else:
                self._put_text(codes, 0, col.x, label, kind, col.width + gap - 1)
        self._paint_selection(codes, layout)
        return codes

    def _paint_boxes(self, codes: np.ndarray, layout: Plan, col: Column) -> None:
        m, k, offset = self._maps[col.layer - 1]
        bw, bh = layout.box
        ph = 2 * bh if self.mode == "color" else bh
        h, w = m.shape[1:]
        shown = len(col.rows)
        # Nearest-neighbour resampling of every box at once; a 1x1 map fills its box.
        pix = m[:shown][:, (np.arange(ph) * h) // ph][:, :, (np.arange(bw) * w) // bw].astype(np.int32)
        cells = (pix[:, 0::2] * k + pix[:, 1::2] if self.mode == "color" else pix) + offset
        for unit, top in enumerate(col.rows):
            box = codes[top:top + bh, col.x:col.x + bw]
            box[...] = cells[unit, :box.shape[0], :box.shape[1]]

    def _paint_edges(self, codes: np.ndarray, layout: Plan, left: Column, right: Column) -> None:
        """Straight edges from each shown box of ``left`` to each of ``right``; where edges
        cross, the larger |w| is drawn on top."""
        q = self._edges[right.layer - 1][:len(left.rows), :len(right.rows)]
        if q.size == 0:
            return
        x0, x1 = left.x + left.width, right.x - 1
        y0 = np.array([layout.centre(left, i) for i in range(len(left.rows))])[:, None]
        y1 = np.array([layout.centre(right, j) for j in range(len(right.rows))])[None, :]
        dy = (y1 - y0).ravel()
        y0 = np.broadcast_to(y0, q.shape).ravel()
        q = q.ravel().astype(np.int32)
        dx = max(x1 - x0, 1)
        samples = max(dx, int(np.abs(dy).max(initial=0))) + 1
        t = np.linspace(0.0, 1.0, samples)
        xs = np.rint(x0 + t * dx).astype(np.int64)
        ys = np.rint(y0[:, None] + dy[:, None] * t).astype(np.int64)
        if self.mode == "color":
            # Each cell's glyph follows the step to the next sample: a staircase of ─ and ╲/╱.
            step_y = np.diff(ys, axis=1, append=ys[:, -1:])
            step_x = np.diff(xs, append=xs[-1] + 1)[None, :]
            glyph = np.where(step_y == 0, 0, np.where(step_x == 0, 3, np.where(step_y > 0, 1, 2)))
            value = OFF_EDGE + glyph * SIGNED_LEVELS + (q + (pal.LEVELS - 1))[:, None]
        else:
            value = OFF_ASCII_EDGE + np.where(np.abs(q) < FAINT, 2, np.where(q > 0, 0, 1))
            value = np.repeat(value[:, None], samples, axis=1)
        height, width = codes.shape
        cell = (ys * width + xs[None, :]).ravel()
        inside = ((ys >= 0) & (ys < height) & (xs[None, :] >= 0) & (xs[None, :] < width)).ravel()
        prio = np.repeat(np.abs(q), samples)[inside]
        cell, value = cell[inside], value.ravel()[inside]
        order = np.lexsort((prio, cell))  # by cell, then |w|: the last of each cell wins
        cell, value = cell[order], value[order]
        last = np.append(cell[1:] != cell[:-1], True)
        codes.ravel()[cell[last]] = value[last]

    def _paint_selection(self, codes: np.ndarray, layout: Plan) -> None:
        if self.selected is None:
            return
        layer, unit = self.selected
        if not 1 <= layer < len(layout.columns) or unit >= len(layout.columns[layer].rows):
            return  # not on screen (summarised into "+N more")
        col = layout.columns[layer]
        bw, bh = layout.box
        before, after = MARKS[self.mode]
        for y in range(col.rows[unit], col.rows[unit] + bh):
            self._put_text(codes, y, col.x - 1, before, "mark", 1)
            self._put_text(codes, y, col.x + bw, after, "mark", 1)

    # ------------------------------------------------------------------ rendering
    def render_lines(self, crop):
        base = self.rich_style  # resolved once per frame; the table is rebuilt only if it changes
        if base != self._base or self._table is None:
            self._base = base
            self._reset_table()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self._strips is None:
            self._strips = self._build_strips(width, height)
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self._base)

    def _build_strips(self, width: int, height: int) -> list[Strip]:
        if self.sizes is None or width <= 0 or height <= 0:
            return []
        if self._table is None:  # drawn before any frame (e.g. straight after show)
            self._base = self.rich_style
            self._reset_table()
        codes = self._fresh if self._fresh is not None and self._fresh.shape == (height, width) \
            else self._paint(width, height)
        self._painted, self._fresh = codes, None
        table = self._table
        # One Segment per run of equal codes (fewer bytes to send, like Segment.simplify but
        # found for the whole picture by one NumPy comparison instead of style by style).
        starts = np.ones(codes.shape, bool)
        np.not_equal(codes[:, 1:], codes[:, :-1], out=starts[:, 1:])
        ys, xs = np.nonzero(starts)
        ends = np.append(xs[1:], width)
        ends[np.append(ys[1:] != ys[:-1], True)] = width
        segments = [table[c] if n == 1 else Segment(table[c].text * n, table[c].style)
                    for c, n in zip(codes[ys, xs].tolist(), (ends - xs).tolist())]
        cuts = np.append(0, np.cumsum(np.bincount(ys, minlength=height))).tolist()
        return [Strip(segments[a:b], width) for a, b in zip(cuts, cuts[1:])]
