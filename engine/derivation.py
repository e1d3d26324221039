"""The output layer's delta derived by the chain rule, with one recorded row's numbers.

The backward pass starts from dz_L = dL/dz_L, which the engine computes in one go. For one
cell (i, j) this module writes out the chain rule behind it:

    dz_L[i,j] = sum_k dL/da_L[i,k] * da_L[i,k]/dz_L[i,j]

as lines: dL/da_L for each k that takes part, the output activation's Jacobian, their product
and, where it holds, the tutorials' shortcut (a_L - Y)/n. Softmax couples the units of a row,
so every k takes part; sigmoid and linear act unit by unit, so only k = j does.

Every line reads ``name = symbolic = numeric = result``. The numeric expression is Python,
written with the operands' exact values (shortest round-trip form), and the result is that
expression's value rounded for display, so evaluating what is printed gives what is stated.
"""
from __future__ import annotations

from .arith import RESULT_DIGITS, exact, exact_opnd, num
from .losses import delta_is_residual
from .trace import Trace, normalise_index


def output_layer(trace: Trace) -> int:
    """L, the number of the output layer."""
    return len(trace.config["sizes"]) - 1


def output_delta_name(trace: Trace) -> str:
    """The name of the output delta's stage, e.g. "dz2"."""
    return f"dz{output_layer(trace)}"


def line(name: str, symbolic: str, numeric: str, value: float) -> str:
    return f"{name} = {symbolic} = {numeric} = {num(value + 0.0, RESULT_DIGITS)}"  # + 0.0: no "-0"


def derive_output_delta(trace: Trace, index) -> list[str]:
    """The chain rule for dz_L[i,j] with the trace's numbers, one ``name = symbolic = numeric
    = result`` line per quantity: dL/da_L[i,k] for each k taking part, da_L[i,k]/dz_L[i,j],
    the product summed over k and, when ``delta_is_residual``, (a_L - Y)/n.

    Raises IndexError for a cell outside dz_L and ZeroDivisionError where dL/da_L divides by
    an output that is exactly 0 (or 1 for sigmoid) in floating point.
    """
    L = output_layer(trace)
    name = output_delta_name(trace)
    i, j = normalise_index(trace[name], index, name)
    output, loss, n = trace.config["output"], trace.config["loss"], trace.n
    a, Y = trace[f"a{L}"][i].tolist(), trace["Y"][i].tolist()
    ks = range(len(a)) if output == "softmax" else (j,)
    a_, y_ = (lambda k: f"a{L}[{i},{k}]"), (lambda k: f"Y[{i},{k}]")
    dL = lambda k: f"dL/da{L}[{i},{k}]"  # noqa: E731  (k: a unit's number, or "k" in the sum)
    da = lambda k: f"da{L}[{i},{k}]/dz{L}[{i},{j}]"  # noqa: E731

    grads = [_loss_gradient(loss, output, a[k], Y[k], n, a_(k), y_(k)) for k in ks]
    jacobian = [_jacobian(output, a[k], a[j], k, j, a_(k), a_(j), f"z{L}[{i},{j}]") for k in ks]
    pairs = [(grad[2], jac[2]) for grad, jac in zip(grads, jacobian)]  # the values
    total = 0.0
    for g, d in pairs:  # left to right, as Python sums the printed terms
        total = total + g * d
    symbolic = f"{dL(j)} * {da(j)}" if len(ks) == 1 else f"sum_k {dL('k')} * {da('k')}"
    numeric = " + ".join(f"{exact_opnd(g)}*{exact_opnd(d)}" for g, d in pairs)
    lines = [line(dL(k), *grad) for k, grad in zip(ks, grads)]
    lines += [line(da(k), *jac) for k, jac in zip(ks, jacobian)]
    lines.append(line(f"{name}[{i},{j}]", symbolic, numeric, total))
    if delta_is_residual(output, loss):
        lines.append(line(f"{name}[{i},{j}]", f"({a_(j)} - {y_(j)}) / n",
                          f"({exact(a[j])} - {exact_opnd(Y[j])}) / {n}", (a[j] - Y[j]) / n))
    return lines


def _loss_gradient(loss: str, output: str, a: float, y: float, n: int, a_name: str, y_name: str):
    """dL/da for one output unit: (symbolic, numeric, value)."""
    if loss == "mse":  # L = (1/(2n)) sum (a - Y)**2
        return f"({a_name} - {y_name}) / n", f"({exact(a)} - {exact_opnd(y)}) / {n}", (a - y) / n
    if output == "softmax":  # L = -(1/n) sum Y log a
        if a == 0.0:
            raise ZeroDivisionError(f"{a_name} is exactly 0 in floating point: -Y/(n*a) divides by zero")
        return f"-{y_name} / (n*{a_name})", f"-{exact_opnd(y)} / ({n}*{exact_opnd(a)})", -y / (n * a)
    # Binary cross-entropy per unit: L = -(1/n) sum Y log a + (1 - Y) log(1 - a)
    if a in (0.0, 1.0):
        raise ZeroDivisionError(f"{a_name} is exactly {a:g} in floating point: "
                                f"-(Y/a - (1-Y)/(1-a))/n divides by zero")
    return (f"-({y_name}/{a_name} - (1 - {y_name})/(1 - {a_name})) / n",
            f"-({exact_opnd(y)}/{exact_opnd(a)} - (1 - {exact_opnd(y)})/(1 - {exact_opnd(a)})) / {n}",
            -(y / a - (1 - y) / (1 - a)) / n)


def _jacobian(output: str, ak: float, aj: float, k: int, j: int, ak_name: str, aj_name: str, zj_name: str):
    """da_k/dz_j for one pair of output units: (symbolic, numeric, value)."""
    if output == "softmax":  # a_k * (delta_kj - a_j), delta_kj = 1 if k == j else 0
        delta = int(k == j)
        return (f"{ak_name}*(δ({k},{j}) - {aj_name})", f"{exact_opnd(ak)}*({delta} - {exact_opnd(aj)})",
                ak * (delta - aj))
    if output == "sigmoid":
        return f"{aj_name}*(1 - {aj_name})", f"{exact_opnd(aj)}*(1 - {exact_opnd(aj)})", aj * (1 - aj)
    return f"linear'({zj_name})", "1", 1.0
