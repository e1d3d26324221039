"""Central-difference gradient checking: is the analytic backward pass right?

The analytic gradient comes from the network's own float64 backward pass. The numeric one,
(f(p+h) - f(p-h)) / 2h, is evaluated in extended precision (np.longdouble) so that its
round-off (about eps*|loss|/h) stays far below the gradients being checked, and h can be
small enough to rarely straddle a ReLU kink. Relative error |a - n| / max(|a|, |n|) is
reported for elements of at least ``tiny``; smaller elements are compared by absolute error.
With grad_scale "sum" the gradient is checked against n times the loss's derivative: the
summed loss's, penalties included (see ``Network.gradient_factor``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TINY = 1e-6  # gradients smaller than this are compared by absolute error: a ratio of noise says nothing


class GradcheckResult(float):
    """A float equal to the maximum relative error over the significant elements.

    Attributes: ``max_rel_error``, ``max_abs_error`` (over elements smaller than ``tiny``),
    ``worst`` (parameter label of the largest relative error), ``n_checked``.
    """

    max_rel_error: float
    max_abs_error: float
    worst: str
    n_checked: int

    def __new__(cls, rel, abs_, worst, n_checked):
        self = super().__new__(cls, rel)
        self.max_rel_error, self.max_abs_error, self.worst, self.n_checked = rel, abs_, worst, n_checked
        return self

    def passed(self, rel_tol=1e-6, abs_tol=1e-8) -> bool:
        return self.max_rel_error < rel_tol and self.max_abs_error < abs_tol

    def __repr__(self) -> str:
        return (f"GradcheckResult(max_rel_error={self.max_rel_error:.3g}, "
                f"max_abs_error={self.max_abs_error:.3g}, worst={self.worst}, n_checked={self.n_checked})")


def param_label(net, k: int) -> str:
    """Name of flat parameter k, e.g. 'W2[3,1]' or 'b1[0]'."""
    if k < net.n_weights:
        at = 0
        for l, layer in enumerate(net.layers, start=1):
            if k < at + layer.W.size:
                r, c = divmod(k - at, layer.W.shape[1])
                return f"W{l}[{r},{c}]"
            at += layer.W.size
    at = net.n_weights
    for l, layer in enumerate(net.layers, start=1):
        if k < at + layer.b.size:
            return f"b{l}[{k - at}]"
        at += layer.b.size
    raise IndexError(k)


def gradcheck(net, X, y, h: float = 1e-6, tiny: float = TINY, max_checks: int | None = None,
              seed: int = 0) -> GradcheckResult:
    """Compare the float64 analytic gradient with central differences taken in extended precision.

    ``max_checks`` limits the check to a seeded random subset of parameters for large networks.
    """
    twin = net.copy(dtype="float64")
    X = np.asarray(X, dtype=np.float64)
    twin.loss_and_grads(X, y)
    analytic = twin.grad.copy()
    twin = net.copy(dtype="longdouble")
    ks = np.arange(twin.params.size)
    if max_checks is not None and max_checks < ks.size:
        ks = np.sort(np.random.default_rng(seed).choice(ks, size=max_checks, replace=False))
    numeric = np.array([central_difference(twin, twin.params, int(k), X, y, h) for k in ks])
    a = analytic[ks]
    scale = np.maximum(np.abs(a), np.abs(numeric))
    err = np.abs(a - numeric)
    big = scale >= tiny
    rel = np.where(big, err / np.where(big, scale, 1.0), 0.0)
    max_rel = float(rel.max()) if rel.size else 0.0
    max_abs = float(err[~big].max()) if (~big).any() else 0.0
    worst = param_label(twin, int(ks[int(rel.argmax())])) if rel.size else ""
    return GradcheckResult(max_rel, max_abs, worst, int(ks.size))


def central_difference(twin, array: np.ndarray, index, X, y, h: float) -> float:
    """(loss(p+h) - loss(p-h)) / 2h for the parameter ``array[index]`` of ``twin`` (``array`` is
    one of its parameter views), times the gradient factor; the parameter is put back."""
    keep = array[index]
    array[index] = keep + h
    up = twin.loss_value(X, y)
    array[index] = keep - h
    down = twin.loss_value(X, y)
    array[index] = keep
    return twin.gradient_factor(X.shape[0]) * float((up - down) / (2 * twin.dtype.type(h)))


@dataclass(frozen=True)
class CellCheck:
    """One gradient element checked: its parameter, the backward pass's value and the central
    difference's."""

    label: str  # the parameter, e.g. "W1[0,2]"
    analytic: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def significant(self) -> bool:
        """Whether the gradient is large enough (TINY) for its relative error to mean something."""
        return max(abs(self.analytic), abs(self.numeric)) >= TINY

    @property
    def rel_error(self) -> float:
        """|analytic - numeric| / max(|analytic|, |numeric|); 0 when both are 0."""
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_error / scale if scale else 0.0


def trace_network(trace, dtype="longdouble"):
    """A network like the one a trace recorded, holding the parameters the step started from."""
    from .network import Network

    settings = dict(trace.config)
    leak = settings.pop("leak")
    net = Network(**(settings | {"dtype": dtype}))
    net.leak = leak
    for l, layer in enumerate(net.layers, start=1):
        layer.W[...] = trace[f"W{l}"]
        if layer.b is not None:
            layer.b[...] = trace[f"b{l}"]
    return net


def check_trace(trace, cells, h: float = 1e-6) -> list[CellCheck]:
    """Check gradient elements of a recorded step: for each ``(layer, kind, index)`` in ``cells``
    (kind "W" or "b", layer from 1), the recorded dW/db element against the central difference
    of the loss on the step's own batch, with the parameters before its update."""
    if trace.config["loss"] == "perceptron":
        raise ValueError("the perceptron rule is not the gradient of a loss: there is nothing to check")
    twin = trace_network(trace)
    X, Y = trace["a0"], trace["Y"]
    checks = []
    for layer, kind, index in cells:
        array, label = twin.param_cell(layer, kind, index)
        analytic = float(trace[f"d{kind}{layer}"][tuple(index)])
        checks.append(CellCheck(label, analytic, central_difference(twin, array, tuple(index), X, Y, h)))
    return checks
