"""The inspector's gradient check (key g on a dW or db stage): which gradient elements to check
and the table that shows the backward pass's value beside the central difference's."""
from __future__ import annotations

import re

from engine.gradcheck import CellCheck
from engine.trace import Trace

GRADIENT_STAGE = re.compile(r"d([Wb])(\d+)$")  # dW2, db1: the stages a gradient check applies to
H = 1e-6  # the central difference's step


def checked_cells(trace: Trace, stage: str, cursor: tuple[int, int]) -> list[tuple[int, str, tuple]] | None:
    """(layer, kind, index) of the cells to check on gradient stage ``stage`` with the matrix
    cursor at (row, col): in every layer's W and b the cell at the cursor's position (clamped to
    the matrix), so the selected cell is one of them. None when ``stage`` is no gradient stage or
    the step has no loss gradient (the perceptron rule)."""
    if GRADIENT_STAGE.match(stage) is None or trace.config["loss"] == "perceptron":
        return None
    r, c = cursor
    cells = []
    for layer in range(1, len(trace.config["sizes"])):
        rows, cols = trace[f"W{layer}"].shape
        cells.append((layer, "W", (min(r, rows - 1), min(c, cols - 1))))
        if trace.config["bias"]:
            cells.append((layer, "b", (min(c, cols - 1),)))
    return cells


def selected_label(stage: str, cursor: tuple[int, int]) -> str:
    """The parameter whose gradient the cursor is on, e.g. "W2[1,0]" on dW2, "b1[3]" on db1."""
    match = GRADIENT_STAGE.match(stage)
    assert match is not None
    kind, layer = match.groups()
    r, c = cursor
    return f"W{layer}[{r},{c}]" if kind == "W" else f"b{layer}[{c}]"


def table_text(checks: list[CellCheck], selected: str, n: int) -> str:
    """One line per checked gradient element: backprop's value, the central difference's and
    their relative error (absolute where both are below the significance threshold)."""
    samples = "1 sample" if n == 1 else f"{n} samples"
    lines = [f"Gradient check on the step's batch ({samples}), parameters before the update",
             f"numeric: (loss(p+h) - loss(p-h)) / 2h, h = {H:g}, in extended precision",
             "",
             f"  {'gradient':<14} {'backprop':>20} {'numeric':>20} {'rel. error':>11}"]
    for check in checks:
        mark = ">" if check.label == selected else " "
        error = f"{check.rel_error:.2e}" if check.significant else f"abs {check.abs_error:.1e}"
        lines.append(f"{mark} {'d' + check.label:<14} {check.analytic:>20.12g} {check.numeric:>20.12g} {error:>11}")
    lines += ["", "> the selected cell; the other rows: the same position in every W and b",
              "rel. error 1e-7 or below: backprop equals the finite difference"]
    return "\n".join(lines)
