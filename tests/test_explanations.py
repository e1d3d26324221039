"""Every explanation's arithmetic, evaluated exactly as printed, gives the result it states.

A line reads "lhs = symbolic = numeric = result". The numeric part (the segment before the final
" = ") is evaluated by Python itself with a few math functions and must land within half a unit
in the last printed digit of the result; the result of a stage's explanation must be the recorded
value to the same precision. Checked for every cell of every stage of real traced training steps
over every hidden activation, every output/loss pair, L1/L2, both clippings, all five optimizers
and learning rates down to 1e-5.
"""
import math

import numpy as np
import pytest

import engine
from engine.activations import HIDDEN_ACTIVATIONS
from engine.losses import COMPATIBLE_OUTPUTS
from engine.optimizers import OPTIMIZERS
from engine.trainer import Trainer

NAMESPACE = {"__builtins__": {}, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
             "max": max, "min": min, "abs": abs, "step": lambda z: 1 if z >= 0 else 0}
PAIRS = [(out, loss) for loss, outs in COMPATIBLE_OUTPUTS.items() for out in outs]

# (activation, (output, loss), optimizer, lr, l1, l2, clipping, dtype): each row a network trained
# a few steps; together the rows cover every value of every column.
CASES = [
    ("sigmoid", PAIRS[0], "sgd", 1e-3, 0.0, 0.0, {}, "float64"),
    ("tanh", PAIRS[1], "momentum", 1e-5, 0.01, 0.0, {"clip_norm": 0.05}, "float64"),
    ("relu", PAIRS[2], "nesterov", 0.1, 0.0, 0.01, {"clip_value": 0.002}, "float64"),
    ("leaky_relu", PAIRS[3], "adam", 1e-3, 0.01, 0.01, {"clip_norm": 0.05, "clip_value": 0.01}, "float64"),
    ("linear", PAIRS[4], "rmsprop", 1e-5, 0.0, 0.01, {}, "float64"),
    ("tanh", PAIRS[0], "adam", 1e-5, 0.0, 0.0, {"clip_value": 0.002}, "float64"),
    ("relu", PAIRS[1], "sgd", 1e-5, 0.01, 0.01, {"clip_norm": 0.05}, "float64"),
    ("sigmoid", PAIRS[2], "rmsprop", 1e-3, 0.01, 0.0, {"clip_norm": 0.05}, "float32"),
    ("leaky_relu", PAIRS[4], "momentum", 0.1, 0.0, 0.0, {}, "float32"),
    ("linear", PAIRS[3], "nesterov", 1e-3, 0.01, 0.01, {"clip_value": 0.002}, "float64"),
    ("linear", PAIRS[5], "sgd", 0.1, 0.0, 0.0, {}, "float64"),  # the perceptron: one step unit, its own rule
]


def test_the_cases_cover_every_choice():
    assert {c[0] for c in CASES} == set(HIDDEN_ACTIVATIONS)
    assert {c[1] for c in CASES} == set(PAIRS)
    assert {c[2] for c in CASES} == set(OPTIMIZERS)
    assert {1e-3, 1e-5} <= {c[3] for c in CASES}
    assert any(c[4] for c in CASES) and any(c[5] for c in CASES)
    assert any("clip_norm" in c[6] for c in CASES) and any("clip_value" in c[6] for c in CASES)


def half_unit(text: str) -> float:
    """Half a unit in the last printed digit: "0.0123" -> 5e-5, "1.5e-05" -> 5e-7, "12" -> 0.5."""
    mantissa, _, exponent = text.partition("e")
    return 0.5 * 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2]))


def numeric_and_result(line: str) -> tuple[str, str]:
    parts = line.split(" = ")
    assert len(parts) >= 4, f"not 'lhs = symbolic = numeric = result': {line}"
    return parts[-2], parts[-1]


def check_line(line: str) -> float:
    """The line's numeric part evaluates to its stated result; returns the stated result."""
    numeric, stated = numeric_and_result(line)
    got = eval(numeric, NAMESPACE)  # noqa: S307 - the engine's own text, checked as a student would
    # The slack is float64 rounding of the comparison itself, far below any printed digit.
    assert abs(got - float(stated)) <= half_unit(stated) * (1 + 1e-9), \
        f"{numeric} evaluates to {got!r}, not {stated}: {line}"
    return float(stated)


