"""``mlp-tui export``: a checkpoint's weights, data and history written and read back; bad
command lines are one line and exit 2."""
import csv
import json

import numpy as np
import pytest

from engine import datasets
from mlp_tui.cli import main
from mlp_tui.fields import load_checkpoint


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    assert main(["train", "--dataset", "moons", "--samples", "60", "--hidden", "5", "--epochs", "3",
                 "--save", str(path), "--progress", "none"]) == 0
    return path


def one_error_line(capsys, *words):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlp-tui: error: "), err
    for word in words:
        assert word in lines[0], lines[0]


def test_the_exports_hold_the_checkpoints_arrays(checkpoint, tmp_path, capsys):
    out = {name: tmp_path / name for name in ("w.json", "w.npz", "d.csv", "h.csv", "h.json")}
    assert main(["export", "--load", str(checkpoint), "--weights", str(out["w.json"]), "--data",
                 str(out["d.csv"]), "--history", str(out["h.csv"])]) == 0
    assert main(["export", "--load", str(checkpoint), "--weights", str(out["w.npz"]),
                 "--history", str(out["h.json"])]) == 0
    net = load_checkpoint(str(checkpoint)).network
    record = json.loads(out["w.json"].read_text())
    with np.load(out["w.npz"]) as npz:
        for l, layer in enumerate(net.layers, start=1):
            np.testing.assert_array_equal(np.array(record["layers"][l - 1]["W"]), layer.W)
            np.testing.assert_array_equal(npz[f"b{l}"], layer.b)
            assert record["layers"][l - 1]["shape"] == list(layer.W.shape)
    data = datasets.load(str(out["d.csv"]), test_fraction=0)
    assert data.n_train == 60 and data.n_classes == 2
    rows = list(csv.DictReader(out["h.csv"].open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    history = json.loads(out["h.json"].read_text())["history"]
    assert [r["train_loss"] for r in history] == [float(r["train_loss"]) for r in rows]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    ([], ["at least one of --weights, --data, --history"]),
    (["--weights", "w.txt"], ["--weights w.txt", ".json or .npz"]),
    (["--data", "d.json"], ["--data d.json", ".csv"]),
    (["--history", "h.npz"], ["--history h.npz", ".csv or .json"]),
])
def test_a_bad_export_command_line_is_one_line_and_exit_2(checkpoint, args, words, capsys):
    assert main(["export", "--load", str(checkpoint), *args]) == 2
    one_error_line(capsys, *words)


def test_an_export_may_not_overwrite_the_data_it_was_trained_on(tmp_path, capsys):
    src = tmp_path / "pts.csv"
    src.write_text("x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n0.5,0.5,0\n0.2,0.9,1\n")
    ckpt = tmp_path / "run.npz"
    assert main(["train", "--dataset", str(src), "--epochs", "1", "--save", str(ckpt), "--progress", "none"]) == 0
    before = src.read_text()
    assert main(["export", "--load", str(ckpt), "--data", str(src)]) == 2
    one_error_line(capsys, "--data", "would overwrite")
    assert src.read_text() == before


def test_a_missing_checkpoint_or_folder_is_one_line_and_exit_1(checkpoint, tmp_path, capsys):
    assert main(["export", "--load", str(tmp_path / "nope.npz"), "--data", str(tmp_path / "d.csv")]) == 1
    one_error_line(capsys, "nope.npz")
    assert main(["export", "--load", str(checkpoint), "--data", str(tmp_path / "no" / "d.csv")]) == 1
    one_error_line(capsys, "does not exist")
    assert main(["export", "--weights", "w.json"]) == 2
    one_error_line(capsys, "--load")
