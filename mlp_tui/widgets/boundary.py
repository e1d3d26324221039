"""Decision-boundary panel: for 2-D data the network's prediction over the data's range (or one
hidden neuron's activation map); for other data a confusion matrix and a few test samples.
A regression run shows the predicted value as a colour map with each point's target, and for
other than 2-D data a few samples' targets beside their predictions."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from engine.confusion import confusion_matrix
from engine.regression import r2_score
from mlp_tui.palette import RAMP, finite_absmax
from mlp_tui.plot_grid import grid_points, to_data, to_pixels
from mlp_tui.warp import WarpView, neuron_pairs, warp
from mlp_tui.widgets.heatmap import DecisionHeatmap, point_glyph

N_SAMPLES_SHOWN = 4
N_FIT_ROWS = 8  # samples listed for a regression on other than 2-D data


def class_confidence(out: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Predicted class and its confidence in [0, 1] for any output layer."""
    if out.shape[1] == 1:  # one sigmoid unit
        p = out[:, 0]
        return (p >= 0.5).astype(int), np.maximum(p, 1 - p), 2
    pos = np.clip(np.nan_to_num(out, nan=0.0), 0, None)
    total = pos.sum(axis=1, keepdims=True)
    probs = np.where(total > 0, pos / np.where(total > 0, total, 1), 1.0 / out.shape[1])
    pred = probs.argmax(axis=1)
    return pred, probs[np.arange(len(pred)), pred], out.shape[1]


