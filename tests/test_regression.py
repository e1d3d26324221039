"""Regression: TensorFlow Playground's reg-plane and reg-gauss, float targets from files, a linear
output with squared error, and R² where a classifier reports accuracy."""
import json

import numpy as np
import pytest
from sklearn.metrics import r2_score as sklearn_r2

import engine
from engine import config as cfg
from engine.datasets import load, reg_gauss_target, reg_plane_target
from engine.errors import DatasetError
from engine.history import EPOCH_COLUMNS
from engine.regression import r2_score
from engine.validate import FieldError


# ----- the datasets: Playground's formulas (dataset.ts, regressPlane / regressGaussian)

def test_reg_plane_target_is_x_plus_y_scaled_from_ten_to_one():
    P = np.array([[10.0, 0.0], [-6.0, -4.0], [1.0, 2.0], [6.0, 6.0]])
    assert reg_plane_target(P) == pytest.approx([1.0, -1.0, 0.3, 1.2])


def test_reg_gauss_target_is_the_strongest_signed_bump():
    P = np.array([[-4, 2.5], [0, 2.5], [4, -2.5], [0, -1.5], [0, 0], [6, 0]], dtype=float)
    # At a centre: its sign; 1 away from (0, -2.5): 1 - 1/2; (0, 0) is 2.5 from every bump's
    # centre row, (6, 0) 3.2 from the nearest: beyond the bumps' radius of 2, so 0.
    assert reg_gauss_target(P) == pytest.approx([1.0, -1.0, -1.0, 0.5, 0.0, 0.0])


@pytest.mark.parametrize("name, target", [("reg-plane", reg_plane_target), ("reg-gauss", reg_gauss_target)])
def test_noiseless_sets_carry_the_formula_s_target(name, target):
    d = load(name, n_samples=200, seed=4)
    assert d.is_regression and d.n_outputs == 1 and d.n_train + d.n_test == 200
    assert np.abs(d.X_train).max() <= 6.0
    np.testing.assert_allclose(d.targets_train[:, 0], target(d.X_train))
    np.testing.assert_allclose(d.targets_test[:, 0], target(d.X_test))


def test_the_seed_repeats_a_set_and_noise_moves_the_targets():
    a, b = load("reg-plane", seed=1), load("reg-plane", seed=1)
    np.testing.assert_array_equal(a.targets_train, b.targets_train)
    noisy = load("reg-plane", seed=1, noise=0.3)
    np.testing.assert_array_equal(noisy.X_train, a.X_train)  # noise moves where the target is read
    assert not np.allclose(noisy.targets_train[:, 0], reg_plane_target(noisy.X_train))


def test_a_builtin_set_refuses_the_other_task():
    with pytest.raises(ValueError, match="task must be classification"):
        load("moons", task="regression")
    with pytest.raises(ValueError, match="task must be regression"):
        load("reg-gauss", task="classification")


# ----- files with a float target

def write_csv(path, rows, header="x1,x2,target"):
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_a_csv_with_a_non_integer_target_is_regression(tmp_path):
    rows = [(i, i % 3, 0.5 * i) for i in range(20)]
    d = load(write_csv(tmp_path / "r.csv", rows), test_fraction=0.0)
    assert d.is_regression and d.feature_names == ["x1", "x2"]
    assert sorted(d.targets_train[:, 0]) == [0.5 * i for i in range(20)]


def test_a_float_target_asked_to_classify_names_line_and_column(tmp_path):
    path = write_csv(tmp_path / "r.csv", [(1, 2, 0), (3, 4, 1), (5, 6, 2.5)])
    with pytest.raises(DatasetError, match=r'line 4, column 3 \("target"\): label 2.5 is not an integer'):
        load(path, task="classification")


def test_integer_targets_classify_unless_regression_is_asked_for(tmp_path):
    path = write_csv(tmp_path / "c.csv", [(i, -i, i % 4) for i in range(20)])
    assert not load(path).is_regression
    d = load(path, task="regression")
    assert d.is_regression and set(np.concatenate([d.targets_train, d.targets_test])[:, 0]) == {0, 1, 2, 3}


def test_npz_float_target_is_regression_and_nan_is_refused(tmp_path):
    X = np.arange(20.0).reshape(10, 2)
    np.savez(tmp_path / "r.npz", X=X, y=X[:, 0] * 0.1)
    assert load(tmp_path / "r.npz").is_regression
    np.savez(tmp_path / "bad.npz", X=X, y=np.r_[np.full(9, 0.5), np.nan])
    with pytest.raises(DatasetError, match=r"y\[9\]: target nan is not a finite number"):
        load(tmp_path / "bad.npz", task="regression")


# ----- settings

def test_a_regression_run_has_a_linear_output_and_squared_error():
    run = cfg.build(cfg.RunConfig(dataset="reg-plane", hidden=(4,)))  # the default output is softmax
    assert (run.config.output, run.config.loss, run.net.sizes) == ("linear", "mse", (2, 4, 1))


@pytest.mark.parametrize("dataset, task", [("moons", "regression"), ("reg-plane", "classification"),
                                           ("points", "regression")])
