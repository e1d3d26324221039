"""Input features computed from 2-D points (--features x1^2,x2^2): the engine's transforms, the
dataset keeping its plane for pictures, the settings everywhere a setting goes, and the lesson
that a network without a hidden layer separates circles given x1^2 and x2^2."""
import math

import numpy as np
import pytest

from engine import checkpoint, features
from engine import config as cfg
from engine.config import RunConfig
from engine.presets import PRESETS
from mlp_tui.cli import main
from mlp_tui.fields import from_mapping, load_checkpoint, parse_field
from mlp_tui.network_maps import network_view_args
from mlp_tui.settings_file import dumps_config, load_config


def test_each_named_feature_is_its_formula_of_the_point():
    P = np.array([[2.0, 3.0], [-1.0, 0.5]])
    got = features.transform(P, tuple(features.FEATURES))
    want = [[2, 3, 4, 9, 6, math.sin(2), math.sin(3)], [-1, 0.5, 1, 0.25, -0.5, math.sin(-1), math.sin(0.5)]]
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("text,words", [
    ("x1,x3", "Input features: unknown feature 'x3'; the features are x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)"),
    ("x1^2,x1^2", "Input features: x1^2 is listed twice; name each of x1, x2, x1^2"),
    ("", "Input features: must name at least one of x1"),
    ("x1,,x2", "Input features: unknown feature ''"),
])
def test_a_bad_feature_list_is_one_message_naming_the_token_and_the_names(text, words):
    with pytest.raises(ValueError) as e:
        parse_field("features", text)
    assert str(e.value).startswith(words)


def test_a_feature_list_parses_in_the_order_given():
    assert parse_field("features", " x2^2 , sin(x1) ") == ("x2^2", "sin(x1)")


def test_features_are_computed_from_the_standardized_points_the_picture_shows():
    base = RunConfig(dataset="moons", n_samples=200, standardize=True, hidden=())
    plain = cfg.load_data(base)
    data = cfg.load_data(base.replace(features=("x1", "x1*x2")))
    np.testing.assert_array_equal(data.points_train, plain.X_train)
    np.testing.assert_allclose(data.X_train, np.column_stack([plain.X_train[:, 0], plain.X_train.prod(axis=1)]))
    assert data.is_2d and data.extent == plain.extent and data.feature_names == ["x1", "x1*x2"]
    grid = np.array([[0.5, -2.0]])
    np.testing.assert_allclose(data.inputs(grid), [[0.5, -1.0]])


def test_the_plain_features_leave_the_dataset_as_it_is():
    base = RunConfig(dataset="moons", n_samples=200)
    data = cfg.load_data(base)
    assert data.features == () and data.plane_train is None and data.inputs(data.X_train) is data.X_train


def test_features_of_data_that_is_not_2d_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="^features: need 2-D points"):
        cfg.build(RunConfig(dataset="digits", features=("x1^2",)))


def train_circles(feature_names):
    run = cfg.build(PRESETS["circles-features"].config.replace(features=feature_names))
    run.trainer.train(epochs=run.config.epochs)
    return run.trainer.evaluate()["test_acc"]


def test_with_squared_features_no_hidden_layer_separates_the_circles():
    assert PRESETS["circles-features"].config.hidden == ()
    assert train_circles(("x1^2", "x2^2")) > 0.9


def test_with_the_plain_coordinates_no_hidden_layer_cannot():
    assert train_circles(("x1", "x2")) < 0.75


def test_the_network_view_labels_the_inputs_with_the_features():
    run = cfg.build(RunConfig(dataset="circles", features=("x1^2", "x2^2", "x1*x2"), hidden=(3,)))
    args = network_view_args(run.net, run.data)
    assert args["inputs"] == ["x1^2", "x2^2", "x1*x2"] and args["sizes"][0] == 3
    assert args["maps"][0].shape == (3, 8, 8)  # the neurons' maps are still over the plane


def test_settings_files_and_checkpoints_keep_the_features(tmp_path):
    config = from_mapping({"dataset": "circles", "features": ["x1^2", "x2^2"], "hidden": []})
    assert config.features == ("x1^2", "x2^2")
    toml = tmp_path / "f.toml"
    toml.write_text(dumps_config(config))
    assert load_config(toml) == config
    run = cfg.build(config)
    path = checkpoint.save(tmp_path / "f.npz", run.trainer, config=config)
    assert load_checkpoint(path).config.features == ("x1^2", "x2^2")


def test_train_reads_the_flag_and_a_saved_run_continues_with_its_features(tmp_path, capsys):
    saved = tmp_path / "c.npz"
    assert main(["train", "--preset", "circles-features", "--epochs", "2", "--progress", "none",
                 "--save", str(saved)]) == 0
    assert main(["train", "--load", str(saved), "--epochs", "1", "--progress", "none"]) == 0
    assert load_checkpoint(saved).network.sizes == (2, 2)


def test_a_bad_features_flag_exits_2_naming_the_flag(capsys):
    assert main(["train", "--features", "x1,cos(x1)"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mlp-tui: error: --features: Input features: unknown feature 'cos(x1)'; the features are "
                   "x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2); got 'x1,cos(x1)'"]
