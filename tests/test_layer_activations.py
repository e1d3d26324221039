"""Per-layer activations (--hidden 8:relu,8:tanh): the network, its gradient and its trace follow
each layer's own function."""
import json

import numpy as np
import pytest

import engine
from engine import config as cfg
from engine.activations import apply
from engine.config import RunConfig
from mlp_tui.cli import main
from mlp_tui.fields import Layers, field_changes, from_mapping, load_checkpoint, parse_field, validate
from mlp_tui.settings_file import dumps_config, load_config

MIXED = ("relu", "tanh", "sigmoid")


def mixed_net(**kw):
    net = engine.Network([3, 5, 4, 4, 3], activations=MIXED, seed=3, **kw)
    rng = np.random.default_rng(7)
    net.params[net.n_weights:] = rng.normal(0, 0.5, net.params.size - net.n_weights)  # off the ReLU kink
    return net


def test_each_layer_applies_its_own_activation():
    net = mixed_net()
    X = np.random.default_rng(0).normal(size=(6, 3))
    acts = net.activations(X)
    for l, name in enumerate(MIXED, start=1):
        layer = net.layers[l - 1]
        z = acts[l - 1] @ layer.W + layer.b
        np.testing.assert_allclose(acts[l], apply(name, z))


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "mse"), ("linear", "mse")])
def test_a_mixed_relu_tanh_sigmoid_net_passes_the_gradient_check(output, loss):
    net = mixed_net(output=output, loss=loss, l2=0.3)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    r = engine.gradcheck(net, X, y)
    assert r.max_rel_error < 1e-6, r
    assert r.n_checked == net.params.size


def test_the_trace_names_each_layers_function():
    net = mixed_net()
    rng = np.random.default_rng(2)
    trace = net.trace(rng.normal(size=(2, 3)), rng.integers(0, 3, 2))
    formulas = {s.name: s.formula for s in trace.steps}
    assert formulas["a1"] == "a1 = relu(z1)" and formulas["a2"] == "a2 = tanh(z2)"
    assert formulas["a3"] == "a3 = sigmoid(z3)"
    assert formulas["dz1"] == "dz1 = da1 * relu'(z1)" and formulas["dz3"] == "dz3 = da3 * sigmoid'(z3)"
    assert "a*(1-a)" in trace.explain("dz3", (0, 0)) and "1-a**2" in trace.explain("dz2", (0, 0))


def test_a_copy_and_a_checkpoint_keep_the_layers_functions(tmp_path):
    net = mixed_net()
    assert net.copy().hidden_activations == MIXED
    engine.checkpoint.save(tmp_path / "m.npz", net=net)
    assert engine.checkpoint.load(tmp_path / "m.npz").network.hidden_activations == MIXED


def test_without_per_layer_names_every_hidden_layer_uses_activation():
    net = engine.Network([2, 4, 4, 2], activation="sigmoid")
    assert net.hidden_activations == ("sigmoid", "sigmoid") and net.layer_activations is None
    assert "activations" not in net.config() or net.config()["activations"] is None


@pytest.mark.parametrize("names,message", [(("relu",), "one activation per hidden layer (2); got 1"),
                                           (("relu", "softmax"), "activations must be one of")])
def test_bad_per_layer_names_are_refused(names, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.Network([2, 4, 4, 2], activations=names)


# ----- the settings: --hidden 8:relu,8:tanh, the form's Hidden layers, TOML, checkpoints -----------------


def test_a_width_with_its_activation_sets_that_layer_and_a_bare_width_keeps_activation():
    value = parse_field("hidden", "8:relu, 4 ,6:tanh")
    assert value == Layers((8, 4, 6), ("relu", "", "tanh"))
    config = RunConfig(activation="sigmoid").replace(**field_changes("hidden", value))
    assert cfg.build(config).net.hidden_activations == ("relu", "sigmoid", "tanh")
    assert field_changes("hidden", parse_field("hidden", "8,8")) == {"hidden": (8, 8), "activations": ()}


@pytest.mark.parametrize("text,words", [("8:relu,8:bogus", "Hidden layers: layer 2's activation must be one of"),
                                        ("8:softmax", "Hidden layers: layer 1's activation must be one of"),
                                        ("x:relu", "Hidden layers: layer 1 must be a whole number")])
def test_a_bad_layer_activation_is_one_message_naming_the_layer(text, words):
    with pytest.raises(ValueError) as e:
        parse_field("hidden", text)
    assert str(e.value).startswith(words)


def test_more_activations_than_layers_is_refused_naming_hidden():
    with pytest.raises(ValueError, match="^Hidden layers: one activation per layer: 1 layers, 2 activations"):
        validate(RunConfig(hidden=(8,), activations=("relu", "tanh")))


def test_settings_files_write_and_read_the_layers_activations(tmp_path):
    config = from_mapping({"hidden": "8:relu,8", "activation": "sigmoid"})
    assert (config.hidden, config.activations) == ((8, 8), ("relu", ""))
    path = tmp_path / "s.toml"
    path.write_text(dumps_config(config))
    assert 'hidden = "8:relu,8"' in path.read_text() and load_config(path) == config


def test_train_saves_the_layers_activations_and_a_loaded_run_keeps_them(tmp_path, capsys):
    saved = tmp_path / "m.npz"
    assert main(["train", "--hidden", "8:relu,8:tanh", "--activation", "sigmoid", "--epochs", "1",
                 "--progress", "none", "--save", str(saved)]) == 0
    ckpt = load_checkpoint(saved)
    assert ckpt.network.hidden_activations == ("relu", "tanh")
    assert (ckpt.config.hidden, ckpt.config.activations) == ((8, 8), ("relu", "tanh"))
    assert main(["train", "--load", str(saved), "--epochs", "1", "--progress", "none"]) == 0


def test_an_old_checkpoint_without_per_layer_activations_still_loads(tmp_path):
    run = cfg.build(RunConfig(hidden=(4,)))
    path = engine.checkpoint.save(tmp_path / "new.npz", run.trainer, config=run.config)
    arrays = dict(np.load(path))
    meta = json.loads(arrays["meta"].tobytes())
    del meta["network"]["activations"]  # as written before per-layer activations existed
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    ckpt = load_checkpoint(tmp_path / "old.npz")
    assert ckpt.config.activations == () and ckpt.network.hidden_activations == ("tanh",)


def test_compare_mode_names_a_difference_in_layer_activations():
    from types import SimpleNamespace

    from mlp_tui.compare_app import difference_text

    a = SimpleNamespace(config=RunConfig(hidden=(8, 8)))
    b = SimpleNamespace(config=RunConfig(hidden=(8, 8), activations=("relu", "")))
    assert difference_text([a, b]) == "A: hidden 8,8  B: hidden 8:relu,8"


def test_a_bare_checkpoint_gives_its_layers_activations_to_the_run(tmp_path):
    from mlp_tui.resume import checkpoint_config

    engine.checkpoint.save(tmp_path / "bare.npz", net=mixed_net())
    ckpt = load_checkpoint(tmp_path / "bare.npz")
    config = checkpoint_config(ckpt, RunConfig(dataset="blobs", classes=3, hidden=(), output="softmax"))
    assert (config.hidden, config.activations) == ((5, 4, 4), MIXED)
