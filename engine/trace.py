"""One training step's computation, recorded value by value, and explained element by element.

``record(net, X, y)`` runs the same buffered forward and backward pass as training and keeps a
copy of every intermediate; ``capture`` does the copying for a pass already run (the trainer's
traced step). The stages come out as an ordered list of ``TraceStep``s:
    z1, a1, ..., zL, aL, loss, dzL, dWL, dbL, da(L-1), dz(L-1), ..., dW1, db1
``Trace.explain(name, index)`` writes the scalar arithmetic behind one element with the real
numbers, e.g. ``z1[0,2] = a0[0,0]*W1[0,2] + a0[0,1]*W1[1,2] + b1[2] = 0.5*(-0.31) + 1*0.72 + 0 = 0.565``.
The trainer appends an "update" phase with the optimizer's own formula.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from .activations import DERIVATIVE_FORMULA

MAX_TERMS = 8  # longer sums show the first and last few terms and the exact total
HEAD, TAIL = 3, 2


def num(x: float) -> str:
    """A term: 4 significant digits."""
    return f"{float(x):.4g}"


def opnd(x: float) -> str:
    """A term that follows an operator: negatives in parentheses."""
    s = num(x)
    return f"({s})" if s.startswith("-") else s


def result(x: float) -> str:
    """The value an explanation arrives at: 6 significant digits."""
    return f"{float(x):.6g}"


def idx(*i) -> str:
    return "[" + ",".join(str(int(k)) for k in i) + "]"


def join_sum(symbols: list[str], numbers: list[str], count: int) -> tuple[str, str]:
    """Symbolic and numeric sums, shortened to head ... tail when there are many terms."""
    if count <= MAX_TERMS:
        return " + ".join(symbols), " + ".join(numbers)
    s = " + ".join(symbols[:HEAD]) + " + ... + " + " + ".join(symbols[-TAIL:])
    v = " + ".join(numbers[:HEAD]) + " + ... + " + " + ".join(numbers[-TAIL:])
    return f"{s}  ({count} terms)", v


def pick(count: int) -> list[int]:
    """Indices of the terms that are written out."""
    if count <= MAX_TERMS:
        return list(range(count))
    return list(range(HEAD)) + list(range(count - TAIL, count))


@dataclass
class TraceStep:
    phase: str  # "forward", "loss", "backward" or "update"
    name: str  # e.g. "z1", "dW2", "W1_new"
    value: np.ndarray
    formula: str  # e.g. "z1 = a0 @ W1 + b1"
    operands: tuple[str, ...]
    layer: int | None = None
    explainer: Callable[[tuple], str] | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape


class Trace:
    """The recorded values of one step. ``values`` also holds the operands a0, Y, W1, b1, ...

    Recording copies the arrays at once (the network moves on); the stage list with its
    formulas and explainers is built the first time someone looks, so a trace taken on every
    training step costs little more than those copies.
    """

    def __init__(self, net_config: dict, n: int):
        self.config = net_config
        self.n = n
        self._steps: list[TraceStep] = []
        self._values: dict[str, np.ndarray] = {}
        self._pending: list[Callable[["Trace"], None]] = []

    def defer(self, build: Callable[["Trace"], None]) -> None:
        """Queue ``build(trace)``, which adds stages; queued builders run in order, once."""
        self._pending.append(build)

    def _materialise(self) -> None:
        while self._pending:
            self._pending.pop(0)(self)

    @property
    def steps(self) -> list[TraceStep]:
        self._materialise()
        return self._steps

    @property
    def values(self) -> dict[str, np.ndarray]:
        self._materialise()
        return self._values

    def add(self, step: TraceStep) -> TraceStep:
        self._steps.append(step)
        self._values[step.name] = step.value
        return step

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def step(self, name: str) -> TraceStep:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"no step named {name!r}; steps are {', '.join(self.names)}")

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._values:
            return self._values[name]
        return self.values[name]

    @property
    def loss(self) -> float:
        return float(self._values["loss"])

    def explain(self, name: str, index=()) -> str:
        """The scalar computation of element ``index`` of step ``name``, with the real numbers."""
        step = self.step(name)
        index = normalise_index(step.value, index, name)
        return step.explainer(index)


def normalise_index(value: np.ndarray, index, name: str) -> tuple:
    if isinstance(index, (int, np.integer)):
        index = (int(index),)
    index = tuple(int(i) for i in (index or ()))
    if value.ndim == 0:
        return ()
    if len(index) != value.ndim:
        raise IndexError(f"{name} has shape {value.shape}: give {value.ndim} index/indices; got {index}")
    for i, (k, size) in enumerate(zip(index, value.shape)):
        if not 0 <= k < size:
            raise IndexError(f"{name}: index {k} out of range 0..{size - 1} in dimension {i}")
    return index


# ----- recording ------------------------------------------------------------------------------
@dataclass(frozen=True)
class NetSpec:
    """What the formulas and explanations need to know about the network, frozen at recording
    time (the learner may change l1/l2 live afterwards)."""
    n_layers: int
    activation: str
    output: str
    loss: str
    leak: float
    l1: float
    l2: float


def record(net, X, y, buf=None) -> Trace:
    """Run one forward/backward pass of ``net`` on (X, y) and record every value.

    ``buf``: the network's own buffers for this batch size when the caller owns the network
    (the trainer); by default fresh ones, so a trace never disturbs a training thread's."""
    from .network import Buffers

    X = net.check_X(X)
    n = X.shape[0]
    if buf is None:
        buf = Buffers(net.sizes, n, net.dtype)
    Y = net.encode_targets(y, n, out=buf.Y)
    net.forward_into(X, buf)
    loss = net.loss_from_buffers(Y, buf)
    net.backward_into(Y, buf)
    return capture(net, X, Y, buf, loss)


