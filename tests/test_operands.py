"""engine.operands: the operand parts behind one element recompute that element."""
import numpy as np
import pytest

import engine
from engine import config as cfg
from engine import presets
from engine.operands import Source, sources

X = np.random.default_rng(0).normal(size=(5, 2))
y = np.array([0, 1, 2, 1, 0])


def trace_of(output="sigmoid", loss="mse", l2=0.0):
    net = engine.Network([2, 4, 3], activation="tanh", output=output, loss=loss, l2=l2)
    return net.trace(X, y)


def test_z_comes_from_a_row_of_a_a_column_of_W_and_one_bias():
    trace = trace_of()
    row, col, bias = sources(trace, "z2", (3, 1))
    assert (row, col, bias) == (Source("a1", (3, None)), Source("W2", (None, 1)), Source("b2", (1,)))
    z = np.dot(row.values(trace), col.values(trace)) + bias.values(trace)
    assert z == pytest.approx(trace["z2"][3, 1])


def test_without_biases_z_comes_from_a_row_and_a_column_only():
    net = engine.Network([2, 4, 3], activation="tanh", output="sigmoid", loss="mse", bias=False)
    trace = net.trace(X, y)
    row, col = sources(trace, "z1", (2, 3))
    assert (row, col) == (Source("a0", (2, None)), Source("W1", (None, 3)))
    assert np.dot(row.values(trace), col.values(trace)) == pytest.approx(trace["z1"][2, 3])


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_dW_comes_from_a_column_of_a_and_a_column_of_dz(l2):
    trace = trace_of(l2=l2)
    found = sources(trace, "dW2", (2, 1))
    a, dz = found[:2]
    assert (a, dz) == (Source("a1", (None, 2)), Source("dz2", (None, 1)))
    expected = np.dot(a.values(trace), dz.values(trace))
    if l2:  # the penalty's share: W2[2,1] is a source too
        assert found[2] == Source("W2", (2, 1))
        expected += l2 / X.shape[0] * found[2].values(trace)
    else:
        assert len(found) == 2
    assert expected == pytest.approx(trace["dW2"][2, 1])


def test_da_comes_from_a_row_of_dz_and_a_row_of_W():
    trace = trace_of()
    dz, W = sources(trace, "da1", (4, 3))
    assert (dz, W) == (Source("dz2", (4, None)), Source("W2", (3, None)))
    assert np.dot(dz.values(trace), W.values(trace)) == pytest.approx(trace["da1"][4, 3])


def test_db_comes_from_a_column_of_dz():
    trace = trace_of()
    (dz,) = sources(trace, "db1", (2,))
    assert dz == Source("dz1", (None, 2))
    assert dz.values(trace).sum() == pytest.approx(trace["db1"][2])


def test_element_wise_stages_pair_the_same_cell():
    trace = trace_of()
    (z,) = sources(trace, "a1", (1, 2))
    assert z == Source("z1", (1, 2)) and np.tanh(z.values(trace)) == pytest.approx(trace["a1"][1, 2])
    assert [s.name for s in sources(trace, "dz1", (1, 2))] == ["da1", "z1", "a1"]
    assert all(s.index == (1, 2) for s in sources(trace, "dz1", (1, 2)))


def test_softmax_output_uses_the_whole_row():
    trace = trace_of("softmax", "cross_entropy")
    assert sources(trace, "a2", (1, 0)) == [Source("z2", (1, None))]
    assert sources(trace, "dz2", (1, 0))[0] == Source("a2", (1, 0))  # the residual: one cell each
    trace = trace_of("softmax", "mse")
    assert sources(trace, "dz2", (1, 0))[0] == Source("a2", (1, None))


def test_the_loss_has_no_single_source_and_bad_indices_raise():
    trace = trace_of()
    assert sources(trace, "loss") == []
    with pytest.raises(IndexError, match="z1"):
        sources(trace, "z1", (9, 0))


def test_update_stages_pair_the_weight_and_its_gradient():
    trainer = cfg.build(presets.get("xor-2-3-2").config).trainer
    trace = trainer.step_traced(0)
    assert sources(trace, "W1_new", (1, 2)) == [Source("W1", (1, 2)), Source("dW1", (1, 2))]
    assert sources(trace, "b2_new", (0,)) == [Source("b2", (0,)), Source("db2", (0,))]


def test_the_perceptrons_update_uses_a_column_of_the_input_and_of_the_error():
    trainer = cfg.build(presets.get("perceptron").config).trainer
    trace = trainer.step_traced(0)
    W, a, error = sources(trace, "W1_new", (1, 0))
    assert (W, a, error) == (Source("W1", (1, 0)), Source("a0", (None, 1)), Source("error", (None, 0)))
    assert sources(trace, "b1_new", (0,)) == [Source("b1", (0,)), Source("error", (None, 0))]
