"""The tutorials' other lessons as presets: each test checks what its preset teaches."""
from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import screen_text
from test_datasets import _mnist_folder
from test_explanations import check_line
from textual.widgets import Button, Checkbox, Input, Select

from engine import config, presets
from mlp_tui import fields
from engine.gradients import VANISHING_RATIO, depth_trend
from engine.network import Network
from engine.trainer import Trainer
from mlp_tui.cli import main
from mlp_tui.widgets.metrics import grad_depth_text


def built(name: str, **changes):
    return config.build(presets.get(name).config.replace(**changes))


# ----- lr-too-high: the watchdog restores parameters whose loss was still normal -------------------------
def test_divergence_restores_the_normal_loss_and_a_lower_lr_then_converges():
    run = built("lr-too-high")
    t = run.trainer
    first_loss = t.step()["loss"]
    t.train(epochs=10)
    assert t.divergence is not None
    # Step 2's loss (about 2018) was finite and under the explosion limit, but not normal:
    # the restore goes back to the parameters whose loss was the first step's.
    restored = float(run.net.loss_value(t.X_train, t.y_train))
    assert restored == pytest.approx(first_loss)
    assert t.divergence.restored_step == 0
    t.set_hyperparameters(lr=0.1)
    t.train(epochs=2000)
    assert t.divergence is None
    assert t.evaluate()["train_acc"] == 1.0


def test_divergence_restores_the_optimizer_state_kept_with_the_parameters():
    run = built("moons", optimizer="momentum", lr=0.05, epochs=1)
    t = run.trainer
    t.train(steps=20)  # the next step's parameters (loss normal) are backed up
    params, state = run.net.params.copy(), t.optimizer.snapshot_state()
    t.train(steps=5)
    t.set_hyperparameters(lr=1e3)
    with np.errstate(all="ignore"):
        t.train(steps=50)
    assert t.divergence is not None and t.divergence.restored_step == 20
    np.testing.assert_array_equal(run.net.params, params)
    assert t.optimizer.t == 20
    assert state.keys() == t.optimizer.snapshot_state().keys() and state
    for key, arr in t.optimizer.snapshot_state().items():
        np.testing.assert_array_equal(arr, state[key])


# ----- logistic regression and its limit -------------------------------------------------------------------
def test_logistic_is_one_sigmoid_unit_that_separates_two_blobs():
    run = built("logistic")
    assert run.net.sizes == (2, 1) and run.net.output == "sigmoid" and run.net.loss == "cross_entropy"
    run.trainer.train(epochs=run.config.epochs)
    last = run.trainer.evaluate()
    assert last["train_acc"] == 1.0 and last["test_acc"] == 1.0


def test_one_unit_on_xor_gets_at_most_three_corners_right():
    run = built("no-hidden-xor")
    assert run.net.sizes == (2, 1)
    run.trainer.train(epochs=run.config.epochs)
    assert run.trainer.evaluate()["train_acc"] <= 0.75


def test_single_output_needs_two_classes_and_a_sigmoid():
    with pytest.raises(ValueError, match="^Single output: .*2 classes.*has 3"):
        fields.build(config.RunConfig(dataset="blobs", classes=3, output="sigmoid", single_output=True))
    with pytest.raises(ValueError, match="^Single output: .*sigmoid; got softmax"):
        fields.validate(config.RunConfig(single_output=True))


def test_the_command_line_builds_a_single_output_network(tmp_path):
    out = tmp_path / "run.json"
    assert main(["train", "--dataset", "moons", "--hidden", "", "--output", "sigmoid", "--single-output",
                 "--epochs", "2", "--json", str(out)]) == 0
    assert out.exists()


# ----- the perceptron --------------------------------------------------------------------------------------
def test_perceptron_converges_on_separable_blobs_and_then_stops_changing():
    run = built("perceptron")
    assert run.net.sizes == (2, 1) and run.net.output == "step"
    run.trainer.train(epochs=run.config.epochs)
    assert run.trainer.evaluate()["train_acc"] == 1.0
    settled = run.net.params.copy()
    run.trainer.train(epochs=2)  # every point is right: y - y_hat is 0, so no update happens
    np.testing.assert_array_equal(run.net.params, settled)


