"""The network: shapes, targets, numerical stability, learning XOR, and argument errors."""
import numpy as np
import pytest

import engine
from engine import activations

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def test_layers_are_views_into_one_flat_parameter_vector():
    net = engine.Network([2, 8, 8, 2])
    assert [layer.W.shape for layer in net.layers] == [(2, 8), (8, 8), (8, 2)]
    assert [layer.b.shape for layer in net.layers] == [(8,), (8,), (2,)]
    assert net.params.size == 2 * 8 + 8 * 8 + 8 * 2 + 8 + 8 + 2
    net.layers[1].W[0, 0] = 42.0
    assert 42.0 in net.params
    assert np.all(net.params[net.n_weights:] == 0)  # biases start at zero


def test_forward_shapes_and_softmax_rows_sum_to_one():
    net = engine.Network([3, 5, 4], activation="relu", output="softmax")
    out = net.forward(np.random.default_rng(0).normal(size=(7, 3)))
    assert out.shape == (7, 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)


def test_zero_hidden_layers_is_logistic_regression():
    net = engine.Network([2, 1], output="sigmoid", loss="cross_entropy")
    W, b = net.layers[0].W, net.layers[0].b
    out = net.forward(XOR_X)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(XOR_X @ W + b))), rtol=1e-14)


def test_loss_and_grads_shapes_and_loss_formula():
    net = engine.Network([2, 3, 2], activation="tanh", output="softmax", loss="cross_entropy", l2=0.5, l1=0.1)
    loss, grads = net.loss_and_grads(XOR_X, XOR_Y)
    assert [(dW.shape, db.shape) for dW, db in grads] == [((2, 3), (3,)), ((3, 2), (2,))]
    P = net.forward(XOR_X)
    W = np.concatenate([layer.W.ravel() for layer in net.layers])
    expected = -np.mean(np.log(P[np.arange(4), XOR_Y])) + 0.5 / 8 * np.sum(W ** 2) + 0.1 / 4 * np.sum(np.abs(W))
    assert loss == pytest.approx(expected, rel=1e-13)


def test_mse_and_binary_cross_entropy_formulas():
    Y = np.eye(2)[XOR_Y]
    mse = engine.Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="mse", seed=4)
    A = mse.forward(XOR_X)
    assert mse.loss_value(XOR_X, XOR_Y) == pytest.approx(np.sum((A - Y) ** 2) / 8, rel=1e-13)
    bce = engine.Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="cross_entropy", seed=4)
    P = bce.forward(XOR_X)
    assert bce.loss_value(XOR_X, XOR_Y) == pytest.approx(
        -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / 4, rel=1e-12)


def test_float_target_matrix_is_used_as_is():
    net = engine.Network([2, 3, 2], output="sigmoid", loss="mse")
    soft = np.array([[0.2, 0.8]] * 4)
    A = net.forward(XOR_X)
    assert net.loss_value(XOR_X, soft) == pytest.approx(np.sum((A - soft) ** 2) / 8, rel=1e-13)


def test_single_sigmoid_output_takes_binary_labels():
    net = engine.Network([2, 4, 1], output="sigmoid", loss="cross_entropy")
    loss, grads = net.loss_and_grads(XOR_X, XOR_Y)
    assert np.isfinite(loss) and grads[-1][0].shape == (4, 1)
    assert net.predict(XOR_X).shape == (4,)


