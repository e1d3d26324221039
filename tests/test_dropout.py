"""Inverted dropout: the masks' statistics and scaling, off at evaluation, reproducible from the
seed (checkpoints included), the gradient through a fixed mask against central differences, and
the setting as a flag, a TOML key and a form value."""
import numpy as np
import pytest

import engine
from engine import checkpoint, dropout
from engine import config as cfg
from engine.network import Buffers
from engine.trainer import Trainer
from mlp_tui import fields
from mlp_tui.cli import main
from mlp_tui.resume import build_run
from mlp_tui.settings_file import dumps_config, load_config


def load_config_text(text, tmp_path):
    path = tmp_path / "saved.toml"
    path.write_text(text)
    return load_config(path)


def moons_trainer(rates, seed=0, hidden=(16, 16), **kw):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = engine.Network([2, *hidden, 2], activation="tanh", seed=seed)
    return Trainer(net, (X[:60], y[:60], X[60:], y[60:]), lr=0.05, batch_size=20, seed=seed, dropout=rates, **kw)


def test_masks_keep_the_share_1_minus_rate_and_scale_the_kept_units_by_1_over_keep():
    drop = dropout.Dropout((0.25,), 1, seed=3)
    net = engine.Network([2, 50, 2], activation="sigmoid", seed=1)
    X = np.random.default_rng(0).normal(size=(4000, 2))
    drop.draw(4000, [50], net.dtype)
    buf = Buffers(net.sizes, 4000, net.dtype)
    dropout.forward_into(net, X, buf, drop)
    mask, a, kept = drop.masks[0], buf.a[1], drop.dropped[0]
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.75) < 0.005  # 200,000 draws: the standard error is 0.001
    np.testing.assert_array_equal(kept[mask == 0], 0.0)
    np.testing.assert_allclose(kept[mask == 1], a[mask == 1] / 0.75, rtol=1e-15)
    # inverted dropout keeps the expected activation: the mean over the batch stays put
    np.testing.assert_allclose(kept.mean(axis=0), a.mean(axis=0), rtol=0.05)
    # the next layer reads the dropped activations
    np.testing.assert_allclose(buf.z[1], kept @ net.layers[1].W + net.layers[1].b, rtol=1e-12)


def test_a_rate_of_zero_leaves_that_layer_alone():
    drop = dropout.Dropout((0.5, 0.0), 2, seed=0)
    drop.draw(10, [4, 3], np.float64)
    assert drop.masks[0] is not None and drop.masks[1] is None
    assert dropout.per_layer((0.3,), 3) == (0.3, 0.3, 0.3)
    assert not dropout.is_on(dropout.per_layer((), 2))


def test_evaluation_and_prediction_have_no_dropout():
    trainer = moons_trainer((0.5, 0.5))
    for _ in range(10):
        trainer.step()
    net, X, y = trainer.net, trainer.X_test, trainer.y_test
    first = trainer.evaluate()
    assert trainer.evaluate()["test_loss"] == first["test_loss"]  # no random mask: the same twice
    plain = net.copy()  # the same weights in a network that knows nothing of dropout
    assert first["test_loss"] == pytest.approx(float(plain.loss_value(X, y)), rel=1e-12)
    np.testing.assert_array_equal(net.forward(X), plain.forward(X))


def test_the_same_seed_drops_the_same_units_and_another_seed_others():
    a, b, c = moons_trainer((0.3,)), moons_trainer((0.3,)), moons_trainer((0.3,), seed=1)
    plain = moons_trainer(())
    for t in (a, b, c, plain):
        for _ in range(7):
            t.step()
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert not np.array_equal(a.net.params, plain.net.params)
    np.testing.assert_array_equal(a.dropout.masks[0], b.dropout.masks[0])
    assert not np.array_equal(a.dropout.masks[0], c.dropout.masks[0])


