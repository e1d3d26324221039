"""Requests larger than the memory budget (MLP_TUI_MEMORY_LIMIT) are refused before anything
big is allocated, with one line naming the sizes, the estimate and the limit."""
from __future__ import annotations

import gzip
import json
import struct
import tracemalloc

import numpy as np
import pytest

from engine import memory
from engine.errors import DatasetError
from engine.datasets import load
from mlp_tui.cli import main


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def peak_bytes(fn) -> int:
    """The most memory Python and NumPy held at once while ``fn`` ran."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("text, expected", [("2G", 2 << 30), ("512m", 512 << 20), ("1000", 1000),
                                            ("1.5GiB", 3 << 29)])
def test_the_budget_is_read_from_the_environment(text, expected, monkeypatch):
    monkeypatch.setenv(memory.ENV_VAR, text)
    assert memory.budget() == expected


@pytest.mark.parametrize("text", ["abc", "-1G", "0", "2X"])
def test_a_bad_budget_names_the_variable(text, monkeypatch, capsys):
    monkeypatch.setenv(memory.ENV_VAR, text)
    assert main(["train", "--preset", "xor-2-3-2", "--epochs", "1"]) == 1
    assert one_error_line(capsys.readouterr().err).startswith(f"mlp-tui: error: {memory.ENV_VAR}=")


def test_a_wide_deep_network_at_full_batch_is_refused_with_the_estimate(monkeypatch, capsys):
    monkeypatch.setenv(memory.ENV_VAR, "8G")
    code = main(["train", "--samples", "100000", "--hidden", ",".join(["1024"] * 10),
                 "--batch-size", "full", "--epochs", "1"])
    assert code == 1
    line = one_error_line(capsys.readouterr().err)
    # activations alone: 4 arrays x 10 x 1024 floats per row for the full batch (70,000 rows)
    assert "needs about" in line and "activations" in line and "the limit is 8 GiB" in line
    assert memory.ENV_VAR in line


def test_a_csv_with_thousands_of_labels_is_refused_before_one_hot_targets(tmp_path, monkeypatch, capsys):
    path = tmp_path / "labels.csv"
    n = 3000
    path.write_text("".join(f"{i * 0.001},{i % 7},{i}\n" for i in range(n)))
    monkeypatch.setenv(memory.ENV_VAR, "64M")  # the one-hot targets alone: 3000 x 3000 x 8 x 3 = 206 MiB
    assert main(["train", "--dataset", str(path), "--epochs", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "-3000 on" in line and "needs about" in line and "the limit is 64 MiB" in line


def test_a_gzip_bomb_is_refused_without_decompressing_it(tmp_path, monkeypatch):
    monkeypatch.setenv(memory.ENV_VAR, "18M")  # IDX files may decompress to 18M / 9 = 2 MiB
    folder = tmp_path / "mnist"
    folder.mkdir()
    header = struct.pack(">IIII", 2051, 100_000, 28, 28)  # 78 MB of pixels, all zero
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + bytes(78_400_000), 9))
    (folder / "train-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, 100_000) + bytes(100_000))
    errors = []

    def attempt():
        try:
            load(str(folder))
        except DatasetError as e:
            errors.append(str(e))

    assert peak_bytes(attempt) < 20 << 20
    assert "train-images-idx3-ubyte.gz: decompresses to more than 2 MiB" in errors[0]


def test_a_small_checkpoint_declaring_a_huge_network_is_refused_before_building_it(tmp_path, capsys):
    path = tmp_path / "huge.npz"
    sizes = [65536] + [1024] * 10 + [65536]  # 143 million parameters: 1 GiB per copy
    meta = {"format": "mlp-tui-checkpoint", "version": 1, "config": None,
            "network": {"sizes": sizes, "activation": "tanh", "output": "softmax", "loss": "cross_entropy"}}
    np.savez(path, params=np.zeros(3), meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    assert path.stat().st_size < 30_000
    codes = []
    assert peak_bytes(lambda: codes.append(main(["train", "--load", str(path), "--epochs", "1"]))) < 50 << 20
    assert codes == [1]
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "parameters have shape (3,)" in line


def test_a_checkpoint_whose_network_exceeds_the_budget_is_refused(tmp_path, monkeypatch, capsys):
    path = tmp_path / "big.npz"
    assert main(["train", "--dataset", "moons", "--samples", "100", "--hidden", "256,256", "--epochs", "1",
                 "--progress", "none", "--save", str(path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv(memory.ENV_VAR, "1M")  # 67,330 parameters x 8 bytes x 6 copies = 3.1 MiB
    assert main(["train", "--load", str(path), "--epochs", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "its network 2-256-256-2 needs about" in line and "limit is 1 MiB" in line
