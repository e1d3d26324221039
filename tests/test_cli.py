"""The mlp-tui command line: parsing, error messages and exit codes, headless training and its
outputs, settings files, colour resolution and what the dashboard would be launched with."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from engine import checkpoint
from engine.config import RunConfig
from engine.presets import PRESETS
from engine.trainer import Trainer
from mlp_tui import __version__
from mlp_tui.cli import main, resolve_color
from mlp_tui.fields import load_checkpoint
from mlp_tui.options import DashboardOptions
from mlp_tui.settings_file import ConfigFileError, read_config, write_config

REPO = Path(__file__).resolve().parents[1]
TINY = ["--preset", "xor-2-3-2", "--epochs", "20"]
SMALL = ["--dataset", "moons", "--samples", "100", "--epochs", "3"]


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ----------------------------------------------------------------------------------- basics


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mlp-tui {__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_help(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: mlp-tui" in out and "examples:" in out
    assert "--lr" in out and "--preset" in out


@pytest.mark.parametrize("argv, flag, words", [
    (["--lr", "abc"], "--lr", "Learning rate: must be a number from 1e-06 to 1000; got 'abc'"),
    (["--lr", "nan"], "--lr", "finite"),
    (["train", "--lr", "inf"], "--lr", "finite"),
    (["--hidden", "8,,8"], "--hidden", "layer 2 is empty"),
    (["--batch-size", "0"], "--batch-size", "Batch size"),
    (["--activation", "swish"], "--activation", "swish"),
    (["--preset", "nope"], "--preset", "xor-2-3-2"),
    (["--color", "purple"], "--color", "auto, color, ascii"),
    (["--fps", "99"], "--fps", "1 to 30"),
    (["--bogus"], "--bogus", "unknown option"),
    (["train", "--bogus", "1"], "--bogus", "unknown option"),
    (["train", "--lr"], "--lr", "expected one argument"),
    (["frobnicate"], "frobnicate", "unknown command"),
])
def test_bad_arguments_exit_2_with_one_line(argv, flag, words, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert line.startswith("mlp-tui: error: ")
    assert flag in line and words in line
    assert "usage" not in captured.err


def test_error_message_matches_the_form():
    # the exact line from the brief: the flag, then the engine's field message
    done = subprocess.run([sys.executable, "-m", "mlp_tui", "--lr", "abc"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "mlp-tui: error: --lr: Learning rate: must be a number from 1e-06 to 1000; got 'abc'\n"
    assert done.stdout == ""


# ----------------------------------------------------------------------------------- train


def test_train_writes_json_csv_and_checkpoint(tmp_path, capsys):
    j, c, s = tmp_path / "run.json", tmp_path / "run.csv", tmp_path / "run.npz"
    assert main(["train", *TINY, "--json", str(j), "--csv", str(c), "--save", str(s)]) == 0
    out = capsys.readouterr().out
    assert "epoch 20/20" in out and "completed" in out and "samples/s" in out

    data = json.loads(j.read_text())
    assert set(data) == {"config", "history", "final"}
    assert len(data["history"]) == 20
    assert data["config"]["hidden"] == [3] and data["config"]["epochs"] == 20
    assert {"train_loss", "test_acc", "epoch", "step"} <= set(data["history"][0])
    final = data["final"]
    assert final["status"] == "completed" and final["epoch"] == 20 and final["step"] == 20
    assert {"train_loss", "train_acc", "test_loss", "test_acc", "seconds", "samples_per_sec"} <= set(final)

    rows = list(csv.DictReader(c.open()))
    assert len(rows) == 20 and int(rows[-1]["epoch"]) == 20
    assert float(rows[0]["train_loss"]) == pytest.approx(data["history"][0]["train_loss"])

    ckpt = load_checkpoint(s)
    assert ckpt.config == PRESETS["xor-2-3-2"].config.replace(epochs=20)
    assert list(ckpt.network.sizes) == [2, 3, 2]


def test_plain_progress_lines(capsys):
    assert main(["train", *SMALL, "--progress", "plain"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/3  train_loss " in out and "test_acc " in out and "epoch 3/3" in out


def test_load_continues_training(tmp_path, capsys):
    s, j = tmp_path / "a.npz", tmp_path / "b.json"
    assert main(["train", *SMALL, "--save", str(s)]) == 0
    assert main(["train", "--load", str(s), "--epochs", "2", "--lr", "0.05", "--json", str(j)]) == 0
    data = json.loads(j.read_text())
    assert data["final"]["epoch"] == 5
    assert len(data["history"]) == 5  # the checkpoint's 3 epochs and 2 more
    assert data["config"]["lr"] == 0.05 and data["config"]["n_samples"] == 100


def test_missing_dataset_file(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["train", "--dataset", str(missing), "--epochs", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(missing) in line


def test_missing_dataset_file_in_a_subprocess(tmp_path):
    missing = tmp_path / "nope.csv"
    done = subprocess.run([sys.executable, "-m", "mlp_tui", "train", "--dataset", str(missing)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert str(missing) in one_error_line(done.stderr)


def test_corrupt_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    assert main(["train", "--load", str(bad)]) == 1
    assert str(bad) in one_error_line(capsys.readouterr().err)


def test_checkpoint_that_does_not_fit_the_flags(tmp_path, capsys):
    s = tmp_path / "a.npz"
    assert main(["train", *SMALL, "--save", str(s)]) == 0
    capsys.readouterr()
    assert main(["train", "--load", str(s), "--hidden", "4"]) == 1
    assert str(s) in one_error_line(capsys.readouterr().err)


def test_output_folder_missing_fails_before_training(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "run.json"
    assert main(["train", *SMALL, "--json", str(target)]) == 1
    captured = capsys.readouterr()
    assert str(target) in one_error_line(captured.err)
    assert "epoch" not in captured.out


def test_interrupt_writes_completed_epochs(tmp_path, capsys, monkeypatch):
    real = Trainer.run_epoch
    calls = {"n": 0}

    def run_epoch(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Trainer, "run_epoch", run_epoch)
    j, c, s = tmp_path / "i.json", tmp_path / "i.csv", tmp_path / "i.npz"
    code = main(["train", *TINY, "--json", str(j), "--csv", str(c), "--save", str(s)])
    assert code == 130
    assert "interrupted at epoch 2, step 2" in capsys.readouterr().err
    data = json.loads(j.read_text())
    assert len(data["history"]) == 2 and data["final"]["status"] == "interrupted"
    assert len(list(csv.DictReader(c.open()))) == 2
    assert checkpoint.load(s).metadata["progress"]["epoch"] == 2


def test_divergence_exits_1_and_names_the_layer(tmp_path, capsys):
    j = tmp_path / "d.json"
    assert main(["train", "--preset", "lr-too-high", "--json", str(j)]) == 1
    err = capsys.readouterr().err
    assert "Diverged" in err and "in layer " in err and "Traceback" not in err
    data = json.loads(j.read_text())  # outputs are still written
    assert data["final"]["status"] == "diverged"
    assert "layer" in data["final"]["divergence"]


def test_divergence_in_a_subprocess():
    done = subprocess.run([sys.executable, "-m", "mlp_tui", "train", "--preset", "lr-too-high"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "in layer " in done.stderr and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------------- settings files


def test_config_file_and_flag_precedence(tmp_path, monkeypatch):
    toml = tmp_path / "run.toml"
    toml.write_text('lr = 0.5\nhidden = [4, 3]\nbatch_size = "full"\n')
    launched = fake_dashboard(monkeypatch)
    assert main(["--preset", "moons", "--config", str(toml), *SMALL]) == 0
    config = launched["config"]
    assert config.lr == 0.5 and config.hidden == (4, 3) and config.batch_size == "full"
    assert config.noise == 0.2  # from the preset, which the file did not change
    assert main(["--preset", "moons", "--config", str(toml), "--lr", "0.02", *SMALL]) == 0
    assert launched["config"].lr == 0.02 and launched["config"].hidden == (4, 3)
    assert launched["options"].config_path == str(toml)


def test_bad_toml_names_the_file_and_the_line(tmp_path, capsys):
    toml = tmp_path / "bad.toml"
    toml.write_text('lr = 0.5\nhidden = = [4]\n')
    assert main(["train", "--config", str(toml)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(toml) in line and "line 2" in line
    with pytest.raises(ConfigFileError) as info:
        read_config(toml)
    assert info.value.line == 2


@pytest.mark.parametrize("text, words", [
    ('lr = "abc"\n', "Learning rate"),
    ("learning_rate = 1\n", "unknown setting 'learning_rate'"),
    ("[run]\nlr = 1\n", "sections"),
])
def test_bad_settings_in_a_file(tmp_path, capsys, text, words):
    toml = tmp_path / "s.toml"
    toml.write_text(text)
    assert main(["train", "--config", str(toml)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(toml) in line and words in line


def test_missing_config_file(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "none.toml")]) == 1
    assert "none.toml" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("config", [RunConfig()] + [p.config for p in PRESETS.values()] + [
    RunConfig(dataset='my "data".csv', hidden=(), batch_size="full", standardize=True, lr=1e-6,
              noise=0.0, seed=2**32 - 1, test_fraction=0.25)])
def test_write_read_round_trip(tmp_path, config):
    from mlp_tui.settings_file import load_config

    path = tmp_path / "settings.toml"
    write_config(path, config)
    assert load_config(path) == config
    assert "None" not in path.read_text()


def test_write_config_to_missing_folder(tmp_path):
    with pytest.raises(ConfigFileError, match="does not exist"):
        write_config(tmp_path / "no" / "s.toml", RunConfig())


# ----------------------------------------------------------------------------------- colour


@pytest.mark.parametrize("env, expected", [
    ({"NO_COLOR": "1", "TERM": "xterm-256color", "COLORTERM": "truecolor"}, "ascii"),
    ({"TERM": "dumb"}, "ascii"),
    ({}, "ascii"),
    ({"TERM": "xterm"}, "ascii"),
    ({"TERM": "linux"}, "ascii"),
    ({"TERM": "xterm-256color"}, "color"),
    ({"TERM": "screen-256color"}, "color"),
    ({"TERM": "xterm", "COLORTERM": "truecolor"}, "color"),
    ({"COLORTERM": "24bit"}, "color"),
    ({"NO_COLOR": "", "TERM": "xterm-256color"}, "color"),  # empty NO_COLOR does not count
])
def test_resolve_color_auto(env, expected):
    assert resolve_color("auto", env) == expected


def test_resolve_color_explicit_choice_wins():
    assert resolve_color("color", {"NO_COLOR": "1", "TERM": "dumb"}) == "color"
    assert resolve_color("ascii", {"COLORTERM": "truecolor"}) == "ascii"


# ----------------------------------------------------------------------------------- dashboard


def fake_dashboard(monkeypatch, result=0):
    """Replace mlp_tui.app (maybe not written yet) with a module whose run_dashboard records its call."""
    launched = {}

    def run_dashboard(run, options):
        launched.update(config=run.config, options=options, run=run)
        return result

    module = types.ModuleType("mlp_tui.app")
    module.run_dashboard = run_dashboard
    monkeypatch.setitem(sys.modules, "mlp_tui.app", module)
    monkeypatch.setattr("mlp_tui.cli.has_terminal", lambda: True)  # pytest captures stdout
    return launched


def test_dashboard_gets_config_and_options(monkeypatch):
    launched = fake_dashboard(monkeypatch)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["--preset", "xor-2-3-2", "--lr", "2", "--no-color", "--no-mouse", "--fps", "5"]) == 0
    assert launched["config"] == PRESETS["xor-2-3-2"].config.replace(lr=2.0)
    assert launched["options"] == DashboardOptions(color="ascii", mouse=False, low_bandwidth=False, fps=5.0,
                                                   preset="xor-2-3-2", config_path=None)
    run = launched["run"]
    assert run.trainer is not None and run.data.n_train > 0 and run.trainer.epoch == 0


def test_dashboard_defaults(monkeypatch):
    launched = fake_dashboard(monkeypatch, result=None)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(SMALL) == 0
    options = launched["options"]
    assert options.color == "color" and options.mouse and not options.low_bandwidth and options.fps == 10.0
    assert launched["config"] == RunConfig(n_samples=100, epochs=3)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([*SMALL, "--low-bandwidth"]) == 0
    assert launched["options"].color == "ascii" and launched["options"].low_bandwidth


def test_dashboard_status_is_returned(monkeypatch):
    fake_dashboard(monkeypatch, result=3)
    assert main(SMALL) == 3


def test_bad_dataset_never_opens_the_dashboard(monkeypatch, tmp_path, capsys):
    launched = fake_dashboard(monkeypatch)
    assert main(["--dataset", str(tmp_path / "x.csv")]) == 1
    assert launched == {}
    assert "x.csv" in one_error_line(capsys.readouterr().err)


def test_dashboard_with_checkpoint(monkeypatch, tmp_path):
    s = tmp_path / "a.npz"
    assert main(["train", *SMALL, "--save", str(s)]) == 0
    launched = fake_dashboard(monkeypatch)
    assert main(["--load", str(s)]) == 0
    assert launched["run"].trainer.epoch == 3
    assert (launched["run"].net.params == checkpoint.load(s).network.params).all()


# ----------------------------------------------------------------------------------- worked examples


def test_log_every_keeps_exactly_the_requested_epochs(tmp_path, capsys):
    j, c = tmp_path / "run.json", tmp_path / "run.csv"
    assert main(["train", "--preset", "mazur-2-2-2", "--epochs", "3000", "--log-every", "1000",
                 "--json", str(j), "--csv", str(c)]) == 0
    assert [r["epoch"] for r in json.loads(j.read_text())["history"]] == [1000, 2000, 3000]
    assert [int(r["epoch"]) for r in csv.DictReader(c.open())] == [1000, 2000, 3000]


def test_steps_stop_after_that_many_mini_batches(tmp_path, capsys):
    j = tmp_path / "run.json"
    assert main(["train", *SMALL, "--batch-size", "10", "--steps", "25", "--log-every", "5",
                 "--progress", "plain", "--json", str(j)]) == 0
    data = json.loads(j.read_text())
    assert data["final"]["step"] == 25 and data["final"]["epoch"] == 3  # 7 steps per epoch of 70
    assert [r["step"] for r in data["history"]] == [5, 10, 15, 20, 25]
    assert "step 25/25" in capsys.readouterr().out


def test_test_fraction_zero_trains_on_every_point(tmp_path, capsys):
    j = tmp_path / "run.json"
    assert main(["train", *SMALL, "--test-fraction", "0", "--progress", "plain", "--json", str(j)]) == 0
    out = capsys.readouterr().out
    assert "test   loss -  accuracy -" in out
    final = json.loads(j.read_text())["final"]
    assert final["test_loss"] is None and final["test_acc"] is None and final["train_acc"] is not None
    assert final["step"] == 3 * 4  # 100 points in batches of 32, none held out


def test_bad_init_weights_file_exits_2_naming_the_file_and_the_array(tmp_path, capsys):
    weights = tmp_path / "w.json"
    weights.write_text('{"W1": [[1, 2]], "b1": [0, 0], "W2": [[1, 2], [3, 4]], "b2": [0, 0]}')
    assert main(["train", "--preset", "mazur-2-2-2", "--init-weights", str(weights)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(weights) in line and "W1 has shape (1, 2)" in line
    weights.write_text("{not json")
    assert main(["train", "--preset", "mazur-2-2-2", "--init-weights", str(weights)]) == 2
    assert str(weights) in one_error_line(capsys.readouterr().err)


def test_a_worked_example_from_a_settings_file(tmp_path, capsys):
    weights, toml, j = tmp_path / "w.npz", tmp_path / "mazur.toml", tmp_path / "run.json"
    import numpy as np
    np.savez(weights, W1=[[0.15, 0.25], [0.20, 0.30]], b1=[0.35, 0.35], W2=[[0.40, 0.50], [0.45, 0.55]],
             b2=[0.60, 0.60])
    toml.write_text(f'dataset = "points"\npoints = [[0.05, 0.10]]\ntargets = [[0.01, 0.99]]\nhidden = [2]\n'
                    f'activation = "sigmoid"\noutput = "sigmoid"\nloss = "mse"\noptimizer = "sgd"\nlr = 0.5\n'
                    f'batch_size = "full"\ninit_weights = "{weights}"\nbias = true\ngrad_scale = "sum"\n')
    assert main(["train", "--config", str(toml), "--steps", "1", "--log-every", "1", "--json", str(j)]) == 0
    data = json.loads(j.read_text())
    assert data["config"]["points"] == [[0.05, 0.10]] and data["config"]["grad_scale"] == "sum"
    # One sample: the summed gradient is the mean one, so Mazur's published w5 after one step.
    s = tmp_path / "m.npz"
    assert main(["train", "--config", str(toml), "--steps", "1", "--save", str(s)]) == 0
    assert checkpoint.load(s).network.layers[1].W[0, 0] == pytest.approx(0.35891648, abs=1e-8)


def test_a_bare_checkpoint_without_biases_continues(tmp_path, capsys):
    from engine.network import Network

    path = checkpoint.save(tmp_path / "bare.npz", net=Network([2, 3, 2], bias=False, grad_scale="sum"))
    j = tmp_path / "run.json"
    assert main(["train", "--load", str(path), "--dataset", "xor", "--epochs", "1", "--json", str(j)]) == 0
    config = json.loads(j.read_text())["config"]
    assert (config["bias"], config["grad_scale"]) == (False, "sum")
