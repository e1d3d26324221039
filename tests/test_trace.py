"""The recorded trace: every value against a hand computation, order, shapes and explanations."""
import numpy as np
import pytest

import engine

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])
W1 = np.array([[0.5, -0.3, 0.8], [0.2, 0.7, -0.6]])
b1 = np.array([0.1, -0.2, 0.05])
W2 = np.array([[0.4, -0.5], [-0.9, 0.3], [0.6, 0.2]])
b2 = np.array([-0.1, 0.2])
L2 = 0.1


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def xor_net():
    net = engine.Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="mse", l2=L2)
    net.layers[0].W[...], net.layers[0].b[...] = W1, b1
    net.layers[1].W[...], net.layers[1].b[...] = W2, b2
    return net


def by_hand():
    """The tutorials' 2-3-2 sigmoid/mse network with L2, one scalar loop at a time."""
    n, Y = 4, np.eye(2)[y]
    z1 = np.zeros((4, 3))
    for i in range(4):
        for j in range(3):
            z1[i, j] = X[i, 0] * W1[0, j] + X[i, 1] * W1[1, j] + b1[j]
    a1 = sig(z1)
    z2 = np.zeros((4, 2))
    for i in range(4):
        for k in range(2):
            z2[i, k] = sum(a1[i, j] * W2[j, k] for j in range(3)) + b2[k]
    a2 = sig(z2)
    loss = sum((a2[i, k] - Y[i, k]) ** 2 for i in range(4) for k in range(2)) / (2 * n) \
        + L2 / (2 * n) * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dz2 = (a2 - Y) / n * a2 * (1 - a2)
    dW2 = np.array([[sum(a1[i, j] * dz2[i, k] for i in range(4)) + L2 / n * W2[j, k] for k in range(2)]
                    for j in range(3)])
    db2 = dz2.sum(axis=0)
    da1 = np.array([[sum(dz2[i, k] * W2[j, k] for k in range(2)) for j in range(3)] for i in range(4)])
    dz1 = da1 * a1 * (1 - a1)
    dW1 = np.array([[sum(X[i, p] * dz1[i, j] for i in range(4)) + L2 / n * W1[p, j] for j in range(3)]
                    for p in range(2)])
    db1 = dz1.sum(axis=0)
    return dict(z1=z1, a1=a1, z2=z2, a2=a2, loss=loss, dz2=dz2, dW2=dW2, db2=db2, da1=da1,
                dz1=dz1, dW1=dW1, db1=db1)


