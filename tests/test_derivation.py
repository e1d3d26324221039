"""The output delta derived by the chain rule: every printed line evaluates to what it states,
the pieces match finite differences of the loss and the activation, and the product is the
recorded dz_L."""
from decimal import Decimal

import numpy as np
import pytest

import engine
from engine.derivation import derive_output_delta

PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("sigmoid", "mse"),
         ("softmax", "mse"), ("linear", "mse")]
CELLS = [(0, 0), (1, 2), (4, 1), (2, 0)]
X = np.random.default_rng(0).normal(size=(5, 2))
LABELS = np.array([0, 1, 2, 1, 0])


def traced(output, loss, dtype="float64"):
    net = engine.Network([2, 4, 3], activation="tanh", output=output, loss=loss, seed=1, dtype=dtype)
    return net.trace(X, LABELS)


def parts(line):
    """name, symbolic, numeric expression, stated result."""
    name, *middle, numeric, stated = line.split(" = ")
    return name, " = ".join(middle), numeric, stated


def evaluate(numeric):
    return eval(numeric, {"__builtins__": {}})  # numbers and operators only


def assert_evaluates(text):
    """The numeric expression, evaluated as printed, is the stated result within half a unit
    in its last printed digit."""
    _, _, numeric, stated = parts(text)
    half_unit = 0.5 * 10.0 ** Decimal(stated).as_tuple().exponent
    assert abs(evaluate(numeric) - float(stated)) <= half_unit, text


def by_name(lines, prefix):
    return [parts(s) for s in lines if s.startswith(prefix)]


def loss_of_a(output, loss, a, Y):
    """The data loss as a function of the output activations (the README's conventions)."""
    n = a.shape[0]
    if loss == "mse":
        return np.sum((a - Y) ** 2) / (2 * n)
    if output == "softmax":
        return -np.sum(Y * np.log(a)) / n
    return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / n


def activation(output, z):
    if output == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    return 1 / (1 + np.exp(-z)) if output == "sigmoid" else z.copy()


@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("cell", CELLS)
def test_every_line_evaluates_to_its_stated_result(output, loss, cell):
    for text in derive_output_delta(traced(output, loss), cell):
        assert_evaluates(text)


@pytest.mark.parametrize("output,loss", PAIRS)
def test_float32_values_are_printed_exactly_too(output, loss):
    """float32 operands widen to float64 exactly: the lines still evaluate to their results,
    and the product agrees with the float32 dz to float32 precision."""
    trace = traced(output, loss, "float32")
    lines = derive_output_delta(trace, (1, 2))
    for text in lines:
        assert_evaluates(text)
    product = evaluate(by_name(lines, "dz2[1,2]")[0][2])
    assert product == pytest.approx(float(trace["dz2"][1, 2]), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("cell", CELLS)
def test_the_product_is_the_recorded_delta(output, loss, cell):
    trace = traced(output, loss)
    i, j = cell
    lines = derive_output_delta(trace, cell)
    deltas = by_name(lines, f"dz2[{i},{j}]")
    product = evaluate(deltas[0][2])
    assert product == pytest.approx(trace["dz2"][i, j], abs=1e-12, rel=0)
    shortcut = (trace["a2"][i, j] - trace["Y"][i, j]) / trace.n
    if loss == "cross_entropy" or output == "linear":  # the tutorials' simplification holds
        assert len(deltas) == 2 and deltas[1][1] == f"(a2[{i},{j}] - Y[{i},{j}]) / n"
        assert evaluate(deltas[1][2]) == pytest.approx(shortcut, abs=1e-15, rel=0)
        assert product == pytest.approx(shortcut, abs=1e-12, rel=0)
    else:  # squared error through a squashing output: no shortcut line, and none would be right
        assert len(deltas) == 1
        assert abs(product - shortcut) > 1e-3


@pytest.mark.parametrize("output,loss", PAIRS)
def test_loss_gradient_and_jacobian_match_finite_differences(output, loss):
    trace = traced(output, loss)
    i, j = 1, 2
    a, Y, z, h = trace["a2"].copy(), trace["Y"], trace["z2"][i], 1e-6
    lines = derive_output_delta(trace, (i, j))
    units = range(3) if output == "softmax" else [j]
    gradients = by_name(lines, "dL/da2")
    jacobian = by_name(lines, "da2")
    assert [g[0] for g in gradients] == [f"dL/da2[{i},{k}]" for k in units]
    assert [d[0] for d in jacobian] == [f"da2[{i},{k}]/dz2[{i},{j}]" for k in units]
    for k, gradient, column in zip(units, gradients, jacobian):
        up, down = a.copy(), a.copy()
        up[i, k] += h
        down[i, k] -= h
        numeric = (loss_of_a(output, loss, up, Y) - loss_of_a(output, loss, down, Y)) / (2 * h)
        assert evaluate(gradient[2]) == pytest.approx(numeric, rel=1e-6, abs=1e-9)
        zu, zd = z.copy(), z.copy()
        zu[j] += h
        zd[j] -= h
        numeric = (activation(output, zu)[k] - activation(output, zd)[k]) / (2 * h)
        assert evaluate(column[2]) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_the_tutorials_single_sample_softmax_numbers():
    """Logits (2, 1, 0.1) with the first class true: softmax gives (0.659, 0.242, 0.099), so
    dL/da_0 = -1/0.659 and dz_0 = 0.659 - 1 (the tutorials' three-digit figures)."""
    net = engine.Network([1, 3], output="softmax", loss="cross_entropy")
    net.layers[0].W[...] = [[2.0, 1.0, 0.1]]
    net.layers[0].b[...] = 0.0
    lines = derive_output_delta(net.trace(np.array([[1.0]]), np.array([0])), (0, 0))
    (gradient,) = [g for g in by_name(lines, "dL/da1[0,0]")]
    assert gradient[2].startswith("-1 / (1*0.659")
    assert float(gradient[3]) == pytest.approx(-1 / 0.659, abs=2e-3)
    assert [d[0] for d in by_name(lines, "da1")] == [f"da1[0,{k}]/dz1[0,0]" for k in range(3)]
    for _, _, _, stated in by_name(lines, "dz1[0,0]"):  # the product, then (a - Y)/n
        assert float(stated) == pytest.approx(0.659 - 1, abs=5e-4)


def test_saturated_output_and_bad_cells_are_refused_with_the_cell_named():
    net = engine.Network([2, 1], output="sigmoid", loss="cross_entropy")
    net.layers[0].W[...] = [[60.0], [0.0]]  # sigmoid(60) is exactly 1.0 in float64
    trace = net.trace(np.array([[1.0, 0.0]]), np.array([1]))
    with pytest.raises(ZeroDivisionError, match=r"a1\[0,0\] is exactly 1"):
        derive_output_delta(trace, (0, 0))
    with pytest.raises(IndexError, match="dz1"):
        derive_output_delta(trace, (0, 3))