@lru_cache(maxsize=16)
def _layer_names(n_layers: int) -> tuple[tuple[str, ...], ...]:
    """(W, b, z, a, dz, dW, db, da) names of each layer: built once, not on every step."""
    return tuple((f"W{l}", f"b{l}", f"z{l}", f"a{l}", f"dz{l}", f"dW{l}", f"db{l}", f"da{l}")
                 for l in range(1, n_layers + 1))


def capture(net, X, Y, buf, loss, params: np.ndarray | None = None, grad: np.ndarray | None = None) -> Trace:
    """Copy what one forward/backward pass left in ``buf`` and ``net.grad`` into a Trace.

    ``params``, ``grad``: copies of ``net.params`` and ``net.grad`` the caller already made (the
    trainer keeps them for the update stage). Only flat copies are taken here; they are cut into
    named per-layer arrays on first use.
    """
    from .network import Buffers

    trace = Trace(net.config() | {"leak": net.leak}, X.shape[0])
    v = trace._values
    v["a0"] = X.copy()
    v["Y"] = Y.copy()
    v["loss"] = np.array(loss)
    block = buf.recorded.copy()
    weights = net.params.copy() if params is None else params
    grads = net.grad.copy() if grad is None else grad
    spec = NetSpec(net.n_layers, net.activation, net.output, net.loss, net.leak, net.l1, net.l2)

    def name_the_arrays(t: Trace) -> None:
        z, a, dz, da = Buffers.split(block, net.sizes, X.shape[0])
        W, dW = net.unflatten(weights), net.unflatten(grads)
        for l, names in enumerate(_layer_names(spec.n_layers)):
            arrays = (W[l].W, W[l].b, z[l], a[l], dz[l], dW[l].W, dW[l].b, da[l] if l < len(da) else None)
            t._values.update((name, arr) for name, arr in zip(names, arrays) if arr is not None)

    trace.defer(name_the_arrays)
    trace.defer(lambda t: _add_stages(t, spec))
    return trace