def test_a_task_the_dataset_cannot_have_is_named(dataset, task):
    extra = {"points": ((0.0,), (1.0,)), "targets": ((0.0,), (1.0,))} if dataset == "points" else {}
    with pytest.raises(FieldError) as e:
        cfg.validate(cfg.RunConfig(dataset=dataset, task=task, **extra))
    assert e.value.field == "task"


# ----- training and R²

def test_r2_is_the_coefficient_of_determination():
    rng = np.random.default_rng(0)
    t, p = rng.normal(size=(30, 1)), rng.normal(size=(30, 1))
    assert r2_score(p, t) == pytest.approx(sklearn_r2(t, p))
    assert r2_score(t, t) == 1.0
    assert np.isnan(r2_score(p, np.ones((30, 1))))  # no variance to explain


def test_a_linear_model_fits_the_plane_and_the_history_carries_r2():
    run = cfg.build(cfg.RunConfig(dataset="reg-plane", hidden=(), lr=0.05, epochs=40))
    run.trainer.train(epochs=40)
    last = run.trainer.history.epochs.last()
    assert "train_acc" not in last and last["train_r2"] > 0.999 and last["test_r2"] > 0.999
    net, data = run.net, run.data
    assert last["test_r2"] == pytest.approx(sklearn_r2(data.targets_test, net.forward(data.X_test)))


def test_a_classifier_s_history_keeps_its_columns():
    run = cfg.build(cfg.RunConfig(dataset="moons", n_samples=100, hidden=(4,)))
    run.trainer.run_epoch()
    assert run.trainer.history.epochs.columns[:len(EPOCH_COLUMNS)] == EPOCH_COLUMNS
    assert "train_r2" not in run.trainer.history.epochs.last()


def test_gradcheck_on_a_regression_net():
    rng = np.random.default_rng(5)
    net = engine.Network([2, 5, 4, 1], activation="tanh", output="linear", loss="mse", l2=0.1, seed=2)
    X, T = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    r = engine.gradcheck(net, X, T)
    assert r.max_rel_error < 1e-6 and r.n_checked == net.params.size


def test_a_checkpoint_keeps_the_task_and_the_r2_history(tmp_path):
    from engine import checkpoint
    from mlp_tui.fields import load_checkpoint
    from mlp_tui.resume import build_run

    run = cfg.build(cfg.RunConfig(dataset="reg-gauss", hidden=(6,), n_samples=100))
    run.trainer.train(epochs=3)
    checkpoint.save(tmp_path / "r.npz", run.trainer, config=run.config)
    again = build_run(load_checkpoint(str(tmp_path / "r.npz")).config, load_checkpoint(str(tmp_path / "r.npz")))
    assert again.data.is_regression and again.trainer.epoch == 3
    np.testing.assert_array_equal(again.trainer.history.epochs.column("test_r2"),
                                  run.trainer.history.epochs.column("test_r2"))


# ----- headless

def test_headless_train_prints_r2_and_writes_it(tmp_path, capsys):
    from mlp_tui.cli import main

    out = tmp_path / "run.json"
    assert main(["train", "--dataset", "reg-plane", "--hidden", "", "--epochs", "3", "--progress", "plain",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("regression (linear output, squared error")
    final = text.splitlines()[-2]  # the test line of the summary
    assert "test_r2" in text and final.startswith("  test   loss") and "R\u00b2" in final
    written = json.loads(out.read_text())
    assert set(written["final"]) >= {"train_r2", "test_r2"} and "test_acc" not in written["final"]
    assert written["config"]["output"] == "linear" and "test_r2" in written["history"][0]


def test_headless_states_a_detected_float_target(tmp_path, capsys):
    from mlp_tui.cli import main

    path = write_csv(tmp_path / "r.csv", [(i, i * i % 7, i / 4) for i in range(40)])
    assert main(["train", "--dataset", str(path), "--epochs", "1", "--progress", "none"]) == 0
    assert capsys.readouterr().out.startswith("target has non-integer values: regression")


@pytest.mark.parametrize("argv, flag", [(["--dataset", "reg-plane", "--output", "softmax"], "--output"),
                                        (["--preset", "reg-gauss", "--loss", "cross_entropy"], "--loss"),
                                        (["--dataset", "moons", "--task", "regression"], "--task")])
def test_a_flag_a_regression_run_cannot_have_is_named(argv, flag, capsys):
    from mlp_tui.cli import main

    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mlp-tui: error: {flag}: ") and "\n" not in err


def test_a_settings_file_asks_for_regression(tmp_path, capsys):
    from mlp_tui.cli import main

    path = write_csv(tmp_path / "c.csv", [(i, -i, i % 3) for i in range(30)])  # integer targets
    (tmp_path / "run.toml").write_text(f'dataset = "{path}"\ntask = "regression"\nepochs = 1\n')
    assert main(["train", "--config", str(tmp_path / "run.toml"), "--progress", "none"]) == 0
    assert capsys.readouterr().out.startswith("regression (linear output")