def perceptron_trainer(X, y, W, b, lr):
    net = Network([2, 1], activation="linear", output="step", loss="perceptron")
    net.layers[0].W[:, 0] = W
    net.layers[0].b[:] = b
    return Trainer(net, (np.array(X), np.array(y)), optimizer="sgd", lr=lr, batch_size=1)


def test_perceptron_update_follows_the_rule_on_a_hand_checked_step():
    # x = (1, 2), y = 1, w = (0.5, -0.5), b = 0: z = 0.5 - 1 = -0.5, so y_hat = 0 and the error is 1;
    # the rule gives w = (0.5 + 0.1*1*1, -0.5 + 0.1*1*2) = (0.6, -0.3) and b = 0 + 0.1*1 = 0.1.
    t = perceptron_trainer([[1.0, 2.0]], [1], [0.5, -0.5], 0.0, lr=0.1)
    trace = t.step_traced(0)
    assert trace.names == ["z1", "a1", "error", "W1_new", "b1_new"]
    assert trace["z1"][0, 0] == -0.5 and trace["a1"][0, 0] == 0 and trace["error"][0, 0] == 1
    np.testing.assert_allclose(trace["W1_new"][:, 0], [0.6, -0.3], rtol=0, atol=1e-15)
    assert trace["b1_new"][0] == pytest.approx(0.1, abs=1e-15)
    np.testing.assert_array_equal(t.net.params, np.concatenate([trace["W1_new"].ravel(), trace["b1_new"]]))
    for name in trace.names:
        step = trace.step(name)
        for index in np.ndindex(step.value.shape):
            text = trace.explain(name, index)
            stated = check_line(text)  # the numbers, evaluated as printed, give the stated result ...
            assert stated == pytest.approx(step.value[index], rel=1e-6), text  # ... which is the value


def test_perceptron_settings_outside_its_rule_are_named():
    cfg = presets.get("perceptron").config
    with pytest.raises(ValueError, match="^Optimizer: the perceptron rule is plain sgd"):
        fields.validate(cfg.replace(optimizer="adam"))
    with pytest.raises(ValueError, match="^L2: must be 0 for the perceptron rule"):
        fields.validate(cfg.replace(l2=0.1))
    with pytest.raises(ValueError, match="^Hidden layers: the perceptron is one unit, so none; got 8,8"):
        fields.validate(cfg.replace(hidden=(8, 8)))
    with pytest.raises(ValueError, match="^Output: loss mse needs output .*; got step"):
        fields.validate(cfg.replace(loss="mse"))


