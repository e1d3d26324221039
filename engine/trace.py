"""One training step's computation, recorded value by value, and explained element by element.

``record(net, X, y)`` runs the same buffered forward and backward pass as training and keeps a
copy of every intermediate; ``capture`` does the copying for a pass already run (the trainer's
traced step). The stages come out as an ordered list of ``TraceStep``s:
    z1, a1, ..., zL, aL, loss, dzL, dWL, dbL, da(L-1), dz(L-1), ..., dW1, db1
``Trace.explain(name, index)`` writes the scalar arithmetic behind one element with the real
numbers, e.g. ``z1[0,2] = a0[0,0]*W1[0,2] + a0[0,1]*W1[1,2] + b1[2] = 0.5*(-0.31) + 1*0.72 + 0 = 0.565``.
The trainer appends an "update" phase with the optimizer's own formula (see update_trace.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from .activations import DERIVATIVE_FORMULA
from .arith import equation, num, opnd
from .losses import delta_is_residual, log_sigmoid

MAX_TERMS = 8  # longer sums write out the first and last few terms and the rest as one number
HEAD, TAIL = 3, 2


def idx(*i) -> str:
    return "[" + ",".join(str(int(k)) for k in i) + "]"


def _f64(x) -> np.ndarray:
    """Sums of the terms not written out are taken in float64 whatever the network's dtype."""
    return np.asarray(x, dtype=np.float64)


def _dot(x, y) -> float:
    return float(np.dot(_f64(x), _f64(y)))


def written_sum(count: int, symbol: Callable[[int], str], term: Callable[[int, int], str],
                rest: Callable[[slice], float]) -> tuple[str, Callable[[int], str]]:
    """A sum of ``count`` terms: its symbolic text and a builder of its numeric text.

    ``symbol(k)`` is term k's symbolic text, ``term(k, d)`` its numbers at d significant digits
    and ``rest(ks)`` the exact sum of the terms in slice ``ks``. Past MAX_TERMS terms the middle ones are
    one term, ``rest[3..N-3]`` in the symbolic text and their sum in the numbers, so the numbers
    still add up to the result as printed.
    """
    if count <= MAX_TERMS:
        return (" + ".join(symbol(k) for k in range(count)),
                lambda d: " + ".join(term(k, d) for k in range(count)))
    head, middle, tail = range(HEAD), range(HEAD, count - TAIL), range(count - TAIL, count)
    total = rest(slice(middle.start, middle.stop))
    sym = " + ".join([symbol(k) for k in head] + [f"rest[{middle[0]}..{middle[-1]}]"] + [symbol(k) for k in tail])
    return sym, lambda d: " + ".join([term(k, d) for k in head] + [opnd(total, d)] + [term(k, d) for k in tail])


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

    def add_operand(self, name: str, value) -> None:
        """Keep ``value`` under ``name`` for the explanations: an operand that no stage computes
        (the learning rate of the update, the perceptron's error)."""
        self._values[name] = np.asarray(value)

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
    activations: tuple[str, ...]  # each hidden layer's
    output: str
    loss: str
    leak: float
    l1: float
    l2: float
    bias: bool = True
    summed: bool = False  # grad_scale "sum": the gradient of the summed loss, no 1/n
    keep: tuple[float, ...] = ()  # dropout: hidden layer l keeps its units with keep[l-1] (1: no dropout)

    def dropped(self, l: int) -> bool:
        """Does hidden layer ``l`` (from 1) go through a dropout mask?"""
        return 0 < l <= len(self.keep) and self.keep[l - 1] < 1

    def fed(self, l: int) -> str:
        """The name of what layer ``l`` reads: a{l-1}, or a{l-1}_drop after dropout."""
        return f"a{l - 1}_drop" if self.dropped(l - 1) else f"a{l - 1}"

    @property
    def per_n(self) -> str:
        """The 1/n of a gradient formula: empty when the gradient is summed over the batch."""
        return "" if self.summed else "/n"


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


