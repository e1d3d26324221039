"""Inspector panel: every layer's weights as number grids, and step mode, which walks ONE real
training step stage by stage (forward z and a per layer, the loss, backward dz, dW, db, da per
layer, then the update) with the formula, the operands, the result and, for the cell under the
cursor, the scalar arithmetic that produced it (``trace.explain``). On the output layer's delta
the app's key d swaps that line for the cell's chain-rule derivation (``engine.derivation``)."""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static

from engine.derivation import derive_output_delta, output_delta_name, output_layer
from engine.losses import delta_is_residual
from engine.operands import sources
from engine.trace import Trace
from mlp_tui.gradcheck_view import checked_cells
from mlp_tui.widgets.matrix_view import MatrixView
from mlp_tui.widgets.operands import OperandCell, OperandStrip, OperandVector


def pipeline_names(trace: Trace) -> list[str]:
    """x -> z1 -> a1 -> ... -> loss -> dz2 -> dW2 ... -> update: one name per stage group."""
    names = ["x"]
    for s in trace.steps:
        if s.phase == "update":
            if names[-1] != "update":
                names.append("update")
        else:
            names.append(s.name)
    return names


def shape_text(a: np.ndarray) -> str:
    return "x".join(map(str, a.shape)) if a.ndim else "scalar"


def operand_parts(trace: Trace, name: str, index: tuple) -> tuple[list[OperandVector], list[OperandCell]]:
    """The rows, columns and cells of the operands that produced ``name[index]``, for the strip."""
    vectors, cells = [], []
    for source in sources(trace, name, index):
        label = f"{source.name}[{','.join(':' if k is None else str(k) for k in source.index)}]"
        values = source.values(trace)
        if source.is_vector:  # a row runs over the columns, a column over the rows
            vectors.append(OperandVector(label, tuple(values.tolist()), "cols" if source.index[-1] is None else "rows"))
        else:
            cells.append(OperandCell(label, float(values)))
    return vectors, cells


def derivation_text(trace: Trace, index: tuple[int, int]) -> str:
    """The chain rule for one cell of the output delta, with a heading and what it shows."""
    name, L, (i, j) = output_delta_name(trace), output_layer(trace), index
    output, loss = trace.config["output"], trace.config["loss"]
    lines = derive_output_delta(trace, index)
    if delta_is_residual(output, loss):
        note = (f"The product is the recorded {name}[{i},{j}]; for {output} + {loss} it is the "
                f"tutorials' (a{L} - Y)/n.")
    else:
        note = (f"Squared error through {output}: the product itself is {name}[{i},{j}]; "
                f"it does not reduce to (a{L} - Y)/n.")
    heading = f"{name}[{i},{j}] by the chain rule, summed over the outputs k (d: back to one line)"
    return "\n".join([heading, *lines, note])