def traced(activation, pair, optimizer, lr, l1, l2, clipping, dtype="float64", steps=3, activations=None, dropout=()):
    output, loss = pair
    rng = np.random.default_rng(7)
    X = rng.normal(size=(24, 3))
    k = 1 if (output == "sigmoid" and loss == "cross_entropy") or loss == "perceptron" else 3
    y = rng.integers(0, max(k, 2), 24)
    sizes = [3, 1] if loss == "perceptron" else [3, 10, 4, k]  # the perceptron has no hidden layer
    net = engine.Network(sizes, activation=activation, output=output, loss=loss, l1=l1, l2=l2,
                         seed=3, dtype=dtype, activations=activations)
    trainer = Trainer(net, (X, y), optimizer=optimizer, lr=lr, batch_size=12, dropout=dropout, **clipping)
    for _ in range(steps):
        trainer.step()
    return trainer.step_traced()


def check_cell(trace, step, index) -> None:
    """Every line of the explanation of ``step``'s cell ``index`` evaluates to what it states,
    and the last one states the cell's value."""
    lines = trace.explain(step.name, index).splitlines()
    for line in lines:
        check_line(line)
    stated = lines[-1].rsplit(" = ", 1)[1]
    assert abs(float(step.value[index]) - float(stated)) <= half_unit(stated), (step.name, index, lines[-1])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1][0]}-{c[1][1]}-{c[2]}-{c[3]:g}-{c[7]}")
def test_every_explanation_evaluates_to_its_result(case):
    trace = traced(*case)
    phases = set()
    checked = 0
    for step in trace.steps:
        for index in np.ndindex(step.value.shape):
            check_cell(trace, step, index)
            checked += 1
        phases.add(step.phase)
    if case[1][1] == "perceptron":
        assert phases == {"forward", "loss", "update"} and checked >= 40  # 12 rows: z, y_hat, error; W, b
    else:
        assert phases == {"forward", "loss", "backward", "update"} and checked > 800


def test_a_net_with_a_different_activation_per_layer_explains_every_cell():
    trace = traced("linear", PAIRS[0], "adam", 1e-3, 0.0, 0.01, {}, activations=("relu", "sigmoid"))
    assert {s.formula for s in trace.steps} >= {"a1 = relu(z1)", "a2 = sigmoid(z2)", "dz1 = da1 * relu'(z1)",
                                                 "dz2 = da2 * sigmoid'(z2)"}
    for step in trace.steps:
        for index in np.ndindex(step.value.shape):
            check_cell(trace, step, index)


@pytest.mark.parametrize("case", [c for c in CASES[:5] + CASES[7:9]], ids=lambda c: f"{c[0]}-{c[1][0]}-{c[7]}")
def test_dropout_stages_evaluate_to_their_results(case):
    """With dropout on both hidden layers (a different rate each): a1_drop = a1 * mask1 / keep,
    z2 and dW2 from a1_drop, da1_drop = dz2 @ W2.T, da1 = da1_drop * mask1 / keep."""
    trace = traced(*case, dropout=(0.5, 0.3))
    for name in ("a1_drop", "a2_drop", "da1_drop", "da1", "da2_drop", "da2", "z2", "z3", "dW2", "dW3"):
        step = trace.step(name)
        for index in np.ndindex(step.value.shape):
            check_cell(trace, step, index)
    assert "mask1[0,0] / keep" in trace.explain("a1_drop", (0, 0))
    assert trace.explain("z2", (0, 0)).startswith("z2[0,0] = a1_drop[0,0]*W2[0,0]")


@pytest.mark.parametrize("case", [c for c in CASES if c[7] == "float64" and c[1][1] != "perceptron"],
                         ids=lambda c: f"{c[2]}-{c[3]:g}")
def test_the_update_shows_the_change_and_which_way_the_weight_moved(case):
    trace = traced(*case)
    for l in (1, 2, 3):
        before, after = trace[f"W{l}"], trace[f"W{l}_new"]
        for index in np.ndindex(after.shape):
            text = trace.explain(f"W{l}_new", index)
            *lines, last = text.splitlines()
            change = last.split(" + ")[1].split(" = ")[0]  # Δ, or momentum's velocity v
            assert last.startswith(f"W{l}_new") and any(line.startswith(f"{change} = ") for line in lines), text
            numeric, stated = numeric_and_result(last)
            printed_before = float(numeric.split(" + ")[0])
            # Printed before and after differ exactly when the weight moved, and in its direction.
            assert np.sign(float(stated) - printed_before) == np.sign(after[index] - before[index]), text