def sample_art(x: np.ndarray) -> list[str] | None:
    """A square image vector as ASCII rows (two pixel rows per text row when large)."""
    side = int(round(math.sqrt(x.size)))
    if side * side != x.size or side < 4:
        return None
    img = x.reshape(side, side)
    if side > 14:  # MNIST: 28x28 -> 14x14 by averaging 2x2 blocks
        img = img[: side // 2 * 2, : side // 2 * 2].reshape(side // 2, 2, side // 2, 2).mean(axis=(1, 3))
    lo, hi = float(img.min()), float(img.max())
    q = np.zeros(img.shape, int) if hi <= lo else np.rint((img - lo) / (hi - lo) * (len(RAMP) - 1)).astype(int)
    return ["".join(RAMP[v] for v in row) for row in q]


# Draw mode's actions: enabled (and in the footer) only while drawing.
DRAW_ACTIONS = {"move_cursor", "add_point", "next_class", "remove_point", "new_data", "stop_drawing"}


class BoundaryPanel(Vertical, can_focus=True):
    BINDINGS = [Binding("right_square_bracket", "neuron(1)", "Next neuron", show=False),
                Binding("left_square_bracket", "neuron(-1)", "Prev neuron", show=False),
                Binding("up", "move_cursor(-1, 0)", "Cursor up", show=False),
                Binding("down", "move_cursor(1, 0)", "Cursor down", show=False),
                Binding("left", "move_cursor(0, -1)", "Cursor left", show=False),
                Binding("right", "move_cursor(0, 1)", "Cursor right", show=False),
                Binding("a,enter", "add_point", "Add point"),
                Binding("c", "next_class", "Class"),
                Binding("x", "remove_point", "Remove nearest"),
                Binding("g", "new_data", "New data"),
                Binding("m,escape", "stop_drawing", "Done drawing")]

    class DrawRequest(Message):
        """Draw mode asks for a data change: ``kind`` "add" (a point of class ``label`` at
        ``point``), "remove" (the point nearest ``point``) or "regenerate"."""

        def __init__(self, kind: str, point: tuple[float, float] | None = None, label: int = 0) -> None:
            super().__init__()
            self.kind, self.point, self.label = kind, point, label
    DEFAULT_CSS = """
    BoundaryPanel #boundary-info { height: 1; color: $text-muted; }
    BoundaryPanel #confusion { height: 1fr; display: none; }
    BoundaryPanel.-not2d #confusion { display: block; }
    BoundaryPanel.-not2d DecisionHeatmap { display: none; }
    """

    def __init__(self, mode: str = "color", drawable: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.mode = mode
        self.drawable = drawable  # the app offers draw mode (its key m): say so on the info line
        self.data = None  # the run's dataset, set by attach
        self.neuron: tuple[int, int] | None = None  # (layer, unit) or None for the output
        # The warped hidden space shown instead, as (layer, i, j): neurons i and j as x and y.
        self.warp_pair: tuple[int, int, int] | None = None
        self.warp_view: WarpView | None = None  # the warped picture on screen
        self._snap = None  # the last snapshot shown: redrawn on a neuron choice or a resize
        self._key = None
        self._grid = None
        self._info_text = None
        self.drawing = False  # draw mode: a cursor, keys and clicks that edit the data
        self.draw_class = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="boundary-info")
        yield DecisionHeatmap(mode=self.mode, square=True, id="heatmap")
        yield Static("", id="confusion")

    def attach(self, net, data) -> None:
        """A new run of ``net`` on ``data``: copy the network to evaluate snapshots with (the
        training one changes under the worker thread) and forget cached grids."""
        self.data = data
        self._twin = net.copy()
        self.neuron = None
        self.warp_pair = None
        self._snap = None
        self._grid = None
        self._key = None
        self.set_class(not data.is_2d, "-not2d")
        if self.drawing and not data.is_2d:
            self.action_stop_drawing()

    # ----- neuron choice ----------------------------------------------------------------------------
    def _neurons(self) -> list[tuple[int, int] | None]:
        sizes = self._twin.sizes
        return [None] + [(l, j) for l in range(1, len(sizes) - 1) for j in range(sizes[l])]

    def action_neuron(self, step: int) -> None:
        if self.data is None or not self.data.is_2d:
            return
        if self.warp_pair is not None:
            pairs = neuron_pairs(self._twin.sizes)
            self.warp_pair = pairs[(pairs.index(self.warp_pair) + step) % len(pairs)]
        else:
            options = self._neurons()
            self.neuron = options[(options.index(self.neuron) + step) % len(options)]
        self._redraw()

    def toggle_warp(self) -> bool:
        """Show the warped hidden space (from the first pair of neurons) or leave it; False when
        there is none to show (data not 2-D, no hidden layer of two neurons)."""
        if self.warp_pair is not None:
            self.warp_pair = None
        else:
            two_d = self.data is not None and self.data.is_2d
            pairs = neuron_pairs(self._twin.sizes) if two_d else []
            if not pairs:
                return False
            self.warp_pair = pairs[0]
        self._redraw()
        return True

    def on_decision_heatmap_pixel_shape_changed(self, event: DecisionHeatmap.PixelShapeChanged) -> None:
        """Resized: evaluate the network on a grid of the new resolution."""
        event.stop()
        heatmap = event.heatmap
        if heatmap.cursor is not None:  # keep the draw cursor on the picture
            H, W = event.shape
            heatmap.cursor = (min(heatmap.cursor[0], H - 1), min(heatmap.cursor[1], W - 1))
        self._redraw()

    # ----- draw mode ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return self.drawing if action in DRAW_ACTIONS else True

    def start_drawing(self) -> None:
        """Show the cursor (at the picture's centre) and enable the draw keys."""
        heatmap = self.query_one(DecisionHeatmap)
        H, W = heatmap.pixel_shape
        self.drawing = True
        self.draw_class %= self.data.n_classes
        heatmap.cursor = (H // 2, W // 2)
        self._draw_info()
        self.refresh_bindings()

    def action_stop_drawing(self) -> None:
        self.drawing = False
        self.query_one(DecisionHeatmap).cursor = None
        self.refresh_bindings()
        self._redraw()

    def action_move_cursor(self, rows: int, cols: int) -> None:
        heatmap = self.query_one(DecisionHeatmap)
        H, W = heatmap.pixel_shape
        row, col = heatmap.cursor or (H // 2, W // 2)
        row = min(max(row + rows * heatmap.rows_per_cell, 0), H - 1)
        heatmap.cursor = (row, min(max(col + cols, 0), W - 1))
        self._draw_info()

    def action_add_point(self) -> None:
        self.post_message(self.DrawRequest("add", self.cursor_point(), self.draw_class))

    def action_remove_point(self) -> None:
        self.post_message(self.DrawRequest("remove", self.cursor_point()))

    def action_new_data(self) -> None:
        self.post_message(self.DrawRequest("regenerate"))

    def action_next_class(self) -> None:
        self.draw_class = (self.draw_class + 1) % self.data.n_classes
        self._draw_info()

    def cursor_point(self) -> tuple[float, float] | None:
        """The data point under the draw cursor (None when there is none)."""
        heatmap = self.query_one(DecisionHeatmap)
        if heatmap.cursor is None:
            return None
        return to_data(*heatmap.cursor, self.data.extent, heatmap.pixel_shape)

    def on_decision_heatmap_clicked(self, event: DecisionHeatmap.Clicked) -> None:
        """In draw mode a left click adds a point there, a right click removes the nearest."""
        event.stop()
        if not self.drawing:
            return
        self.query_one(DecisionHeatmap).cursor = event.pixel
        self._draw_info()
        if event.button == 3:
            self.action_remove_point()
        else:
            self.action_add_point()

    def _draw_info(self) -> None:
        x, y = self.cursor_point() or (0.0, 0.0)
        self._info(f"drawing class {self.draw_class} {point_glyph(self.draw_class)} at "
                   f"({x:.2f}, {y:.2f}); click adds, right click removes")

    def set_data(self, data) -> None:
        """The run's data changed (a drawn point, new data): draw it, keeping the network."""
        self.data = data
        self._grid = None
        self._redraw()

    # ----- drawing ------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        """Draw the last snapshot again (the picture's size or the neuron changed)."""
        if self._snap is not None:
            self.show(self._snap, force=True)

    def show(self, snap, force: bool = False) -> None:
        """Draw the network with ``snap``'s weights (a trainer Snapshot), unless this step is on
        screen already. attach() comes first."""
        if self.data is None:
            return
        key = (snap.step, self.neuron, self.warp_pair)
        if key == self._key and not force:
            return
        self._snap, self._key = snap, key
        self._twin.params[...] = snap.params
        if self.data.is_2d:
            self._show_2d()
        elif self.data.is_regression:
            self._show_fit()
        else:
            self._show_confusion()

    def _show_2d(self) -> None:
        heatmap = self.query_one(DecisionHeatmap)
        shape = heatmap.pixel_shape
        if shape[0] < 2 or shape[1] < 2:
            return
        data = self.data
        if self._grid is None or self._grid[0] != shape:
            extent = data.extent
            # A point carries its class, or a regression's target (drawn on the value scale).
            y_train, y_test = ((data.targets_train[:, 0], data.targets_test[:, 0]) if data.is_regression
                               else (data.y_train, data.y_test))
            train = (*to_pixels(data.points_train, extent, shape), y_train)
            held_out = data.n_test and data.X_test is not data.X_train  # none at test fraction 0
            test = (*to_pixels(data.points_test, extent, shape), y_test) if held_out else None
            # The picture is of the plane; the network sees the grid's input features.
            self._grid = (shape, self._twin.check_X(data.inputs(grid_points(extent, shape))), train, test)
        if self.warp_pair is not None:
            self._show_warp(heatmap, shape)
            return
        _, pts, train, test = self._grid
        acts = self._twin.activations(pts)
        if self.neuron is None and data.is_regression:
            # One scale for the map and the points: the largest target, so colours compare.
            vmax = finite_absmax(np.concatenate([data.targets_train, data.targets_test]))
            heatmap.show_values_signed(acts[-1][:, 0].reshape(shape), vmax, train, test, label="predicted")
            self._info(f"{data.name}: predicted value, points coloured by target  [ ] neurons")
        elif self.neuron is None:
            pred, conf, k = class_confidence(acts[-1])
            heatmap.show_classes(pred.reshape(shape), conf.reshape(shape), k, train, test)
            inputs = f" from {', '.join(data.features)}" if data.features else ""
            if self.drawing:
                self._draw_info()
            else:
                self._info(f"{data.name}: predicted class{inputs}  [ ] neurons" + ("  m draw" if self.drawable else ""))
        else:
            l, j = self.neuron
            values = acts[l][:, j].reshape(shape)
            act = self._twin.layer_activation(l)
            lo, hi = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(act, (None, None))
            heatmap.show_values(values, lo, hi, train, test, label=f"a{l}[{j}]")
            self._info(f"neuron a{l}[:, {j}] ({act})  [ ] next")

    def _show_warp(self, heatmap: DecisionHeatmap, shape: tuple[int, int]) -> None:
        l, i, j = self.warp_pair
        view = self.warp_view = warp(self._twin, self.data, l, i, j, shape)
        heatmap.show_values(view.image, 0.0, 1.0, view.train, view.test, label="input grid")
        self._info(f"hidden space: x = a{l}[:, {i}], y = a{l}[:, {j}]  [ ] pairs  h back")

    def _info(self, text: str) -> None:
        """The line above the picture; rewritten (a layout pass) only when it changes."""
        if text != self._info_text:
            self._info_text = text
            self.query_one("#boundary-info", Static).update(Text(text))

    def _show_fit(self) -> None:
        """Regression on other than 2-D data: R² and a few samples' targets beside the predictions."""
        data = self.data
        split, X, T = ("test", data.X_test, data.targets_test) if data.n_test else ("train", data.X_train, data.targets_train)
        out = self._twin.forward(X)
        text = Text(f"{split} R\u00b2 {r2_score(out, T):.4g}\n\n{'target':>12}{'predicted':>12}{'error':>12}\n")
        for t, p in zip(T[:N_FIT_ROWS, 0].tolist(), out[:N_FIT_ROWS, 0].tolist()):
            text.append(f"{t:>12.4g}{p:>12.4g}{p - t:>12.4g}\n")
        self.query_one("#confusion", Static).update(text)
        self._info(f"{data.name}: {data.n_features} features, not 2-D: regression targets and predictions")

    def _show_confusion(self) -> None:
        data = self.data
        # With no test split (test fraction 0) the training set is all there is to show.
        split, X, y = ("test", data.X_test, data.y_test) if data.n_test else ("train", data.X_train, data.y_train)
        out = self._twin.forward(X)
        pred, _, k = class_confidence(out)
        k = max(k, data.n_classes)
        counts = confusion_matrix(y, pred, k)
        acc = float(np.trace(counts)) / max(1, counts.sum())
        text = Text(f"confusion matrix ({split}, rows = true, cols = predicted)  accuracy {acc:.1%}\n")
        width = max(3, len(str(int(counts.max()))) + 1)
        text.append("      " + "".join(f"{c:>{width}}" for c in range(k)) + "\n")
        for t in range(k):
            text.append(f"true {t:<2}")
            for p in range(k):
                style = ("bold green" if t == p else "red") if self.mode == "color" and counts[t, p] else ""
                cell = f"{counts[t, p]:>{width}}" if counts[t, p] or t == p else f"{'.':>{width}}"
                text.append(cell, style=style)
            text.append("\n")
        arts = [(sample_art(X[i]), int(pred[i]), int(y[i])) for i in range(min(N_SAMPLES_SHOWN, len(pred)))]
        if arts and arts[0][0] is not None:
            cols = len(arts[0][0][0])
            text.append("\n" + "  ".join(f"{'p' + str(p) + (' ok' if p == t else ' t' + str(t)):<{cols}}"
                                         for _, p, t in arts) + "\n")
            for r in range(len(arts[0][0])):
                text.append("  ".join(a[0][r] for a in arts) + "\n")
        self.query_one("#confusion", Static).update(text)
        self.query_one("#boundary-info", Static).update(Text(f"{data.name}: {data.n_features} features, not 2-D"))
