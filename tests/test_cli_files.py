"""Files given on the command line: settings of the wrong type, nesting that would exhaust the
parser's recursion, pipes and devices as inputs, outputs that would overwrite an input, and
what an output path may be. Every problem is one line naming the file or the flag."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlp_tui.fields import FIELDS
from mlp_tui.cli import main


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# A TOML value of the wrong type for each kind of field.
WRONG_TYPE = {"int": "true", "float": "[0.1]", "batch": "false", "choice": "5", "text": "7",
              "bool": "1", "layers": "8", "matrix": "[[\"a\"]]",
              "features": "5", "rates": "[true]"}


@pytest.mark.parametrize("name", list(FIELDS))
def test_every_key_with_a_wrong_typed_value_is_one_line_naming_it(name, tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(f"{name} = {WRONG_TYPE[FIELDS[name].kind]}\n")
    assert main(["train", "--config", str(path), "--epochs", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and f"{FIELDS[name].label}: {name} must be" in line


def test_hidden_as_a_number_names_the_list_it_needs(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text("hidden = 8\n")
    assert main(["train", "--config", str(path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "Hidden layers: hidden must be a list of whole numbers" in line


def test_deeply_nested_toml_is_one_line_naming_the_file(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("hidden = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["train", "--config", str(path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "nested too deeply" in line


def test_deeply_nested_checkpoint_metadata_is_one_line_naming_the_file(tmp_path, capsys):
    path = tmp_path / "deep.npz"
    np.savez(path, meta=np.frombuffer(b"[" * 200_000, dtype=np.uint8), params=np.zeros(3))
    assert main(["train", "--load", str(path)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "nested too deeply" in line


@pytest.mark.parametrize("X, y, words", [
    (np.zeros((0, 3)), np.zeros(0, dtype=int), "X is empty"),
    (np.zeros((4, 70_000)), np.array([0, 1, 0, 1]), "70000 features"),
    (np.zeros((70_000, 2)), np.arange(70_000), "70000 classes"),
], ids=["no-rows", "too-many-features", "too-many-classes"])
def test_an_npz_the_network_cannot_take_names_the_file(X, y, words, tmp_path, capsys):
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    assert main(["train", "--dataset", str(path), "--epochs", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and words in line


# ----------------------------------------------------------------------------------- pipes and devices

REPO = Path(__file__).resolve().parents[1]
LOAD_STDIN = ("import sys; from engine import datasets; d = datasets.load('/dev/stdin'); "
              "print(d.n_train + d.n_test, ','.join(d.feature_names), d.n_classes)")


def _load_from_a_pipe(data: bytes) -> str:
    done = subprocess.run([sys.executable, "-c", LOAD_STDIN], input=data, capture_output=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


def test_a_csv_read_from_a_pipe_keeps_every_row_and_the_header():
    rows = "".join(f"{i % 7}.5,{i % 11},{i % 3}\n" for i in range(50_000))
    assert _load_from_a_pipe(("width,height,kind\n" + rows).encode()) == "50000 width,height 3"


def test_a_small_csv_read_from_a_pipe_is_not_empty():
    assert _load_from_a_pipe(b"1,2,0\n3,4,1\n5,6,0\n7,8,1\n") == "4 x1,x2 2"


def test_an_npz_read_from_a_pipe(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(20.0).reshape(10, 2), y=np.arange(10) % 2)
    assert _load_from_a_pipe(path.read_bytes()) == "10 x1,x2 2"


def _run_cli(*argv: str) -> tuple[int, str]:
    """A real process, so that a hang fails the test (timeout) instead of stalling the suite."""
    done = subprocess.run([sys.executable, "-m", "mlp_tui", "train", *argv, "--epochs", "1"],
                          capture_output=True, cwd=REPO, timeout=120, stdin=subprocess.DEVNULL)
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize("flag", ["--dataset", "--config", "--load"])
def test_a_fifo_nobody_writes_to_is_refused_without_hanging(flag, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, err = _run_cli(flag, str(fifo))
    assert code == 1 and "nothing written" in one_error_line(err) and str(fifo) in err


@pytest.mark.parametrize("flag", ["--dataset", "--config", "--load"])
def test_a_device_is_refused_instead_of_read_forever(flag):
    code, err = _run_cli(flag, "/dev/zero")
    assert code == 1 and one_error_line(err) == "mlp-tui: error: /dev/zero: cannot read a device; give a regular file"


# ----------------------------------------------------------------------------------- outputs over inputs


@pytest.fixture
def inputs(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    settings = tmp_path / "l.toml"
    settings.write_text("epochs = 1\n")
    return data, settings


@pytest.mark.parametrize("argv, flags", [
    (["--dataset", "{d}", "--save", "{d}"], ("--save", "--dataset")),
    (["--dataset", "{d}", "--csv", "{d}"], ("--csv", "--dataset")),
    (["--dataset", "{d}", "--config", "{t}", "--json", "{t}"], ("--json", "--config")),
    (["--dataset", "{d}", "--json", "{x}", "--csv", "{x}"], ("--json", "--csv")),
    (["--dataset", "{d}", "--json", "{x}", "--save", "{dir}/sub/../x"], ("--json", "--save")),
    (["--dataset", "{d}", "--json", "{link}"], ("--json", "--dataset")),
])
def test_an_output_over_an_input_or_another_output_is_refused_before_training(argv, flags, inputs, tmp_path,
                                                                              capsys):
    data, settings = inputs
    (tmp_path / "sub").mkdir()
    os.link(data, tmp_path / "hard.csv")
    names = {"d": data, "t": settings, "x": tmp_path / "x", "dir": tmp_path, "link": tmp_path / "hard.csv"}
    before = {p: p.read_bytes() for p in (data, settings)}
    code = main(["train", *(a.format(**names) for a in argv), "--progress", "none"])
    out, err = capsys.readouterr()
    assert code == 2
    line = one_error_line(err)
    assert all(flag in line for flag in flags), line
    assert out == "" and not (tmp_path / "x").exists()  # nothing trained, nothing written
    assert {p: p.read_bytes() for p in (data, settings)} == before


def test_a_dataset_from_a_settings_file_is_protected_too(inputs, capsys):
    data, settings = inputs
    settings.write_text(f'dataset = "{data}"\nepochs = 1\n')
    assert main(["train", "--config", str(settings), "--save", str(data)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--save" in line and "the dataset (from --config)" in line


def test_saving_over_the_loaded_checkpoint_is_allowed(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert main(["train", "--preset", "xor-2-3-2", "--epochs", "2", "--progress", "none", "--save", str(path)]) == 0
    assert main(["train", "--load", str(path), "--epochs", "2", "--progress", "none", "--save", str(path)]) == 0
    assert main(["train", "--load", str(path), "--epochs", "1", "--progress", "none"]) == 0
    assert "epoch 5" in capsys.readouterr().out