def test_reset_restarts_the_mask_stream():
    t = moons_trainer((0.4,))
    t.step()
    first = t.dropout.masks[0].copy()
    t.step()
    t.reset_progress()
    t.step()
    np.testing.assert_array_equal(t.dropout.masks[0], first)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_the_gradient_through_a_fixed_mask_equals_central_differences(activation):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 3, 12)
    net = engine.Network([3, 7, 6, 3], activation=activation, seed=4, l2=0.01)
    drop = dropout.Dropout((0.5, 0.25), 2, seed=9)
    drop.draw(12, [7, 6], np.float64)
    _, analytic = dropout.loss_and_grads(net, X, y, drop)
    twin = net.copy(dtype="longdouble")  # the numeric side in extended precision, same masks
    h = 1e-6
    numeric = np.empty(twin.params.size)
    for k in range(twin.params.size):
        keep = twin.params[k]
        twin.params[k] = keep + h
        up = dropout.loss_and_grads(twin, X, y, drop)[0]
        twin.params[k] = keep - h
        down = dropout.loss_and_grads(twin, X, y, drop)[0]
        twin.params[k] = keep
        numeric[k] = float((up - down) / (2 * np.longdouble(h)))
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    big = scale > 1e-7
    assert np.max(np.abs(analytic - numeric)[big] / scale[big]) < 1e-6
    assert np.max(np.abs(analytic - numeric)[~big], initial=0.0) < 1e-9
    # and the masks matter: the gradient without them is another one
    net.loss_and_grads(X, y)
    assert not np.allclose(analytic, net.grad)


def test_a_traced_step_is_the_step_training_takes():
    a, b = moons_trainer((0.5,)), moons_trainer((0.5,))
    for _ in range(3):
        a.step()
        b.step()
    trace = a.step_traced()
    b.step()
    np.testing.assert_array_equal(a.net.params, b.net.params)
    names = trace.names
    assert names.index("a1_drop") == names.index("a1") + 1 and names.index("a2_drop") == names.index("a2") + 1
    assert names.index("da1") == names.index("da1_drop") + 1
    np.testing.assert_array_equal(trace["a1_drop"], trace["a1"] * trace["mask1"] / 0.5)
    assert trace.step("z2").formula == "z2 = a1_drop @ W2 + b2"
    assert trace.step("dW2").formula == "dW2 = a1_drop.T @ dz2"


def test_a_checkpoint_continues_the_mask_stream(tmp_path):
    config = cfg.RunConfig(n_samples=80, hidden=(8, 8), dropout=(0.3, 0.1), epochs=5)
    run = cfg.build(config)
    for _ in range(4):
        run.trainer.step()
    checkpoint.save(tmp_path / "run.npz", run.trainer, config=config)
    for _ in range(6):
        run.trainer.step()
    again = build_run(config, fields.load_checkpoint(tmp_path / "run.npz"))
    assert again.config.dropout == (0.3, 0.1)
    for _ in range(6):
        again.trainer.step()
    np.testing.assert_array_equal(again.net.params, run.net.params)


def test_the_setting_from_flags_toml_and_form_text(tmp_path):
    assert fields.parse_field("dropout", "0.2, 0") == (0.2, 0.0)
    assert fields.parse_field("dropout", "") == ()
    assert fields.parse_field("dropout", fields.format_field("dropout", (0.1234567, 0.0))) == (0.1234567, 0.0)
    toml = tmp_path / "run.toml"
    toml.write_text("hidden = [8, 8]\ndropout = [0.25, 0]\n")
    assert load_config(toml).dropout == (0.25, 0.0)
    assert load_config_text(dumps_config(cfg.RunConfig(hidden=(8, 8), dropout=(0.25, 0.0))), tmp_path).dropout == (0.25, 0.0)
    with pytest.raises(ValueError, match=r"^Dropout: rate 2 must be from 0 to 0.99"):
        fields.parse_field("dropout", "0.2,1")
    with pytest.raises(ValueError, match=r"^Dropout: give one rate for every hidden layer or one per hidden layer \(2\); got 3"):
        fields.validate(cfg.RunConfig(dropout=(0.1, 0.2, 0.3)))
    with pytest.raises(ValueError, match="this network has none"):
        fields.validate(cfg.RunConfig(hidden=(), dropout=(0.2,)))


def test_headless_run_with_dropout_flags(tmp_path, capsys):
    out = tmp_path / "h.json"
    assert main(["train", "--samples", "100", "--hidden", "8,8", "--dropout", "0.5,0", "--epochs", "3",
                 "--progress", "none", "--json", str(out)]) == 0
    import json
    assert json.loads(out.read_text())["config"]["dropout"] == [0.5, 0.0]
    assert main(["train", "--dropout", "0.5,0.5,0.5"]) == 2
    assert "--dropout: Dropout: give one rate" in capsys.readouterr().err