def _add_stages(trace: Trace, net: NetSpec) -> None:
    """The forward, loss and backward stages, in the order the computation ran."""
    if net.loss == "perceptron":  # no loss to differentiate: its own stages (see perceptron.py)
        from .perceptron import add_stages

        add_stages(trace)
        return
    v, L = trace._values, net.n_layers
    for l in range(1, L + 1):
        f = net.output if l == L else net.activation
        trace.add(TraceStep("forward", f"z{l}", v[f"z{l}"], f"z{l} = a{l - 1} @ W{l} + b{l}",
                            (f"a{l - 1}", f"W{l}", f"b{l}"), l, _explain_z(v, l)))
        trace.add(TraceStep("forward", f"a{l}", v[f"a{l}"], f"a{l} = {f}(z{l})",
                            (f"z{l}",), l, _explain_a(v, l, f, net.leak)))

    trace.add(TraceStep("loss", "loss", v["loss"], _loss_formula(net, L), (f"a{L}", "Y"), None,
                        _explain_loss(v, net, L)))

    for l in range(L, 0, -1):
        if l == L:
            trace.add(TraceStep("backward", f"dz{L}", v[f"dz{L}"], _output_delta_formula(net, L),
                                (f"a{L}", "Y", f"z{L}"), L, _explain_output_delta(v, net, L)))
        else:
            trace.add(TraceStep("backward", f"dz{l}", v[f"dz{l}"],
                                f"dz{l} = da{l} * {net.activation}'(z{l})", (f"da{l}", f"z{l}", f"a{l}"), l,
                                _explain_hidden_delta(v, l, net.activation, net.leak)))
        trace.add(TraceStep("backward", f"dW{l}", v[f"dW{l}"], _dW_formula(net, l),
                            (f"a{l - 1}", f"dz{l}", f"W{l}"), l, _explain_dW(v, net, l)))
        trace.add(TraceStep("backward", f"db{l}", v[f"db{l}"], f"db{l} = sum(dz{l}, axis=0)",
                            (f"dz{l}",), l, _explain_db(v, l)))
        if l > 1:
            trace.add(TraceStep("backward", f"da{l - 1}", v[f"da{l - 1}"], f"da{l - 1} = dz{l} @ W{l}.T",
                                (f"dz{l}", f"W{l}"), l - 1, _explain_da(v, l)))


# ----- formulas ---------------------------------------------------------------------------------
def _penalty_formula(net) -> str:
    s = ""
    if net.l2:
        s += " + (l2/(2n)) * sum(W**2)"
    if net.l1:
        s += " + (l1/n) * sum(|W|)"
    return s


def _loss_formula(net, L: int) -> str:
    if net.loss == "mse":
        core = f"(1/(2n)) * sum((a{L} - Y)**2)"
    elif net.output == "softmax":
        core = f"-(1/n) * sum(Y * log(a{L}))"
    else:
        core = f"-(1/n) * sum(Y * log(a{L}) + (1-Y) * log(1-a{L}))"
    return f"loss = {core}{_penalty_formula(net)}"


def _output_delta_formula(net, L: int) -> str:
    if net.loss == "cross_entropy" or net.output == "linear":
        return f"dz{L} = (a{L} - Y) / n"
    if net.output == "sigmoid":
        return f"dz{L} = (a{L} - Y) / n * a{L}*(1-a{L})"
    return f"dz{L} = a{L} * (g - rowsum(g * a{L})),  g = (a{L} - Y) / n"


def _dW_formula(net, l: int) -> str:
    s = f"dW{l} = a{l - 1}.T @ dz{l}"
    if net.l2:
        s += f" + (l2/n) * W{l}"
    if net.l1:
        s += f" + (l1/n) * sign(W{l})"
    return s