def capture(net, X, Y, buf, loss, params: np.ndarray | None = None, grad: np.ndarray | None = None,
            drop=None) -> Trace:
    """Copy what one forward/backward pass left in ``buf`` and ``net.grad`` into a Trace.

    ``params``, ``grad``: copies of ``net.params`` and ``net.grad`` the caller already made (the
    trainer keeps them for the update stage). Only flat copies are taken here; they are cut into
    named per-layer arrays on first use. ``drop``: the step's ``dropout.Dropout``, whose masks,
    dropped activations and their gradients (fresh arrays every step) are kept as they are.
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
    spec = NetSpec(net.n_layers, net.hidden_activations, net.output, net.loss, net.leak, net.l1, net.l2,
                   net.bias, net.grad_scale == "sum", drop.keep if drop is not None else ())
    if drop is not None:
        for l, arrays in enumerate(zip(drop.masks, drop.dropped, drop.da_drop), start=1):
            if arrays[0] is not None:
                v.update(zip((f"mask{l}", f"a{l}_drop", f"da{l}_drop"), arrays))

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
        f = net.output if l == L else net.activations[l - 1]
        b = f" + b{l}" if net.bias else ""
        trace.add(TraceStep("forward", f"z{l}", v[f"z{l}"], f"z{l} = {net.fed(l)} @ W{l}{b}",
                            (net.fed(l), f"W{l}") + ((f"b{l}",) if net.bias else ()), l,
                            explain_z(v, l, net.fed(l))))
        trace.add(TraceStep("forward", f"a{l}", v[f"a{l}"], f"a{l} = {f}(z{l})",
                            (f"z{l}",), l, _explain_a(v, l, f, net.leak)))
        if net.dropped(l):
            trace.add(TraceStep("forward", f"a{l}_drop", v[f"a{l}_drop"],
                                f"a{l}_drop = a{l} * mask{l} / keep,  keep = 1 - rate = {net.keep[l - 1]:g}",
                                (f"a{l}", f"mask{l}"), l, _explain_masked(v, f"a{l}_drop", f"a{l}", l, net.keep[l - 1])))

    trace.add(TraceStep("loss", "loss", v["loss"], _loss_formula(net, L), (f"a{L}", "Y"), None,
                        _explain_loss(v, net, L)))

    for l in range(L, 0, -1):
        if l == L:
            trace.add(TraceStep("backward", f"dz{L}", v[f"dz{L}"], _output_delta_formula(net, L),
                                (f"a{L}", "Y", f"z{L}"), L, _explain_output_delta(v, net, L)))
        else:
            f = net.activations[l - 1]
            trace.add(TraceStep("backward", f"dz{l}", v[f"dz{l}"],
                                f"dz{l} = da{l} * {f}'(z{l})", (f"da{l}", f"z{l}", f"a{l}"), l,
                                _explain_hidden_delta(v, l, f, net.leak)))
        trace.add(TraceStep("backward", f"dW{l}", v[f"dW{l}"], _dW_formula(net, l),
                            (net.fed(l), f"dz{l}", f"W{l}"), l, _explain_dW(v, net, l)))
        if net.bias:
            trace.add(TraceStep("backward", f"db{l}", v[f"db{l}"], f"db{l} = sum(dz{l}, axis=0)",
                                (f"dz{l}",), l, _explain_db(v, l)))
        if l > 1:
            da = f"da{l - 1}_drop" if net.dropped(l - 1) else f"da{l - 1}"
            trace.add(TraceStep("backward", da, v[da], f"{da} = dz{l} @ W{l}.T",
                                (f"dz{l}", f"W{l}"), l - 1, _explain_da(v, l, da)))
        if l > 1 and net.dropped(l - 1):  # the gradient goes back through the same mask
            k = l - 1
            trace.add(TraceStep("backward", f"da{k}", v[f"da{k}"], f"da{k} = da{k}_drop * mask{k} / keep",
                                (f"da{k}_drop", f"mask{k}"), k, _explain_masked(v, f"da{k}", f"da{k}_drop", k, net.keep[k - 1])))


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
    n = "" if net.summed else " / n"
    if delta_is_residual(net.output, net.loss):
        return f"dz{L} = (a{L} - Y){n}"
    if net.output == "sigmoid":
        return f"dz{L} = (a{L} - Y){n} * a{L}*(1-a{L})"
    return f"dz{L} = a{L} * (g - rowsum(g * a{L})),  g = (a{L} - Y){n}"


def _dW_formula(net, l: int) -> str:
    s = f"dW{l} = {net.fed(l)}.T @ dz{l}"
    if net.l2:
        s += f" + (l2{net.per_n}) * W{l}"
    if net.l1:
        s += f" + (l1{net.per_n}) * sign(W{l})"
    return s


# ----- explanations (closures over the recorded values) ---------------------------------------
# Each writes "lhs = symbolic = numeric = result"; ``equation`` picks the digits (see arith).
def explain_z(v, l, fed: str | None = None):
    """z{l}[i,j] from what the layer reads: ``fed`` (a{l-1}, or a{l-1}_drop after dropout)."""
    fed = fed or f"a{l - 1}"

    def explain(ix):
        i, j = ix
        a, W, b = v[fed], v[f"W{l}"], v.get(f"b{l}")
        s, terms = written_sum(a.shape[1], lambda k: f"{fed}{idx(i, k)}*W{l}{idx(k, j)}",
                               lambda k, d: f"{num(a[i, k], d)}*{opnd(W[k, j], d)}",
                               lambda ks: _dot(a[i, ks], W[ks, j]))
        if b is None:  # a network without biases
            return f"z{l}{idx(i, j)} = {s} = " + equation(terms, v[f"z{l}"][i, j])
        return (f"z{l}{idx(i, j)} = {s} + b{l}[{j}] = "
                + equation(lambda d: f"{terms(d)} + {opnd(b[j], d)}", v[f"z{l}"][i, j]))
    return explain


def _explain_a(v, l, f, leak):
    def explain(ix):
        i, j = ix
        z, a = v[f"z{l}"], v[f"a{l}"]
        zz, head = z[i, j], f"a{l}{idx(i, j)} = {f}(z{l}{idx(i, j)})"
        if f == "softmax":  # over the row
            row = z[i]
            s, terms = written_sum(row.size, lambda k: f"exp(z{l}{idx(i, k)})", lambda k, d: f"exp({num(row[k], d)})",
                                   lambda ks: float(np.exp(_f64(row[ks])).sum()))
            return (f"{head} = exp(z{l}{idx(i, j)}) / ({s}) = "
                    + equation(lambda d: f"exp({num(zz, d)}) / ({terms(d)})", a[i, j]))
        body = {"sigmoid": lambda d: f"1/(1+exp(-{opnd(zz, d)}))",
                "tanh": lambda d: f"tanh({num(zz, d)})",
                "relu": lambda d: f"max(0, {num(zz, d)})",
                "leaky_relu": lambda d: num(zz, d) if zz > 0 else f"{num(leak, d)}*{opnd(zz, d)}",
                "linear": lambda d: num(zz, d)}[f]
        return f"{head} = {equation(body, a[i, j])}"
    return explain


def _loss_terms(v, net, L):
    """The loss formula as text, the cells it sums over, term(c, d): cell c's numbers at d digits,
    and value(c): cell c's exact term."""
    A, Y, Z = v[f"a{L}"], v["Y"], v[f"z{L}"]
    if net.loss == "mse":
        cells = list(np.ndindex(A.shape))
        return ("(1/(2n)) * sum((a - Y)**2)", cells,
                lambda c, d: f"({num(A[c], d)}-{opnd(Y[c], d)})**2", lambda c: (float(A[c]) - float(Y[c])) ** 2)
    if net.output == "softmax":
        cells = list(zip(*np.nonzero(Y)))
        return ("-(1/n) * sum(Y * log(a))", cells,
                lambda c, d: f"log({num(A[c], d)})" if Y[c] == 1 else f"{num(Y[c], d)}*log({num(A[c], d)})",
                lambda c: float(Y[c]) * math.log(A[c]))
    # 1-a from the logit, not by subtraction: a near 1 would leave too few digits of 1-a.
    p, q = np.exp(log_sigmoid(_f64(Z))), np.exp(log_sigmoid(-_f64(Z)))
    cells = list(np.ndindex(A.shape))

    def term(c, d):
        if Y[c] in (0, 1):
            return f"log({num(p[c] if Y[c] == 1 else q[c], d)})"
        return f"({num(Y[c], d)}*log({num(p[c], d)})+{opnd(1 - Y[c], d)}*log({num(q[c], d)}))"
    return ("-(1/n) * sum(Y*log(a) + (1-Y)*log(1-a))", cells, term,
            lambda c: float(Y[c]) * math.log(p[c]) + (1 - float(Y[c])) * math.log(q[c]))


