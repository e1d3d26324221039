"""The perceptron's own trace stages: z = x @ w + b, y_hat = step(z), error = y - y_hat, then the
rule w_new = w + lr * error * x (averaged over the batch). The network trains it as a step output
with the perceptron loss and plain SGD (see losses.py); these stages show the rule as taught,
not the gradient descent it is written as. Explanations follow arith's rule: evaluated as
printed, the numbers give the stated result."""
from __future__ import annotations

import numpy as np

from .arith import digits_to_show, equation, num, opnd
from .trace import TraceStep, _f64, explain_z, idx, written_sum


def add_stages(trace) -> None:
    """z1, a1 (y_hat) and the error, for a network with no hidden layer and one step unit."""
    v = trace._values
    trace.add_operand("error", v["Y"] - v["a1"])
    trace.add(TraceStep("forward", "z1", v["z1"], "z1 = a0 @ W1 + b1", ("a0", "W1", "b1"), 1, explain_z(v, 1)))
    trace.add(TraceStep("forward", "a1", v["a1"], "y_hat = a1 = step(z1) = 1 if z1 >= 0 else 0", ("z1",), 1,
                        _explain_step(v)))
    trace.add(TraceStep("loss", "error", v["error"], "error = Y - y_hat", ("Y", "a1"), None, _explain_error(v)))


def add_update_stages(trace, lr: float, after_W: np.ndarray, after_b: np.ndarray) -> None:
    """W1_new = W1 + lr * a0.T @ error / n and b1_new = b1 + lr * sum(error) / n."""
    trace.add_operand("lr", lr)
    v = trace._values
    trace.add(TraceStep("update", "W1_new", after_W, "W1_new = W1 + lr * a0.T @ error / n", ("W1", "a0", "error"),
                        1, _explain_update(v, lr, after_W, "W")))
    trace.add(TraceStep("update", "b1_new", after_b, "b1_new = b1 + lr * sum(error, axis=0) / n", ("b1", "error"),
                        1, _explain_update(v, lr, after_b, "b")))


def _explain_step(v):
    def explain(ix):
        z = v["z1"][ix]
        return (f"y_hat = a1{idx(*ix)} = step(z1{idx(*ix)}) = "
                + equation(lambda d: f"step({num(z, d)})", v["a1"][ix]))
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
        if kind == "W":
            p, q = ix
            old, head = v["W1"][p, q], f"W1_new{idx(p, q)} = W1{idx(p, q)}"
            sym, terms = written_sum(n, lambda r: f"error{idx(r, q)}*a0{idx(r, p)}",
                                     lambda r, d: f"{int(err[r, q])}*{opnd(x[r, p], d)}",
                                     lambda rs: float(np.dot(_f64(err[rs, q]), _f64(x[rs, p]))))
        else:
            (q,) = ix
            old, head = v["b1"][q], f"b1_new[{q}] = b1[{q}]"
            sym, terms = written_sum(n, lambda r: f"error{idx(r, q)}", lambda r, d: str(int(err[r, q])),
                                     lambda rs: float(_f64(err[rs, q]).sum()))
        new = after[ix]
        digits = digits_to_show(new, new - old)
        if n == 1:  # the rule as taught: w += lr * (y - y_hat) * x
            return f"{head} + lr * {sym} = " + equation(lambda d: f"{opnd(old, d)} + {opnd(lr, d)} * {terms(d)}",
                                                       new, digits)
        return f"{head} + lr * ({sym}) / {n} = " + equation(
            lambda d: f"{opnd(old, d)} + {opnd(lr, d)} * ({terms(d)}) / {n}", new, digits)
    return explain