def test_a_clipped_gradient_is_named_and_used():
    trace = traced("tanh", PAIRS[0], "sgd", 0.1, 0.0, 0.0, {"clip_norm": 0.05})
    dW = trace["dW1"]
    norm = math.sqrt(sum(float(np.vdot(trace[f"d{k}{l}"], trace[f"d{k}{l}"])) for l in (1, 2, 3) for k in "Wb"))
    assert norm > 0.05  # so clipping scaled the gradient
    lines = trace.explain("W1_new", (0, 0)).splitlines()
    assert lines[0].startswith("g = clip(dW1[0,0]) = dW1[0,0] * clip_norm/|grad| = ")
    assert check_line(lines[0]) == pytest.approx(dW[0, 0] * 0.05 / norm, rel=1e-5)
    assert lines[1].startswith("Δ = -lr*g = ") and "dW1" not in lines[1]
    assert trace.step("W1_new").formula == "g = clip(dW1); W1_new = W1 - lr * g"

    trace = traced("tanh", PAIRS[0], "sgd", 0.1, 0.0, 0.0, {"clip_value": 1e-4})
    raw = float(trace["dW1"][0, 0])
    assert abs(raw) > 1e-4
    line = trace.explain("W1_new", (0, 0)).splitlines()[0]
    assert line.startswith("g = clip(dW1[0,0]) = min(max(dW1[0,0], -clip_value), clip_value) = ")
    assert check_line(line) == math.copysign(1e-4, raw)


def test_long_sums_name_the_terms_they_leave_out():
    rng = np.random.default_rng(0)
    net = engine.Network([784, 256, 10], activation="relu", seed=0)
    trace = net.trace(rng.random((64, 784)), rng.integers(0, 10, 64))
    text = trace.explain("z1", (5, 7))
    assert "a0[5,2]*W1[2,7] + rest[3..781] + a0[5,782]*W1[782,7]" in text
    check_line(text)
    for name, index in (("dW1", (100, 3)), ("a2", (0, 3)), ("loss", ()), ("db2", (4,))):
        check_line(trace.explain(name, index))


@pytest.mark.parametrize("output, loss", [p for p in PAIRS if p[1] != "perceptron"])  # its targets are 0/1
def test_soft_targets(output, loss):
    """Targets between 0 and 1 (a float matrix) write both halves of the cross-entropy."""
    rng = np.random.default_rng(1)
    net = engine.Network([2, 3, 2], activation="tanh", output=output, loss=loss, seed=0)
    trace = net.trace(rng.normal(size=(5, 2)), rng.uniform(size=(5, 2)))
    for step in trace.steps:
        for index in np.ndindex(step.value.shape):
            check_line(trace.explain(step.name, index))


def test_non_finite_values_are_explained_without_crashing():
    net = engine.Network([2, 3, 2], activation="tanh", seed=0)
    net.layers[0].W[0, 0] = np.nan  # as a diverged step leaves it: nan spreads through the pass
    trace = net.trace(np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([0, 1]))
    assert not np.isfinite(trace["z1"][0, 0])
    non_finite = 0
    for step in trace.steps:
        for index in np.ndindex(step.value.shape):
            text, value = trace.explain(step.name, index), float(step.value[index])
            if not math.isfinite(value):
                assert text.endswith(f" = {value}"), text
                non_finite += 1
    assert non_finite > 5


def test_a_regression_step_explains_itself():
    """A float target, a linear output and squared error (reg-gauss): every line still evaluates."""
    from engine.config import RunConfig, build

    run = build(RunConfig(dataset="reg-gauss", n_samples=60, hidden=(5,), activation="tanh", batch_size=6))
    run.trainer.train(steps=4)
    trace = run.trainer.step_traced()
    names = set()
    for step in trace.steps:
        for index in np.ndindex(step.value.shape):
            check_cell(trace, step, index)
        names.add(step.name)
    assert {"a2", "dz2"} <= names  # the linear output and the squared error's delta