class InspectorPanel(Vertical):
    BINDINGS = [Binding("w", "next_matrix", "Next matrix", show=False),
                Binding("b", "toggle_batch", "Sample/batch", show=False),
                Binding("x", "leave_step", "Weights view", show=False),
                Binding("greater_than_sign", "sample(1)", "Next sample", show=False),
                Binding("less_than_sign", "sample(-1)", "Prev sample", show=False),
                Binding("right_square_bracket", "operand_page(1)", "Operands on", show=False),
                Binding("left_square_bracket", "operand_page(-1)", "Operands back", show=False)]
    DEFAULT_CSS = """
    InspectorPanel #pipeline { height: auto; max-height: 3; }
    InspectorPanel #stage { height: auto; max-height: 4; color: $text; }
    InspectorPanel MatrixView { height: 1fr; min-height: 3; }
    InspectorPanel #explain { height: auto; max-height: 60%; color: $text; background: $boost; }
    InspectorPanel.-derivation #explain { max-height: 80%; }
    InspectorPanel.-derivation #stage, InspectorPanel.-derivation #operands { display: none; }
    """

    class StageChanged(Message):
        """The walk moved to stage ``index``; ``update`` is True on the first update stage."""

        def __init__(self, index: int, update: bool) -> None:
            super().__init__()
            self.index = index
            self.update = update

    class DerivationShown(Message):
        """The chain-rule derivation appeared (``shown``) or gave way to the one-line explanation."""

        def __init__(self, shown: bool) -> None:
            super().__init__()
            self.shown = shown

    # The step being walked, from its first stage each time one is set; None: the weights mode.
    trace: var[Trace | None] = var(None, init=False, always_update=True)
    # How many training samples there are to choose from (set by the app for each run).
    n_train = var(1, init=False)
    # The input features the network sees (x1^2, ...; set by the app for each run); () for the data's own columns.
    features: var[tuple[str, ...]] = var((), init=False)

    def __init__(self, mode: str = "color", editable: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.mode = mode
        self.editable = editable  # the app binds e to edit the weight at the cursor
        self.stage = 0
        self.use_batch = False  # the next traced step uses one sample (False) or the mini-batch
        self.sample = 0
        self.derive = False  # on the output delta: the chain-rule derivation instead of one line
        self._offers = (False, False)  # what the footer was last told about d and g
        self._lines: dict[str, tuple[str, str]] = {}  # selector -> (markup, plain text) on screen
        self._matrix_index = 0
        self._weights: list[tuple[str, np.ndarray]] = []
        self._source = None  # (net, params) last shown in weights mode

    def compose(self) -> ComposeResult:
        yield Static("", id="pipeline")
        yield Static("", id="stage")
        yield OperandStrip(self.mode, id="operands")
        yield MatrixView(mode=self.mode, id="matrix")
        yield Static("", id="explain")

    # ----- weights mode ------------------------------------------------------------------------------
    def show_weights(self, net, params: np.ndarray) -> None:
        """Weights mode: show one layer's W or b from a snapshot's parameter copy."""
        self._source = (net, params)
        if self.trace is not None:
            return
        layers = net.unflatten(params)
        self._weights = [(f"{k}{l}", getattr(layer, k)) for l, layer in enumerate(layers, 1) for k in "Wb"
                         if getattr(layer, k) is not None]  # a network without biases has no b
        self._matrix_index %= len(self._weights)
        name, values = self._weights[self._matrix_index]
        matrix = self.query_one(MatrixView)
        matrix.set_matrix(values, name)
        names = "  ".join(f"[{n}]" if i == self._matrix_index else n for i, (n, _) in enumerate(self._weights))
        self._set("#pipeline", f"weights: {names}   (w: next matrix{', e: edit' if self.editable else ''})")
        self._set("#stage", f"{name}: {shape_text(values)}  min {values.min():.4g}  max {values.max():.4g}  "
                            f"mean {values.mean():.4g}{self._layer_note(net, name)}\nn: take one real step and walk it stage by stage "
                            f"({'mini-batch' if self.use_batch else f'sample {self.sample}, < > to choose'}; b: batch)")
        self._explain_cursor()

    def _layer_note(self, net, name: str) -> str:
        """For a network whose layers differ in activation, the function of the matrix's layer;
        for W1 over input features, the inputs its rows weigh."""
        l = int(name[1:])
        notes = [f"layer {l}: {net.layer_activation(l)}"] if net.layer_activations is not None else []
        if self.features and l == 1:
            notes.append(f"rows = inputs {', '.join(self.features)}")
        return f"  ({'; '.join(notes)})" if notes else ""

    def _rerender(self) -> None:
        if self.trace is None and self._source is not None:
            self.show_weights(*self._source)

    def action_next_matrix(self) -> None:
        if self.trace is None and self._weights:
            self._matrix_index = (self._matrix_index + 1) % len(self._weights)
            self._rerender()

    def action_toggle_batch(self) -> None:
        self.use_batch = not self.use_batch
        self._rerender()

    def action_sample(self, delta: int) -> None:
        """Choose which training sample the next traced step uses (when not using the batch)."""
        if self._source is not None:
            n = self.n_train
            self.sample = (self.sample + delta) % max(1, n)
            self.use_batch = False
            self._rerender()

    def action_operand_page(self, direction: int) -> None:
        self.query_one(OperandStrip).page(direction)

    def action_leave_step(self) -> None:
        self.trace = None

    def watch_n_train(self, n_train: int) -> None:
        self.sample %= n_train

    # ----- step mode --------------------------------------------------------------------------------
    @property
    def at_end(self) -> bool:
        return self.trace is None or self.stage >= len(self.trace.steps) - 1

    def watch_trace(self, trace: Trace | None) -> None:
        self.stage = 0
        if trace is None:
            self._rerender()
        else:
            self._show_stage()

    def move(self, delta: int) -> None:
        """Go ``delta`` stages forward or back (clamped at both ends)."""
        if self.trace is None:
            return
        new = int(np.clip(self.stage + delta, 0, len(self.trace.steps) - 1))
        if new == self.stage:
            return
        self.stage = new
        self._show_stage()
        step = self.trace.steps[new]
        first_update = step.phase == "update" and self.trace.steps[new - 1].phase != "update"
        self.post_message(self.StageChanged(new, first_update))

    @property
    def current(self):
        return None if self.trace is None else self.trace.steps[self.stage]

    def edit_target(self) -> tuple[int, str, tuple, str, float] | None:
        """(layer, kind, index, label, value) of the parameter at the cursor in the weights view,
        the one place parameters are shown as they are now (a step's stages are a record)."""
        matrix = self.query_one(MatrixView)
        name = matrix.matrix_name
        if self.trace is not None or not name or not matrix.values.size:
            return None
        kind, layer = name[0], int(name[1:])
        r, c = matrix.cursor
        index = (r, c) if kind == "W" else (c,)
        label = f"{kind}{layer}[{','.join(map(str, index))}]"
        return layer, kind, index, label, float(matrix.values[r, c])

    def gradcheck_cells(self) -> list[tuple[int, str, tuple]] | None:
        """The cells the key g checks on this stage (``gradcheck_view.checked_cells``), or None."""
        if self.trace is None:
            return None
        return checked_cells(self.trace, self.current.name, self.query_one(MatrixView).cursor)

    @property
    def on_output_delta(self) -> bool:
        """Whether the walk stands on the output layer's delta, the stage d derives."""
        return self.trace is not None and self.current.name == output_delta_name(self.trace)

    def toggle_derivation(self) -> None:
        self.derive = not self.derive
        self._explain_cursor()

    def _show_stage(self) -> None:
        trace, step = self.trace, self.current
        names = pipeline_names(trace)
        here = "update" if step.phase == "update" else step.name
        text = Text()
        for i, name in enumerate(names):
            if i:
                text.append(" -> ", style="dim")
            style = "bold reverse" if name == here else ("" if names.index(here) > i else "dim")
            text.append(f"x = [{', '.join(self.features)}]" if i == 0 and self.features else name, style=style)
        self._set("#pipeline", text)
        operands = ", ".join(f"{o} ({shape_text(trace.values[o])})" for o in step.operands if o in trace.values)
        self._set("#stage", f"[{self.stage + 1}/{len(trace.steps)}] {step.phase}: {step.formula}\n"
                            f"operands: {operands}  ->  {step.name} ({shape_text(step.value)})   n/p: stage  x: weights")
        self.query_one(MatrixView).set_matrix(step.value, step.name)
        self._explain_cursor()

    def _derivation_shown(self) -> bool:
        """Whether the derivation replaces the one-line explanation; tells the footer (d is
        offered on the output delta only, g on a gradient stage) and the app (the layout) when
        that changes."""
        derives = self.on_output_delta
        offers = (derives, self.trace is not None and self.gradcheck_cells() is not None)
        if offers != self._offers:  # the footer shows d and g only where they apply
            self._offers = offers
            self.refresh_bindings()
        deriving = self.derive and derives
        if deriving != self.has_class("-derivation"):
            self.set_class(deriving, "-derivation")
            self.post_message(self.DerivationShown(deriving))
        return deriving

    def _explain_cursor(self) -> None:
        matrix = self.query_one(MatrixView)
        step = self.current
        deriving = self._derivation_shown()
        operands = self.query_one(OperandStrip)
        if step is None:
            operands.show()
            name = matrix.matrix_name
            r, c = matrix.cursor
            if matrix.values.size:
                self._set("#explain", f"{name}[{r},{c}] = {matrix.values[r, c]:.6g}" if name.startswith("W")
                          else f"{name}[{c}] = {matrix.values[r, c]:.6g}")
            return
        r, c = matrix.cursor
        index = () if step.value.ndim == 0 else (c,) if step.value.ndim == 1 else (r, c)
        try:
            operands.show(*operand_parts(self.trace, step.name, index))
            self._set("#explain", derivation_text(self.trace, index) if deriving
                      else self.trace.explain(step.name, index))
        except (IndexError, KeyError, ZeroDivisionError) as e:
            operands.show()
            self._set("#explain", str(e))

    def on_matrix_view_cell_selected(self, event: MatrixView.CellSelected) -> None:
        event.stop()
        self._explain_cursor()

    def explanation(self) -> str:
        return self._lines.get("#explain", ("", ""))[1]

    def _set(self, selector: str, value) -> None:
        """Update a line only when it changed (styles included): refreshes cost bandwidth."""
        if not isinstance(value, Text):
            value = Text(str(value))  # plain text: brackets such as [W1] are not markup
        key = value.markup
        if self._lines.get(selector, (None,))[0] != key:
            self._lines[selector] = (key, str(value))
            self.query_one(selector, Static).update(value)