def _explain_loss(v, net, L):
    def explain(_ix):
        n = v["a0"].shape[0]
        sym, cells, term, value = _loss_terms(v, net, L)
        # The symbolic text is the formula itself, so the terms' symbols go unused.
        _, terms = written_sum(len(cells), str, lambda k, d: term(cells[k], d),
                               lambda ks: math.fsum(value(c) for c in cells[ks]))
        factor = f"(1/{2 * n})" if net.loss == "mse" else f"-(1/{n})"
        w = _f64(np.concatenate([v[f"W{l}"].ravel() for l in range(1, L + 1)])) if net.l1 or net.l2 else None
        sq = float(np.vdot(w, w)) if net.l2 else 0.0
        ab = float(np.abs(w).sum()) if net.l1 else 0.0

        def numeric(d):
            text = f"{factor} * ({terms(d)})"
            if net.l2:
                text += f" + ({num(net.l2, d)}/(2*{n})) * {num(sq, d)}"
            if net.l1:
                text += f" + ({num(net.l1, d)}/{n}) * {num(ab, d)}"
            return text
        count = len(cells)
        terms_note = f"  ({count} terms, {HEAD}..{count - TAIL - 1} summed as one)" if count > MAX_TERMS else ""
        return f"loss = {sym}{terms_note} = {equation(numeric, v['loss'])}"
    return explain