def test_numerical_stability_at_extreme_inputs():
    z = np.array([[-800.0, 0.0, 800.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.sigmoid(z, np.empty_like(z))
        p = activations.softmax(z, np.empty_like(z))
    np.testing.assert_array_equal(s, [[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(p, [[0.0, 0.0, 1.0]])
    net = engine.Network([1, 2], activation="linear", output="softmax", loss="cross_entropy")
    net.layers[0].W[...] = [[1000.0, -1000.0]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = net.loss_value(np.array([[5.0]]), np.array([1]))  # P = exp(-10000): log never sees 0
    assert loss == pytest.approx(10000.0)
    bce = engine.Network([1, 1], activation="linear", output="sigmoid", loss="cross_entropy")
    bce.layers[0].W[...] = 1000.0
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert bce.loss_value(np.array([[5.0]]), np.array([0])) == pytest.approx(5000.0)


def test_leaky_relu_slope_is_an_attribute():
    net = engine.Network([1, 1, 2], activation="leaky_relu")
    assert net.leak == 0.01
    net.layers[0].W[...] = 1.0
    trace = net.trace(np.array([[-2.0]]), np.array([0]))
    assert trace["a1"][0, 0] == pytest.approx(-0.02)
    net.leak = 0.1
    assert net.trace(np.array([[-2.0]]), np.array([0]))["a1"][0, 0] == pytest.approx(-0.2)


@pytest.mark.parametrize("init", ["xavier", "he", "tutorial"])
def test_initialisation_is_seeded_and_has_the_right_scale(init):
    a = engine.Network([100, 200, 10], init=init, seed=5)
    b = engine.Network([100, 200, 10], init=init, seed=5)
    c = engine.Network([100, 200, 10], init=init, seed=6)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    W = a.layers[0].W
    if init == "xavier":
        assert np.abs(W).max() <= np.sqrt(6 / 300) and W.std() == pytest.approx(np.sqrt(2 / 300), rel=0.05)
    elif init == "he":
        assert W.std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    else:
        assert W.min() >= 0 and W.max() < 1 / np.sqrt(100)


def test_default_init_follows_the_activation():
    assert engine.Network([2, 4, 2], activation="relu").init == "he"
    assert engine.Network([2, 4, 2], activation="tanh").init == "xavier"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_2_3_2_sigmoid_network_learns_xor_with_plain_gradient_descent(dtype):
    net = engine.Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="mse", seed=0, dtype=dtype)
    first = net.loss_value(XOR_X, XOR_Y)
    for _ in range(5000):
        net.loss_and_grads(XOR_X, XOR_Y)
        net.params -= 5.0 * net.grad
    assert net.params.dtype == np.dtype(dtype)
    assert net.loss_value(XOR_X, XOR_Y) < first / 100
    assert net.accuracy(XOR_X, XOR_Y) == 1.0


@pytest.mark.parametrize("kwargs,words", [
    (dict(activation="swish"), ["activation", "sigmoid", "tanh", "relu", "leaky_relu", "linear"]),
    (dict(output="tanh"), ["output", "softmax"]),
    (dict(loss="hinge"), ["loss", "cross_entropy", "mse"]),
    (dict(output="linear", loss="cross_entropy"), ["cross_entropy", "softmax or sigmoid"]),
    (dict(init="zeros"), ["init", "xavier", "he", "tutorial"]),
    (dict(dtype="int8"), ["dtype", "float64", "float32"]),
    (dict(l2=-1), ["l2", ">= 0"]),
    (dict(l1=float("nan")), ["l1"]),
    (dict(seed=-1), ["seed"]),
])
def test_bad_arguments_name_the_argument_and_the_allowed_values(kwargs, words):
    with pytest.raises(ValueError) as err:
        engine.Network([2, 3, 2], **kwargs)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("sizes,words", [
    ([2, 0, 2], ["sizes[1]", "hidden layer", "1 to 1024"]),
    ([2, 2000, 2], ["sizes[1]", "1024"]),
    ([2], ["sizes", "0 to 10 hidden"]),
    ([2] + [4] * 11 + [2], ["sizes", "0 to 10 hidden"]),
    ([2, 3.5, 2], ["sizes[1]"]),
    ("abc", ["sizes"]),
])
def test_bad_layer_sizes(sizes, words):
    with pytest.raises(ValueError) as err:
        engine.Network(sizes)
    for word in words:
        assert word in str(err.value)


def test_mismatched_inputs_and_bad_labels():
    net = engine.Network([2, 3, 2])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\).*\(4, 3\)"):
        net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"y labels must be in 0\.\.1.*0\.\.2"):
        net.loss_and_grads(XOR_X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"y must be integer labels of shape \(4,\)"):
        net.loss_and_grads(XOR_X, np.array([0, 1]))
    with pytest.raises(ValueError, match="whole numbers"):
        net.loss_and_grads(XOR_X, np.array([0.5, 1, 1, 0]))


def test_copy_and_config_rebuild_an_identical_network():
    net = engine.Network([2, 5, 3], activation="relu", l2=0.1, seed=9)
    net.params += 0.5
    twin = net.copy()
    np.testing.assert_array_equal(twin.forward(XOR_X), net.forward(XOR_X))
    assert engine.Network(**net.config()).config() == net.config()
    assert net.copy(dtype="float32").params.dtype == np.float32


def test_activations_are_every_layers_forward_pass_values():
    net = engine.Network([2, 4, 3, 2], activation="tanh", output="softmax", seed=3)
    X = np.random.default_rng(1).normal(size=(6, 2))
    acts = net.activations(X)
    assert [a.shape for a in acts] == [(6, 2), (6, 4), (6, 3), (6, 2)]
    np.testing.assert_array_equal(acts[0], X)
    a = X
    for l, layer in enumerate(net.layers[:-1], start=1):
        a = np.tanh(a @ layer.W + layer.b)
        np.testing.assert_allclose(acts[l], a, rtol=1e-12)
    buf = net.buffers(6)
    net.forward_into(net.check_X(X), buf)
    for l in range(1, 4):
        np.testing.assert_array_equal(acts[l], buf.a[l])
    np.testing.assert_array_equal(acts[-1], net.forward(X))


def test_activations_leave_the_training_buffers_alone():
    net = engine.Network([2, 3, 2], activation="relu", output="sigmoid", loss="mse")
    buf = net.buffers(4)
    net.forward_into(net.check_X(XOR_X), buf)
    before = buf.recorded.copy()
    net.activations(np.ones((4, 2)))
    np.testing.assert_array_equal(buf.recorded, before)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        net.activations(np.ones((4, 3)))
