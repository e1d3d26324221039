"""The tutorials' worked examples: their presets reproduce the PUBLISHED numbers, and the options
they need (summed gradients, no biases, initial weights from a file, data given as points with
target vectors, test fraction 0) work and are checked."""
import json

import numpy as np
import pytest

from engine import checkpoint, config, presets
from engine.config import RunConfig
from engine.datasets import from_points, load
from engine.errors import InitWeightsError
from engine.gradcheck import gradcheck
from engine.init_weights import flat_params, load_into, read
from engine.network import Network
from engine.trainer import Trainer
from mlp_tui.fields import from_mapping, load_checkpoint


def traced_first_step(name):
    run = config.build(presets.get(name).config)
    return run, run.trainer.step_traced()


# ----- the presets against the published numbers -----------------------------------------------
def test_xor_article_reproduces_the_published_step():
    run, t = traced_first_step("xor-article")
    # Published to 8 decimals and computed from inputs and weights rounded to 8 decimals.
    close = dict(rtol=0, atol=3e-8)
    np.testing.assert_allclose(t["z1"][0], [-1.40982136, 0.91005018, -0.04529517], **close)
    np.testing.assert_allclose(t["a1"][0], [0.19626223, 0.71301043, 0.48867814], **close)
    np.testing.assert_allclose(t["z2"][0], [-0.52507645, -0.18394635], **close)
    np.testing.assert_allclose(t["a2"][0], [0.37166596, 0.45414264], **close)
    np.testing.assert_allclose(t["dW2"][0], [-0.02879856, 0.02209533], **close)
    np.testing.assert_allclose(t["dW1"][0], [0.00723246, 0.00546965, 0.03647082], **close)
    np.testing.assert_allclose(t["W2_new"][0], [-0.41488852, -0.30995026], **close)
    np.testing.assert_allclose(run.net.layers[1].W[0], [-0.41488852, -0.30995026], **close)


def test_xor_article_has_no_biases_anywhere_in_the_trace():
    _, t = traced_first_step("xor-article")
    assert not any(name.startswith(("b", "db")) for name in t.names)
    assert [n for n in t.names if n.endswith("_new")] == ["W1_new", "W2_new"]
    assert t.step("z1").formula == "z1 = a0 @ W1"
    assert "b1" not in t.explain("z1", (0, 0))


def test_mazur_reproduces_the_published_loss_and_w5():
    run, t = traced_first_step("mazur-2-2-2")
    assert t.loss == pytest.approx(0.298371109, abs=1e-9)
    assert run.net.layers[1].W[0, 0] == pytest.approx(0.35891648, abs=1e-8)  # w5


def test_mazur_weights_are_laid_out_as_the_article_names_them():
    run = config.build(presets.get("mazur-2-2-2").config)
    W1, W2 = run.net.layers[0].W, run.net.layers[1].W
    # h1 = w1*i1 + w2*i2: column 0 of W1 holds w1, w2; o1 = w5*h1 + w6*h2: column 0 of W2.
    assert (W1[0, 0], W1[1, 0], W1[0, 1], W1[1, 1]) == (0.15, 0.20, 0.25, 0.30)
    assert (W2[0, 0], W2[1, 0], W2[0, 1], W2[1, 1]) == (0.40, 0.45, 0.50, 0.55)
    assert list(run.net.layers[0].b) == [0.35, 0.35] and list(run.net.layers[1].b) == [0.60, 0.60]


def test_reset_returns_to_the_initial_weights():
    run = config.build(presets.get("mazur-2-2-2").config)
    start = run.net.params.copy()
    run.trainer.train(steps=3)
    assert not np.array_equal(run.net.params, start)
    twin = run.net.copy()  # a copy has the current weights and resets to the same start
    np.testing.assert_array_equal(twin.params, run.net.params)
    twin.reset()
    np.testing.assert_array_equal(twin.params, start)
    run.net.reset(run.config.seed)
    np.testing.assert_array_equal(run.net.params, start)


# ----- summed gradients -------------------------------------------------------------------------
def moons_run(**changes):
    cfg = RunConfig(dataset="moons", n_samples=200, noise=0.2, test_fraction=0.0, hidden=(5,),
                    activation="tanh", optimizer="sgd", batch_size="full", **changes)
    return config.build(cfg)


