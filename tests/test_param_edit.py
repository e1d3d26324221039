"""A weight or bias set by hand (Network.set_param, Trainer.edit_param) and the gradient check of
a recorded step's cells (gradcheck.check_trace), in the engine."""
import json

import numpy as np
import pytest

import engine
from engine import checkpoint
from engine.gradcheck import check_trace


def small_run(**kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = engine.Network([2, 4, 3, 2], activation="tanh", seed=1, **kw)
    return engine.Trainer(net, (X, y), optimizer="sgd", lr=0.1, batch_size=8), X, y


def test_set_param_changes_one_cell_and_returns_the_old_value():
    net = engine.Network([2, 3, 2], seed=0)
    before = net.params.copy()
    old = net.set_param(1, "W", (1, 2), 1.5)
    assert old == before[1 * 3 + 2]  # W1 is params[:6], row-major
    changed = np.flatnonzero(net.params != before)
    assert changed.tolist() == [5] and net.layers[0].W[1, 2] == 1.5
    assert net.set_param(2, "b", (1,), -0.25) == 0.0 and net.layers[1].b[1] == -0.25


@pytest.mark.parametrize("args, words", [
    ((1, "W", (2, 0), 1.0), "W1[2,0]: no such parameter, W1 has shape (2, 3)"),
    ((1, "W", (0,), 1.0), "W1[0]: no such parameter"),
    ((1, "b", (3,), 1.0), "b1[3]: no such parameter"),
    ((3, "W", (0, 0), 1.0), "layer must be 1 to 2"),
    ((0, "W", (0, 0), 1.0), "layer must be 1 to 2"),
    ((1, "z", (0, 0), 1.0), "kind must be W or b"),
    ((1, "W", (0, 0), float("nan")), "W1[0,0] must be a finite number in [-1000, 1000]"),
    ((1, "W", (0, 0), float("-inf")), "W1[0,0] must be a finite number in [-1000, 1000]"),
    ((1, "W", (0, 0), 1001.0), "W1[0,0] must be a finite number in [-1000, 1000]"),
    ((1, "W", (0, 0), "2"), "W1[0,0] must be a finite number"),
    ((1, "W", (0, 0), True), "W1[0,0] must be a finite number"),
])
def test_a_bad_edit_names_the_parameter_and_changes_nothing(args, words):
    net = engine.Network([2, 3, 2], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError) as info:
        net.set_param(*args)
    assert words in str(info.value)
    assert np.array_equal(net.params, before)


def test_a_network_without_biases_has_no_b_to_edit():
    net = engine.Network([2, 3, 2], seed=0, bias=False)
    with pytest.raises(ValueError, match=r"kind must be W \(no biases\)"):
        net.set_param(1, "b", (0,), 1.0)


def test_trainer_edit_records_the_event_and_evaluates_at_once():
    trainer, X, y = small_run()
    trainer.train(steps=7)
    loss_before = float(trainer.net.loss_value(X, y))
    rows = len(trainer.history.epochs)
    event = trainer.edit_param(2, "W", (3, 1), 2.5)
    assert trainer.net.layers[1].W[3, 1] == 2.5
    assert event["param"] == "W2[3,1]" and event["new"] == 2.5 and event["step"] == 7
    assert event["train_loss_before"] == pytest.approx(loss_before)
    assert event["train_loss_after"] == pytest.approx(float(trainer.net.loss_value(X, y)))
    assert event["train_loss_after"] != pytest.approx(loss_before)
    assert trainer.history.events == [event]
    # The metrics show the edited network's loss at once: a fresh evaluation at this step.
    assert len(trainer.history.epochs) == rows + 1
    assert trainer.history.epochs.last()["train_loss"] == pytest.approx(event["train_loss_after"])
    assert trainer.history.epochs.last()["step"] == 7


def test_a_bad_trainer_edit_records_nothing():
    trainer, _, _ = small_run()
    before = trainer.net.params.copy()
    with pytest.raises(ValueError, match="W1"):
        trainer.edit_param(1, "W", (0, 0), float("inf"))
    assert np.array_equal(trainer.net.params, before)
    assert trainer.history.events == [] and len(trainer.history.epochs) == 0


def test_edit_events_survive_a_checkpoint(tmp_path):
    trainer, _, _ = small_run()
    trainer.edit_param(1, "b", (2,), -0.5)
    path = checkpoint.save(tmp_path / "run.npz", trainer)
    ckpt = checkpoint.load(path)
    fresh, _, _ = small_run()
    checkpoint.restore_trainer(ckpt, fresh)
    assert fresh.history.events == json.loads(json.dumps(trainer.history.events))
    assert fresh.history.events[0]["param"] == "b1[2]"


def test_corrupt_events_in_a_checkpoint_are_refused(tmp_path):
    trainer, _, _ = small_run()
    ckpt = checkpoint.load(checkpoint.save(tmp_path / "run.npz", trainer))
    ckpt.metadata["events"] = [{"step": "x"}]
    with pytest.raises(engine.CheckpointError, match="history events"):
        checkpoint.restore_trainer(ckpt, small_run()[0])


def loss_by_hand(X, Y, Ws, bs):
    """tanh hidden layers, softmax, mean cross-entropy: written out here, not the engine's."""
    a = X
    for W, b in zip(Ws[:-1], bs[:-1]):
        a = np.tanh(a @ W + b)
    z = a @ Ws[-1] + bs[-1]
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(Y * log_p).sum() / X.shape[0]


@pytest.mark.parametrize("grad_scale", ["mean", "sum"])
def test_check_trace_matches_a_central_difference_taken_here(grad_scale):
    trainer, _, _ = small_run(grad_scale=grad_scale)
    trainer.train(steps=3)
    trace = trainer.step_traced()
    X, Y = trace["a0"], trace["Y"]
    Ws = [trace[f"W{l}"].copy() for l in (1, 2, 3)]
    bs = [trace[f"b{l}"].copy() for l in (1, 2, 3)]
    cells = [(1, "W", (1, 3)), (1, "b", (0,)), (2, "W", (2, 2)), (3, "W", (0, 1)), (3, "b", (1,))]
    checks = check_trace(trace, cells)
    h, factor = 1e-5, X.shape[0] if grad_scale == "sum" else 1
    for (layer, kind, index), check in zip(cells, checks):
        arrays = Ws if kind == "W" else bs
        keep = arrays[layer - 1][index]
        arrays[layer - 1][index] = keep + h
        up = loss_by_hand(X, Y, Ws, bs)
        arrays[layer - 1][index] = keep - h
        down = loss_by_hand(X, Y, Ws, bs)
        arrays[layer - 1][index] = keep
        numeric = factor * (up - down) / (2 * h)
        assert check.label == f"{kind}{layer}[{','.join(map(str, index))}]"
        assert check.analytic == trace[f"d{kind}{layer}"][index]  # the value the dW/db stage shows
        assert check.numeric == pytest.approx(numeric, rel=1e-7, abs=1e-10)
        assert check.rel_error < 1e-7


def test_check_trace_uses_the_parameters_before_the_update():
    trainer, _, _ = small_run()
    trace = trainer.step_traced()
    assert not np.array_equal(trainer.net.layers[0].W, trace["W1"])  # the step moved the weights
    check, = check_trace(trace, [(1, "W", (0, 0))])
    assert check.rel_error < 1e-7


def test_a_perceptron_step_has_no_gradient_to_check():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    net = engine.Network([2, 1], output="step", loss="perceptron", seed=0)
    trace = engine.Trainer(net, (X, np.array([0, 0, 0, 1])), optimizer="sgd", lr=1.0).step_traced()
    with pytest.raises(ValueError, match="perceptron"):
        check_trace(trace, [(1, "W", (0, 0))])
