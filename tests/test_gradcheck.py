"""Analytic gradients against central differences, over every activation x output/loss pair."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import engine

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
         ("softmax", "mse"), ("sigmoid", "mse"), ("linear", "mse")]


def random_biases(net, rng):
    # Zero biases behind a dead ReLU layer put z exactly on the kink; check after a "burn-in".
    net.params[net.n_weights:] = rng.normal(0, 0.5, net.params.size - net.n_weights)


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.0, 0.5), (0.2, 0.0), (0.2, 0.5)])
def test_every_combination_matches_finite_differences(activation, output, loss, l1, l2):
    rng = np.random.default_rng(7)
    net = engine.Network([3, 5, 4, 3], activation=activation, output=output, loss=loss, l1=l1, l2=l2, seed=3)
    random_biases(net, rng)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    r = engine.gradcheck(net, X, y)
    assert r.max_rel_error < 1e-6, r
    assert r.max_abs_error < 1e-8, r
    assert r.n_checked == net.params.size


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_architectures(data):
    depth = data.draw(st.integers(0, 3))
    sizes = [data.draw(st.integers(1, 5))] + [data.draw(st.integers(1, 6)) for _ in range(depth)] \
        + [data.draw(st.integers(2, 4))]
    activation = data.draw(st.sampled_from(HIDDEN))
    output, loss = data.draw(st.sampled_from(PAIRS))
    l1, l2 = data.draw(st.sampled_from([0.0, 0.1])), data.draw(st.sampled_from([0.0, 0.3]))
    seed = data.draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    net = engine.Network(sizes, activation=activation, output=output, loss=loss, l1=l1, l2=l2, seed=seed)
    random_biases(net, rng)
    n = data.draw(st.integers(1, 6))
    X, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)
    r = engine.gradcheck(net, X, y)
    assert r.max_rel_error < 1e-6 and r.max_abs_error < 1e-8, (sizes, activation, output, loss, r)


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 2)), rng.integers(0, 2, 5)
    net = engine.Network([2, 4, 2], activation="tanh", seed=0)
    assert engine.gradcheck(net, X, y) < 1e-6
    from engine import activations
    with monkeypatch.context() as m:
        # Break tanh' (1 - a**2 becomes 1 - a): the check must notice.
        m.setitem(activations.DERIVATIVE, "tanh", lambda z, a, out: np.subtract(1.0, a, out=out))
        assert engine.gradcheck(net, X, y).max_rel_error > 1e-2


def test_gradcheck_of_float32_network_checks_the_maths_in_float64():
    rng = np.random.default_rng(1)
    net = engine.Network([2, 3, 2], activation="sigmoid", dtype="float32", seed=1)
    r = engine.gradcheck(net, rng.normal(size=(4, 2)), np.array([0, 1, 1, 0]))
    assert r < 1e-6  # the result is a float: the max relative error
    assert "W" in r.worst or "b" in r.worst


def test_max_checks_samples_a_subset():
    rng = np.random.default_rng(2)
    net = engine.Network([8, 16, 3], seed=2)
    r = engine.gradcheck(net, rng.normal(size=(4, 8)), rng.integers(0, 3, 4), max_checks=20)
    assert r.n_checked == 20 and r < 1e-6