# ----- explanations (closures over the recorded values) ---------------------------------------
def _explain_z(v, l):
    def explain(ix):
        i, j = ix
        a, W, b = v[f"a{l - 1}"], v[f"W{l}"], v[f"b{l}"]
        K = a.shape[1]
        ks = pick(K)
        sym = [f"a{l - 1}{idx(i, k)}*W{l}{idx(k, j)}" for k in ks]
        nums = [f"{num(a[i, k])}*{opnd(W[k, j])}" for k in ks]
        s, n_ = join_sum(sym, nums, K)
        return (f"z{l}{idx(i, j)} = {s} + b{l}[{j}] = {n_} + {opnd(b[j])} "
                f"= {result(v[f'z{l}'][i, j])}")
    return explain


def _explain_a(v, l, f, leak):
    def explain(ix):
        i, j = ix
        z, a = v[f"z{l}"], v[f"a{l}"]
        zz, head = z[i, j], f"a{l}{idx(i, j)} = {f}(z{l}{idx(i, j)})"
        if f == "sigmoid":
            body = f"1/(1+exp(-{opnd(zz)}))"
        elif f == "tanh":
            body = f"tanh({num(zz)})"
        elif f == "relu":
            body = f"max(0, {num(zz)})"
        elif f == "leaky_relu":
            body = f"{num(zz)}" if zz > 0 else f"{leak:g}*{opnd(zz)}"
        elif f == "linear":
            body = num(zz)
        else:  # softmax over the row
            row = z[i]
            ks = pick(row.size)
            s, n_ = join_sum([f"exp(z{l}{idx(i, k)})" for k in ks], [f"exp({num(row[k])})" for k in ks], row.size)
            return (f"{head} = exp(z{l}{idx(i, j)}) / ({s}) = exp({num(zz)}) / ({n_}) "
                    f"= {result(a[i, j])}")
        return f"{head} = {body} = {result(a[i, j])}"
    return explain


def _explain_loss(v, net, L):
    def explain(_ix):
        A, Y, n = v[f"a{L}"], v["Y"], v["a0"].shape[0]
        if net.loss == "mse":
            cells = list(zip(*np.nonzero(np.ones_like(A, dtype=bool))))
            sym = "(1/(2n)) * sum((a - Y)**2)"
            nums = [f"({num(A[c])}-{opnd(Y[c])})**2" for c in cells]
            factor = f"(1/{2 * n})"
        elif net.output == "softmax":
            cells = list(zip(*np.nonzero(Y)))
            sym = "-(1/n) * sum(Y * log(a))"
            nums = [(f"log({num(A[c])})" if Y[c] == 1 else f"{num(Y[c])}*log({num(A[c])})") for c in cells]
            factor = f"-(1/{n})"
        else:
            cells = list(zip(*np.nonzero(np.ones_like(A, dtype=bool))))
            sym = "-(1/n) * sum(Y*log(a) + (1-Y)*log(1-a))"
            nums = [f"log({num(A[c] if Y[c] == 1 else 1 - A[c])})" if Y[c] in (0, 1)
                    else f"({num(Y[c])}*log({num(A[c])})+{opnd(1 - Y[c])}*log({num(1 - A[c])}))" for c in cells]
            factor = f"-(1/{n})"
        count = len(nums)
        shown = [nums[k] for k in pick(count)]
        body = " + ".join(shown) if count <= MAX_TERMS else (
            " + ".join(shown[:HEAD]) + " + ... + " + " + ".join(shown[-TAIL:]) + f"  ({count} terms)")
        text = f"loss = {sym} = {factor} * ({body})"
        w = np.concatenate([v[f"W{l}"].ravel() for l in range(1, L + 1)])
        if net.l2:
            text += f" + ({net.l2:g}/(2*{n})) * {num(np.vdot(w, w))}"
        if net.l1:
            text += f" + ({net.l1:g}/{n}) * {num(np.abs(w).sum())}"
        return f"{text} = {result(v['loss'])}"
    return explain


