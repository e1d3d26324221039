"""Which parts of a stage's operands produced one element of its result.

For ``z = a @ W + b`` the element z[i,j] comes from row i of a, column j of W and b[j]; for
``dW = a.T @ dz`` dW[p,q] from column p of a and column q of dz; for ``da = dz @ W.T`` da[i,p]
from row i of dz and row p of W; for ``db = sum(dz, axis=0)`` db[q] from column q of dz; an
element-wise stage from the same cell of each operand. ``sources(trace, name, index)`` answers
with ``Source``s: an operand's name and a NumPy index into it (``None`` for a whole axis).

The rules follow the stage names the trace gives (z1, a1, dz1, dW1, db1, da1, W1_new, b1_new,
error): the same names the formulas are written with.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .losses import delta_is_residual
from .trace import Trace, normalise_index

@dataclass(frozen=True)
class Source:
    """``name`` is an operand of the stage; ``index`` picks its contributing part: ints pick,
    None keeps a whole axis (``(i, None)`` is row i, ``(None, j)`` column j, ``(i, j)`` one cell)."""
    name: str
    index: tuple[int | None, ...]

    @property
    def is_vector(self) -> bool:
        return None in self.index

    def values(self, trace: Trace) -> np.ndarray:
        """The contributing values: a 1-D vector, or a single cell as a 0-D array."""
        return trace[self.name][tuple(slice(None) if k is None else k for k in self.index)]


def sources(trace: Trace, name: str, index=()) -> list[Source]:
    """The operand parts behind element ``index`` of stage ``name`` (empty for the loss, which
    uses every cell)."""
    step = trace.step(name)
    index = normalise_index(step.value, index, name)
    if not index:
        return []
    ops, kind = step.operands, re.sub(r"\d+", "#", name)
    if kind == "z#":
        (i, j), (a, W, *b) = index, ops  # no b without biases
        return [Source(a, (i, None)), Source(W, (None, j))] + [Source(name, (j,)) for name in b]
    if kind == "dW#":
        (p, q), (a, dz, W) = index, ops
        regularised = trace.config.get("l1") or trace.config.get("l2")  # the penalty's term uses W[p,q]
        return [Source(a, (None, p)), Source(dz, (None, q))] + ([Source(W, (p, q))] if regularised else [])
    if kind == "db#":
        return [Source(ops[0], (None, index[0]))]
    if kind == "da#_drop" or (kind == "da#" and ops[-1].startswith("W")):  # not da = da_drop * mask / keep
        (i, p), (dz, W) = index, ops
        return [Source(dz, (i, None)), Source(W, (p, None))]
    if step.phase == "update" and trace.config["loss"] == "perceptron":
        return _perceptron_update(ops, index)
    return [_paired(trace, name, o, index) for o in ops]


def _perceptron_update(ops: tuple[str, ...], index: tuple[int, ...]) -> list[Source]:
    """W1_new = W1 + lr * a0.T @ error / n: W1[p,q], column p of a0, column q of error;
    b1_new = b1 + lr * sum(error, axis=0) / n: b1[q] and column q of error."""
    if len(index) == 1:
        (b, error), (q,) = ops, index
        return [Source(b, (q,)), Source(error, (None, q))]
    (W, a, error), (p, q) = ops, index
    return [Source(W, (p, q)), Source(a, (None, p)), Source(error, (None, q))]


def _paired(trace: Trace, name: str, operand: str, index: tuple[int, ...]) -> Source:
    """An element-wise stage: the same cell, or the whole row where the output is row-wise."""
    config, L = trace.config, len(trace.config["sizes"]) - 1
    row_wise = config["output"] == "softmax" and (
        name == f"a{L}" or (name == f"dz{L}" and not delta_is_residual(config["output"], config["loss"])))
    return Source(operand, (index[0], None)) if row_wise else Source(operand, index)