def _explain_output_delta(v, net, L):
    def explain(ix):
        i, k = ix
        A, Y, dz, n = v[f"a{L}"], v["Y"], v[f"dz{L}"], v["a0"].shape[0]
        a, y = A[i, k], Y[i, k]
        head = f"dz{L}{idx(i, k)}"
        per_n, per_n_value = (" / n", f" / {n}") if not net.summed else ("", "")
        base = f"(a{L}{idx(i, k)} - Y{idx(i, k)}){per_n}"

        def base_n(d):
            return f"({num(a, d)} - {opnd(y, d)}){per_n_value}"
        if delta_is_residual(net.output, net.loss):
            return f"{head} = {base} = {equation(base_n, dz[i, k])}"
        if net.output == "sigmoid":
            return (f"{head} = {base} * a*(1-a) = "
                    + equation(lambda d: f"{base_n(d)} * {num(a, d)}*(1-{opnd(a, d)})", dz[i, k]))
        g = (A[i] - Y[i]) / (1 if net.summed else n)
        dot = float(np.dot(g, A[i]))
        return (f"{head} = a{L}{idx(i, k)} * (g[{k}] - sum_j g[j]*a{L}[{i},j]),  g = (a{L}[{i}] - Y[{i}]){per_n}  = "
                + equation(lambda d: f"{num(a, d)} * ({num(g[k], d)} - {opnd(dot, d)})", dz[i, k]))
    return explain