def test_sum_gradient_is_n_times_the_mean_gradient_penalties_included():
    mean, summed = moons_run(l2=0.1, l1=0.01), moons_run(l2=0.1, l1=0.01, grad_scale="sum")
    loss_mean = mean.trainer.step()["loss"]
    loss_sum = summed.trainer.step()["loss"]
    assert loss_sum == loss_mean  # the loss shown stays the mean
    np.testing.assert_allclose(summed.net.grad, 200 * mean.net.grad, rtol=1e-12)


def test_workshop_lr_on_the_summed_gradient_equals_n_times_lr_on_the_mean():
    # The workshop trains 200 moons with lr 0.01 on the summed gradient: lr 2.0 on the mean.
    mean, summed = moons_run(lr=2.0), moons_run(lr=0.01, grad_scale="sum")
    mean.trainer.train(steps=50)
    summed.trainer.train(steps=50)
    np.testing.assert_allclose(summed.net.params, mean.net.params, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(grad_scale="sum"), dict(grad_scale="sum", l1=0.05, l2=0.2),
                                dict(bias=False), dict(bias=False, grad_scale="sum", l2=0.1),
                                dict(bias=False, output="sigmoid", loss="mse", activation="sigmoid")])
def test_gradcheck_passes(kw):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    result = gradcheck(Network([3, 4, 2], seed=2, **kw), X, y)
    assert result.passed(), result


def test_sum_trace_states_the_convention():
    cfg = presets.get("xor-2-3-2").config.replace(grad_scale="sum", l2=0.1)
    t = config.build(cfg).trainer.step_traced()
    assert t.step("dz2").formula == "dz2 = (a2 - Y) * a2*(1-a2)"
    assert t.step("dW1").formula == "dW1 = a0.T @ dz1 + (l2) * W1"
    assert "/ 4" not in t.explain("dz2", (0, 0)) and "/4" not in t.explain("dW1", (0, 0))
    mean = config.build(presets.get("xor-2-3-2").config).trainer.step_traced()
    assert mean.step("dz2").formula == "dz2 = (a2 - Y) / n * a2*(1-a2)"
    assert "/ 4" in mean.explain("dz2", (0, 0))


# ----- initial weights from a file --------------------------------------------------------------
def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


def test_init_weights_from_npz_and_json_agree(tmp_path):
    net = Network([2, 3, 1], output="sigmoid", seed=0)
    W1, b1, W2, b2 = np.arange(6.).reshape(2, 3), np.ones(3), np.arange(3.).reshape(3, 1), np.array([0.5])
    np.savez(tmp_path / "w.npz", W1=W1, b1=b1, W2=W2, b2=b2)
    write_json(tmp_path / "w.json", {"W1": W1.tolist(), "b1": b1.tolist(), "W2": W2.tolist(), "b2": b2.tolist()})
    load_into(tmp_path / "w.npz", net)
    np.testing.assert_array_equal(net.layers[0].W, W1)
    np.testing.assert_array_equal(net.layers[1].b, b2)
    twin = Network([2, 3, 1], output="sigmoid", seed=5)
    load_into(tmp_path / "w.json", twin)
    np.testing.assert_array_equal(twin.params, net.params)


@pytest.mark.parametrize("data, words", [
    ({"W1": [[1, 2, 3]], "b1": [0, 0, 0], "W2": [[1], [2], [3]], "b2": [0]}, "W1 has shape (1, 3)"),
    ({"W1": [[1, 2, 3], [4, 5, 6]], "b1": [0, 0, 0], "W2": [[1], [2], [3]]}, "array b2 is missing"),
    ({"W1": [[1, 2, 3], [4, 5, 6]], "b1": [0, 0, 0], "W2": [[1], [2], [3]], "b2": [0], "W3": [[1]]},
     "unexpected array 'W3'"),
    ({"W1": [[1, 2, 3], [4, 5]], "b1": [0, 0, 0], "W2": [[1], [2], [3]], "b2": [0]}, "W1 must be numbers"),
    ([1, 2], "must hold a JSON object"),
])
def test_bad_init_weights_name_the_file_and_the_array(tmp_path, data, words):
    path = write_json(tmp_path / "bad.json", data)
    net = Network([2, 3, 1], output="sigmoid")
    before = net.params.copy()
    with pytest.raises(InitWeightsError, match="^" + str(path).replace("\\", "\\\\")) as e:
        load_into(path, net)
    assert words in str(e.value) and "\n" not in str(e.value)
    np.testing.assert_array_equal(net.params, before)


def test_biases_in_the_file_of_a_network_without_biases(tmp_path):
    path = write_json(tmp_path / "w.json", {"W1": [[1.0]], "b1": [0.0]})
    with pytest.raises(InitWeightsError, match="unexpected array 'b1'.*without biases"):
        flat_params(read(path), Network([1, 1], bias=False, output="sigmoid"), str(path))