def _explain_output_delta(v, net, L):
    def explain(ix):
        i, k = ix
        A, Y, dz, n = v[f"a{L}"], v["Y"], v[f"dz{L}"], v["a0"].shape[0]
        a, y = A[i, k], Y[i, k]
        head = f"dz{L}{idx(i, k)}"
        base = f"(a{L}{idx(i, k)} - Y{idx(i, k)}) / n"
        base_n = f"({num(a)} - {opnd(y)}) / {n}"
        if net.loss == "cross_entropy" or net.output == "linear":
            return f"{head} = {base} = {base_n} = {result(dz[i, k])}"
        if net.output == "sigmoid":
            return (f"{head} = {base} * a*(1-a) = {base_n} * {num(a)}*(1-{opnd(a)}) = {result(dz[i, k])}")
        g = (A[i] - Y[i]) / n
        dot = float(np.dot(g, A[i]))
        return (f"{head} = a{L}{idx(i, k)} * (g[{k}] - sum_j g[j]*a{L}[{i},j]),  g = (a{L}[{i}] - Y[{i}]) / n  "
                f"= {num(a)} * ({num(g[k])} - {opnd(dot)}) = {result(dz[i, k])}")
    return explain


def _explain_hidden_delta(v, l, f, leak):
    def explain(ix):
        i, j = ix
        da, z, a, dz = v[f"da{l}"][i, j], v[f"z{l}"][i, j], v[f"a{l}"][i, j], v[f"dz{l}"][i, j]
        rule = DERIVATIVE_FORMULA[f]
        if f == "sigmoid":
            d = f"{num(a)}*(1-{opnd(a)})"
        elif f == "tanh":
            d = f"1-{opnd(a)}**2"
        elif f in ("relu", "leaky_relu"):
            d = "1" if z > 0 else ("0" if f == "relu" else f"{leak:g}")
            d += f" (z={num(z)})"
        else:
            d = "1"
        return (f"dz{l}{idx(i, j)} = da{l}{idx(i, j)} * {f}'(z{l}{idx(i, j)}),  {f}' = {rule}  "
                f"= {opnd(da)} * {d} = {result(dz)}")
    return explain


def _explain_dW(v, net, l):
    def explain(ix):
        p, q = ix
        a, dz, W = v[f"a{l - 1}"], v[f"dz{l}"], v[f"W{l}"]
        n = a.shape[0]
        ns = pick(n)
        s, n_ = join_sum([f"a{l - 1}{idx(r, p)}*dz{l}{idx(r, q)}" for r in ns],
                         [f"{num(a[r, p])}*{opnd(dz[r, q])}" for r in ns], n)
        extra_s = extra_n = ""
        if net.l2:
            extra_s += f" + (l2/n)*W{l}{idx(p, q)}"
            extra_n += f" + ({net.l2:g}/{n})*{opnd(W[p, q])}"
        if net.l1:
            extra_s += f" + (l1/n)*sign(W{l}{idx(p, q)})"
            extra_n += f" + ({net.l1:g}/{n})*{opnd(np.sign(W[p, q]))}"
        return f"dW{l}{idx(p, q)} = {s}{extra_s} = {n_}{extra_n} = {result(v[f'dW{l}'][p, q])}"
    return explain


def _explain_db(v, l):
    def explain(ix):
        (q,) = ix
        dz = v[f"dz{l}"]
        n = dz.shape[0]
        ns = pick(n)
        s, n_ = join_sum([f"dz{l}{idx(r, q)}" for r in ns], [opnd(dz[r, q]) for r in ns], n)
        return f"db{l}[{q}] = {s} = {n_} = {result(v[f'db{l}'][q])}"
    return explain


def _explain_da(v, l):
    def explain(ix):
        i, p = ix
        dz, W = v[f"dz{l}"], v[f"W{l}"]
        K = dz.shape[1]
        ks = pick(K)
        s, n_ = join_sum([f"dz{l}{idx(i, k)}*W{l}{idx(p, k)}" for k in ks],
                         [f"{opnd(dz[i, k])}*{opnd(W[p, k])}" for k in ks], K)
        return f"da{l - 1}{idx(i, p)} = {s} = {n_} = {result(v[f'da{l - 1}'][i, p])}"
    return explain