def _explain_masked(v, name: str, source: str, l: int, keep: float):
    """Inverted dropout, element-wise: ``name = source * mask / keep`` (forward and backward)."""
    def explain(ix):
        i, j = ix
        x, m = v[source][i, j], v[f"mask{l}"][i, j]
        return (f"{name}{idx(i, j)} = {source}{idx(i, j)} * mask{l}{idx(i, j)} / keep = "
                + equation(lambda d: f"{opnd(x, d)} * {m:g} / {num(keep, d)}", v[name][i, j]))
    return explain


def _explain_hidden_delta(v, l, f, leak):
    def explain(ix):
        i, j = ix
        da, z, a, dz = v[f"da{l}"][i, j], v[f"z{l}"][i, j], v[f"a{l}"][i, j], v[f"dz{l}"][i, j]
        rule = f"{f}' = {DERIVATIVE_FORMULA[f]}"
        if f in ("relu", "leaky_relu"):
            rule += f", z{l}{idx(i, j)} {'>' if z > 0 else '<='} 0"
        slope = {"sigmoid": lambda d: f"{num(a, d)}*(1-{opnd(a, d)})",
                 "tanh": lambda d: f"(1-{opnd(a, d)}**2)",  # parenthesised: it is one factor
                 "relu": lambda d: "1" if z > 0 else "0",
                 "leaky_relu": lambda d: "1" if z > 0 else num(leak, d),
                 "linear": lambda d: "1"}[f]
        return (f"dz{l}{idx(i, j)} = da{l}{idx(i, j)} * {f}'(z{l}{idx(i, j)}),  {rule}  = "
                + equation(lambda d: f"{opnd(da, d)} * {slope(d)}", dz))
    return explain


def _explain_dW(v, net, l):
    fed = net.fed(l)

    def explain(ix):
        p, q = ix
        a, dz, W = v[fed], v[f"dz{l}"], v[f"W{l}"]
        n = a.shape[0]
        s, terms = written_sum(n, lambda r: f"{fed}{idx(r, p)}*dz{l}{idx(r, q)}",
                               lambda r, d: f"{num(a[r, p], d)}*{opnd(dz[r, q], d)}",
                               lambda rs: _dot(a[rs, p], dz[rs, q]))
        per_n_value = "" if net.summed else f"/{n}"
        if net.l2:
            s += f" + (l2{net.per_n})*W{l}{idx(p, q)}"
        if net.l1:
            s += f" + (l1{net.per_n})*sign(W{l}{idx(p, q)})"

        def numeric(d):
            text = terms(d)
            if net.l2:
                text += f" + ({num(net.l2, d)}{per_n_value})*{opnd(W[p, q], d)}"
            if net.l1:
                text += f" + ({num(net.l1, d)}{per_n_value})*{opnd(np.sign(W[p, q]))}"
            return text
        return f"dW{l}{idx(p, q)} = {s} = {equation(numeric, v[f'dW{l}'][p, q])}"
    return explain


def _explain_db(v, l):
    def explain(ix):
        (q,) = ix
        dz = v[f"dz{l}"]
        s, terms = written_sum(dz.shape[0], lambda r: f"dz{l}{idx(r, q)}", lambda r, d: opnd(dz[r, q], d),
                               lambda rs: float(_f64(dz[rs, q]).sum()))
        return f"db{l}[{q}] = {s} = {equation(terms, v[f'db{l}'][q])}"
    return explain


def _explain_da(v, l, da: str):
    def explain(ix):
        i, p = ix
        dz, W = v[f"dz{l}"], v[f"W{l}"]
        s, terms = written_sum(dz.shape[1], lambda k: f"dz{l}{idx(i, k)}*W{l}{idx(p, k)}",
                               lambda k, d: f"{opnd(dz[i, k], d)}*{opnd(W[p, k], d)}",
                               lambda ks: _dot(dz[i, ks], W[p, ks]))
        return f"{da}{idx(i, p)} = {s} = {equation(terms, v[da][i, p])}"
    return explain