@pytest.mark.parametrize("name, content", [("x.npz", b"not a zip"), ("x.json", b"{oops"), ("x.txt", b"{}")])
def test_unreadable_init_weights_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InitWeightsError, match=f"^{path}: "):
        read(path)
    with pytest.raises(InitWeightsError, match="no such file"):
        read(tmp_path / "missing.json")


# ----- data given as points, test fraction 0 ----------------------------------------------------
def test_points_with_soft_targets_train_on_the_target_matrix():
    data = from_points([[0.05, 0.10], [0.9, 0.2]], [[0.01, 0.99], [0.99, 0.01]])
    assert data.n_test == 0 and data.n_outputs == 2
    assert list(data.y_train) == [1, 0]  # the class each target vector stands for: its argmax
    net = Network([2, 2, 2], activation="sigmoid", output="sigmoid", loss="mse", seed=1)
    trainer = Trainer(net, data, optimizer="sgd", lr=0.5, batch_size="full")
    np.testing.assert_array_equal(trainer._Y_train, [[0.01, 0.99], [0.99, 0.01]])
    trainer.run_epoch()
    rec = trainer.evaluate()
    assert np.isnan(rec["test_loss"]) and np.isnan(rec["test_acc"])
    expected_acc = np.mean(net.forward(data.X_train).argmax(axis=1) == [1, 0])
    assert rec["train_acc"] == expected_acc
    assert trainer.confusion_matrix("test").sum() == 0


def test_one_target_column_means_one_output_unit():
    data = from_points([[0.0], [1.0], [2.0]], [[0.1], [0.9], [0.7]])
    assert data.n_outputs == 1 and list(data.y_train) == [0, 1, 1]


@pytest.mark.parametrize("points, targets, words", [
    ([[1, 2], [3]], [[0], [1]], "points must be rows"),
    ([[1, 2]], [[0], [1]], "one row per point"),
    ([[1, float("nan")]], [[0]], "points must be finite"),
])
def test_bad_points(points, targets, words):
    with pytest.raises(ValueError, match=words):
        from_points(points, targets)


def test_test_fraction_zero_keeps_every_sample_for_training():
    data = load("moons", n_samples=100, test_fraction=0)
    assert (data.n_train, data.n_test) == (100, 0)


def test_points_and_targets_settings_round_trip_and_are_checked():
    cfg = from_mapping({"dataset": "points", "points": [[0.05, 0.1], [1, 0]], "targets": [[0.01, 0.99], [1, 0]]})
    assert cfg.points == ((0.05, 0.1), (1.0, 0.0)) and cfg.targets == ((0.01, 0.99), (1.0, 0.0))
    assert from_mapping(cfg.to_dict()) == cfg
    assert from_mapping({"dataset": "points", "points": [0.05, 0.1], "targets": [0.01, 0.99]}).points == ((0.05, 0.1),)
    with pytest.raises(ValueError, match="^Targets: one row per point"):
        from_mapping({"dataset": "points", "points": [[1, 2], [3, 4]], "targets": [[1]]})
    with pytest.raises(ValueError, match="^Dataset: 'points' needs"):
        from_mapping({"dataset": "points"})
    with pytest.raises(ValueError, match="^Points: row 2 has 1 numbers"):
        from_mapping({"dataset": "points", "points": [[1, 2], [3]], "targets": [[1], [0]]})


# ----- checkpoints ------------------------------------------------------------------------------
def test_checkpoint_keeps_bias_grad_scale_and_the_points(tmp_path):
    cfg = presets.get("xor-article").config.replace(grad_scale="sum")
    run = config.build(cfg)
    run.trainer.train(steps=2)
    path = checkpoint.save(tmp_path / "c.npz", run.trainer, config=cfg)
    ck = load_checkpoint(path)
    assert (ck.network.bias, ck.network.grad_scale) == (False, "sum")
    assert ck.network.params.size == 12  # 2*3 + 3*2 weights, no biases
    np.testing.assert_array_equal(ck.network.params, run.net.params)
    assert ck.config == cfg


def test_one_output_unit_takes_live_penalty_changes():
    data = from_points([[0.0], [1.0]], [[0.1], [0.9]])
    net = Network([1, 2, 1], activation="sigmoid", output="sigmoid", loss="mse")
    trainer = Trainer(net, data, optimizer="sgd", batch_size="full")
    trainer.set_hyperparameters(l2=0.5)
    assert net.l2 == 0.5