def test_perceptron_trains_from_the_command_line(tmp_path):
    out = tmp_path / "p.json"
    assert main(["train", "--preset", "perceptron", "--epochs", "5", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["history"][-1]["train_acc"] == 1.0


# ----- vanishing and exploding gradients -------------------------------------------------------------------
def test_the_depth_ratio_flags_what_an_absolute_threshold_missed():
    # The 8-layer sigmoid network: 6.8e-6 at the first layer against 0.23 at the last.
    assert depth_trend([6.8e-6, 1e-4, 0.23]) == "vanishing"
    assert "vanishing" in grad_depth_text([6.8e-6, 1e-4, 0.23])
    assert depth_trend([5.0, 0.5, 0.04]) == "exploding"
    assert depth_trend([2e-7, 1e-7]) is None  # tiny but even: a converged network, not vanishing
    assert grad_depth_text([0.3, 0.2]) == "  L1/L2 1.5e+00"
    assert depth_trend([float("nan"), 0.2]) == "exploding"


def test_vanishing_preset_first_layer_gradient_is_orders_below_the_last():
    run = built("vanishing")
    assert run.net.sizes == (2, 8, 8, 8, 8, 8, 2)
    run.trainer.train(epochs=5)
    last = run.trainer.evaluate()
    norms = [last[f"grad_norm_{l}"] for l in range(1, run.net.n_layers + 1)]
    assert norms[0] / norms[-1] < VANISHING_RATIO / 10
    assert depth_trend(norms) == "vanishing"


def test_exploding_preset_gradient_grows_layer_by_layer_toward_the_input():
    run = built("exploding")
    _, grads = run.net.loss_and_grads(run.trainer.X_train, run.trainer.y_train)
    norms = [float(np.linalg.norm(dW)) for dW, _ in grads]
    assert all(a > b for a, b in zip(norms, norms[1:])), norms
    assert depth_trend(norms) == "exploding"
    # The same network at the initialiser's own scale is not exploding: the scale does it.
    plain = built("exploding", init_scale=1.0)
    _, grads = plain.net.loss_and_grads(plain.trainer.X_train, plain.trainer.y_train)
    assert depth_trend([float(np.linalg.norm(dW)) for dW, _ in grads]) != "exploding"


def test_init_scale_multiplies_the_initial_weights_and_survives_reset():
    base, scaled = built("moons"), built("moons", init_scale=3.0)
    np.testing.assert_allclose(scaled.net.params, 3.0 * base.net.params)
    scaled.net.params[:] = 0.0
    scaled.net.reset()
    np.testing.assert_allclose(scaled.net.params, 3.0 * base.net.params)
    assert scaled.net.copy().init_scale == 3.0


# ----- MNIST in the workshop's setting ------------------------------------------------------------------------
def test_mnist_sigmoid_builds_and_trains_on_a_small_idx_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_TUI_MNIST", str(_mnist_folder(tmp_path / "mnist")))
    run = built("mnist-sigmoid")
    assert run.net.sizes == (784, 256, 10) and run.net.activation == "sigmoid"
    assert run.trainer.optimizer.name == "sgd" and run.trainer.batch_size == 40  # 64, capped at the 40 images
    run.trainer.train(epochs=1)
    assert run.trainer.divergence is None


# ----- every new preset is listed and opens in the dashboard -----------------------------------------------
NEW = ["mnist-sigmoid", "logistic", "no-hidden-xor", "perceptron", "vanishing", "exploding", "lr-too-high"]


def test_new_presets_are_listed_in_help(capsys):
    assert main(["--help"]) == 0
    text = "".join(capsys.readouterr().out.split())  # argparse may wrap a name at its hyphens
    for name in NEW:
        assert name in text
    assert "xor-50-exploding" not in text


@pytest.mark.parametrize("name", [n for n in NEW if "mnist" not in n])
async def test_new_presets_open_and_step_through_the_inspector(app_factory, name):
    app = app_factory(preset=name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        stages = None
        for _ in range(200):  # the 11-layer exploding network has about 90 stages
            await pilot.press("n")
            stages = len(app.inspector.trace.steps)
            if app.inspector.at_end:
                break
        await pilot.pause()
        assert app.inspector.at_end and stages
        text = screen_text(app)
        assert "Traceback" not in text
        if name == "perceptron":
            assert "y_hat" in app.inspector.explanation() or "b1_new" in text


async def test_the_form_builds_a_single_output_sigmoid_network(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#field-output", Select).value = "sigmoid"
        app.query_one("#field-single_output", Checkbox).value = True
        app.query_one("#field-hidden", Input).value = ""
        await pilot.pause()
        assert not app.query_one("#apply", Button).disabled
        app.query_one("#apply", Button).press()
        await pilot.pause()
        assert app.session.net.sizes == (2, 1) and app.session.net.output == "sigmoid"


async def test_the_metrics_panel_flags_the_vanishing_preset(app_factory):
    app = app_factory(preset="vanishing")
    async with app.run_test(size=(160, 50)) as pilot:
        app.session.trainer.train(epochs=2)
        app.session.publish()
        app.poll(force=True)
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "|dW|" in text and "L1/L6" in text and "vanishing" in text, text
