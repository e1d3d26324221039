"""The perceptron's own trace stages: z = x @ w + b, y_hat = step(z), error = y - y_hat, then the
rule w_new = w + lr * error * x (averaged over the batch). The network trains it as a step output
with the perceptron loss and plain SGD (see losses.py); these stages show the rule as taught,
not the gradient descent it is written as. Numbers are printed with every digit (``repr``), so
an explanation evaluated as printed gives the stated result."""
from __future__ import annotations

import numpy as np

from .trace import TraceStep, idx, join_sum, pick


def exact(x: float) -> str:
    """A number with every digit, negatives in parentheses (it follows an operator)."""
    s = repr(float(x))
    return f"({s})" if s.startswith("-") else s


def add_stages(trace) -> None:
    """z1, a1 (y_hat) and the error, for a network with no hidden layer and one step unit."""
    v = trace._values
    v["error"] = v["Y"] - v["a1"]
    trace.add(TraceStep("forward", "z1", v["z1"], "z1 = a0 @ W1 + b1", ("a0", "W1", "b1"), 1, _explain_z(v)))
    trace.add(TraceStep("forward", "a1", v["a1"], "y_hat = a1 = step(z1) = 1 if z1 >= 0 else 0", ("z1",), 1,
                        _explain_step(v)))
    trace.add(TraceStep("loss", "error", v["error"], "error = Y - y_hat", ("Y", "a1"), None, _explain_error(v)))


def add_update_stages(trace, lr: float, after_W: np.ndarray, after_b: np.ndarray) -> None:
    """W1_new = W1 + lr * a0.T @ error / n and b1_new = b1 + lr * sum(error) / n."""
    v = trace._values
    v["lr"] = np.array(lr)
    trace.add(TraceStep("update", "W1_new", after_W, "W1_new = W1 + lr * a0.T @ error / n", ("W1", "a0", "error"),
                        1, _explain_update(v, lr, after_W, "W")))
    trace.add(TraceStep("update", "b1_new", after_b, "b1_new = b1 + lr * sum(error, axis=0) / n", ("b1", "error"),
                        1, _explain_update(v, lr, after_b, "b")))


def _explain_z(v):
    def explain(ix):
        i, j = ix
        a, W, b = v["a0"], v["W1"], v["b1"]
        ks = pick(a.shape[1])
        s, n_ = join_sum([f"a0{idx(i, k)}*W1{idx(k, j)}" for k in ks],
                         [f"{exact(a[i, k])}*{exact(W[k, j])}" for k in ks], a.shape[1])
        return f"z1{idx(i, j)} = {s} + b1[{j}] = {n_} + {exact(b[j])} = {float(v['z1'][i, j])!r}"
    return explain


def _explain_step(v):
    def explain(ix):
        z = v["z1"][ix]
        return f"y_hat = a1{idx(*ix)} = step(z1{idx(*ix)}) = (1 if {exact(z)} >= 0 else 0) = {int(v['a1'][ix])}"
    return explain


def _explain_error(v):
    def explain(ix):
        return (f"error{idx(*ix)} = Y{idx(*ix)} - a1{idx(*ix)} = {int(v['Y'][ix])} - {int(v['a1'][ix])} "
                f"= {int(v['error'][ix])}")
    return explain


def _explain_update(v, lr, after, kind):
    def explain(ix):
        err, x = v["error"], v["a0"]
        n = err.shape[0]
        rows = pick(n)
        if kind == "W":
            p, q = ix
            old, head = v["W1"][p, q], f"W1_new{idx(p, q)} = W1{idx(p, q)}"
            terms = [f"{int(err[r, q])}*{exact(x[r, p])}" for r in rows]
            syms = [f"error{idx(r, q)}*a0{idx(r, p)}" for r in rows]
        else:
            (q,) = ix
            old, head = v["b1"][q], f"b1_new[{q}] = b1[{q}]"
            terms = [str(int(err[r, q])) for r in rows]
            syms = [f"error{idx(r, q)}" for r in rows]
        new = after[ix]
        if n == 1:  # the rule as taught: w += lr * (y - y_hat) * x
            return f"{head} + lr * {syms[0]} = {exact(old)} + {exact(lr)} * {terms[0]} = {float(new)!r}"
        s, n_ = join_sum(syms, terms, n)
        return f"{head} + lr * ({s}) / {n} = {exact(old)} + {exact(lr)} * ({n_}) / {n} = {float(new)!r}"
    return explain