def test_every_trace_value_matches_the_hand_computation():
    trace = xor_net().trace(X, y)
    expected = by_hand()
    assert trace.names == ["z1", "a1", "z2", "a2", "loss", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"]
    for step in trace.steps:
        np.testing.assert_allclose(step.value, expected[step.name], rtol=0, atol=1e-12, err_msg=step.name)
    assert [s.phase for s in trace.steps] == ["forward"] * 4 + ["loss"] + ["backward"] * 7


def test_formulas_and_operands():
    trace = xor_net().trace(X, y)
    assert trace.step("z1").formula == "z1 = a0 @ W1 + b1"
    assert trace.step("z1").operands == ("a0", "W1", "b1")
    assert trace.step("a1").formula == "a1 = sigmoid(z1)"
    assert trace.step("dz2").formula == "dz2 = (a2 - Y) / n * a2*(1-a2)"
    assert trace.step("dW2").formula == "dW2 = a1.T @ dz2 + (l2/n) * W2"
    assert trace.step("da1").formula == "da1 = dz2 @ W2.T"
    assert trace.step("dz1").formula == "dz1 = da1 * sigmoid'(z1)"
    assert trace.step("loss").formula == "loss = (1/(2n)) * sum((a2 - Y)**2) + (l2/(2n)) * sum(W**2)"
    for step in trace.steps:  # every operand is a recorded value
        for name in step.operands:
            assert name in trace.values


def test_explain_shows_the_real_numbers():
    trace = xor_net().trace(X, y)
    z = 1 * 0.8 + 1 * (-0.6) + 0.05
    assert trace.explain("z1", (3, 2)) == (
        "z1[3,2] = a0[3,0]*W1[0,2] + a0[3,1]*W1[1,2] + b1[2] = 1*0.8 + 1*(-0.6) + 0.05 = " + f"{z:.6g}")
    assert trace.explain("a1", (3, 2)) == f"a1[3,2] = sigmoid(z1[3,2]) = 1/(1+exp(-0.25)) = {sig(0.25):.6g}"
    head, numbers, result = trace.explain("dz2", (1, 0)).rsplit(" = ", 2)
    assert head == "dz2[1,0] = (a2[1,0] - Y[1,0]) / n * a*(1-a)"
    a = numbers[1:numbers.index(" ")]  # a2[1,0] with as many digits as the product needs
    assert numbers == f"({a} - 0) / 4 * {a}*(1-{a})"
    assert float(a) == pytest.approx(trace["a2"][1, 0], rel=5e-4)
    assert result == f"{trace['dz2'][1, 0]:.6g}"
    assert trace.explain("db1", 0).startswith("db1[0] = dz1[0,0] + dz1[1,0] + dz1[2,0] + dz1[3,0] = ")
    assert trace.explain("dW1", (0, 1)).endswith(f" + (0.1/4)*(-0.3) = {trace['dW1'][0, 1]:.6g}")
    loss_text = trace.explain("loss")
    assert loss_text.startswith("loss = (1/(2n)) * sum((a - Y)**2) = (1/8) * (")
    assert loss_text.endswith(f" = {trace.loss:.6g}")


def test_every_step_of_every_kind_is_explainable():
    for output, loss in [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("softmax", "mse"),
                         ("linear", "mse")]:
        for act in ["tanh", "relu", "leaky_relu", "linear"]:
            net = engine.Network([2, 4, 3, 3], activation=act, output=output, loss=loss, l1=0.1, l2=0.1)
            trace = net.trace(np.random.default_rng(0).normal(size=(5, 2)), np.array([0, 1, 2, 1, 0]))
            for step in trace.steps:
                index = tuple(s - 1 for s in step.value.shape)
                text = trace.explain(step.name, index)
                assert text.endswith(f"{float(step.value[index]):.6g}"), (step.name, text)


def test_long_sums_are_shortened_but_the_total_is_exact():
    rng = np.random.default_rng(0)
    net = engine.Network([784, 256, 10], activation="relu", seed=0)
    Xb, yb = rng.random((64, 784)), rng.integers(0, 10, 64)
    trace = net.trace(Xb, yb)
    text = trace.explain("z1", (5, 7))
    assert " + rest[3..781] + " in text
    assert text.endswith(f"{trace['z1'][5, 7]:.6g}")
    assert " + rest[3..61] + " in trace.explain("dW1", (100, 3))
    softmax_text = trace.explain("a2", (0, 3))
    assert "exp(" in softmax_text and " + rest[3..7] + " in softmax_text


def test_trace_equals_forward_and_loss_and_grads_exactly():
    rng = np.random.default_rng(3)
    net = engine.Network([3, 6, 5, 4], activation="tanh", output="softmax", loss="cross_entropy", l2=0.2)
    Xb, yb = rng.normal(size=(9, 3)), rng.integers(0, 4, 9)
    trace = net.trace(Xb, yb)
    loss, grads = net.loss_and_grads(Xb, yb)
    np.testing.assert_array_equal(trace["a3"], net.forward(Xb))
    assert trace.loss == loss
    for l, (dW, db) in enumerate(grads, start=1):
        np.testing.assert_array_equal(trace[f"dW{l}"], dW)
        np.testing.assert_array_equal(trace[f"db{l}"], db)


def test_step_shapes():
    net = engine.Network([3, 6, 5, 4])
    trace = net.trace(np.zeros((7, 3)), np.zeros(7, dtype=int))
    shapes = {s.name: s.shape for s in trace.steps}
    assert shapes == {"z1": (7, 6), "a1": (7, 6), "z2": (7, 5), "a2": (7, 5), "z3": (7, 4), "a3": (7, 4),
                      "loss": (), "dz3": (7, 4), "dW3": (5, 4), "db3": (4,), "da2": (7, 5), "dz2": (7, 5),
                      "dW2": (6, 5), "db2": (5,), "da1": (7, 6), "dz1": (7, 6), "dW1": (3, 6), "db1": (6,)}


def test_trace_does_not_change_the_network_and_copies_values():
    net = xor_net()
    before = net.params.copy()
    trace = net.trace(X, y)
    np.testing.assert_array_equal(net.params, before)
    net.layers[0].W[0, 0] = 99.0
    assert trace["W1"][0, 0] == 0.5


def test_bad_explain_requests():
    trace = xor_net().trace(X, y)
    with pytest.raises(KeyError, match="no step named 'z9'"):
        trace.explain("z9", (0, 0))
    with pytest.raises(IndexError, match="out of range 0..2"):
        trace.explain("z1", (0, 3))
    with pytest.raises(IndexError, match="give 2 index"):
        trace.explain("z1", (0,))


def test_an_added_operand_is_a_value_but_not_a_stage():
    trace = engine.Network([2, 3, 2], seed=0).trace(X, y)
    trace.add_operand("lr", 0.25)
    assert float(trace["lr"]) == 0.25 and trace.values["lr"].shape == ()
    assert "lr" not in trace.names
