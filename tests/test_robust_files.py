"""Robustness against bad files: bad datasets (CSV/NPZ/IDX), checkpoints and TOML settings give one
message naming the file, in the dashboard and on the command line; seeded fuzzing of every loader
lets nothing but the engine's own errors out.

Run with ``pytest -s`` to see the figures (fuzz cases).
"""
from __future__ import annotations

import builtins
import contextlib
import errno
import gzip
import io
import json
import os
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Button, Input

from engine import checkpoint, config as cfg, datasets
from engine.errors import CheckpointError, DatasetError
from engine.network import Network
from mlp_tui import fields
from mlp_tui.cli import main
from mlp_tui.settings_file import ConfigFileError, load_config, write_config

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def unreadable(path: Path, monkeypatch):
    """``path`` cannot be opened: chmod 000, and for root (whom chmod does not stop, as on CI) an
    ``open`` that raises the PermissionError the kernel would raise for anyone else."""
    path.chmod(0)
    if IS_ROOT:
        real_open = builtins.open

        def guarded_open(file, *args, **kw):
            if isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == str(path.absolute()):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return real_open(file, *args, **kw)

        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)
    try:
        yield path
    finally:
        monkeypatch.undo()
        path.chmod(0o644)


# ----------------------------------------------------------------------------------- bad files


def _idx(kind: str, arr: np.ndarray) -> bytes:
    magic = 2051 if kind == "images" else 2049
    return (magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
            + arr.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """One valid file of each kind."""
    d = tmp_path_factory.mktemp("good")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    csv_path = d / "data.csv"
    csv_path.write_text("a,b,c,label\n" + "".join(f"{r[0]},{r[1]},{r[2]},{l}\n" for r, l in zip(X, y)))
    npz_path = d / "data.npz"
    np.savez(npz_path, X=X, y=y)
    mnist = d / "mnist"
    mnist.mkdir()
    images, labels = rng.integers(0, 256, size=(30, 4, 4)), np.arange(30) % 10
    (mnist / "train-images-idx3-ubyte").write_bytes(_idx("images", images))
    (mnist / "train-labels-idx1-ubyte").write_bytes(_idx("labels", labels))
    run = cfg.build(cfg.RunConfig(dataset="xor", hidden=(3,), batch_size="full", optimizer="sgd", lr=0.5))
    run.trainer.train(steps=5)
    ckpt = checkpoint.save(d / "run.npz", run.trainer, config=run.config)
    toml = d / "run.toml"
    write_config(toml, cfg.RunConfig(dataset="xor", hidden=(4,), lr=0.1))
    for p in (csv_path, npz_path, ckpt, toml):
        assert p.stat().st_size > 0
    assert datasets.load(str(mnist)).n_features == 16
    return {"csv": csv_path, "npz": npz_path, "mnist": mnist, "ckpt": ckpt, "toml": toml}


def _garbage(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


def bad_datasets(d: Path, good) -> dict[str, Path]:
    """Broken dataset files of every kind, by what is wrong with them."""
    rng = random.Random(1)
    out = {"missing": d / "missing.csv", "empty csv": d / "empty.csv", "empty npz": d / "empty.npz"}
    out["empty csv"].write_bytes(b"")
    out["empty npz"].write_bytes(b"")
    raw_npz = good["npz"].read_bytes()
    (d / "truncated.npz").write_bytes(raw_npz[:len(raw_npz) // 2])
    out["truncated npz"] = d / "truncated.npz"
    raw_csv = good["csv"].read_bytes()
    (d / "truncated.csv").write_bytes(raw_csv[:len(raw_csv) // 2 + 7])
    out["truncated csv"] = d / "truncated.csv"
    (d / "garbage.csv").write_bytes(_garbage(rng, 2000))
    out["binary garbage csv"] = d / "garbage.csv"
    (d / "garbage.npz").write_bytes(b"PK\x03\x04" + _garbage(rng, 2000))
    out["binary garbage npz"] = d / "garbage.npz"
    (d / "json.csv").write_text('{"X": [[1, 2]], "y": [0]}\n')
    out["wrong format (JSON as CSV)"] = d / "json.csv"
    out["wrong format (checkpoint as dataset)"] = good["ckpt"]
    np.savez(d / "flat.npz", X=np.arange(10.0), y=np.arange(10) % 2)
    out["wrong shape (1-D X)"] = d / "flat.npz"
    np.savez(d / "rows.npz", X=np.zeros((10, 2)), y=np.arange(7) % 2)
    out["wrong shape (X and y rows differ)"] = d / "rows.npz"
    (d / "ragged.csv").write_text("1,2,0\n3,4,1\n5,1\n")
    out["wrong shape (ragged CSV)"] = d / "ragged.csv"
    idx = d / "idx-truncated"
    idx.mkdir()
    (idx / "train-images-idx3-ubyte").write_bytes((good["mnist"] / "train-images-idx3-ubyte").read_bytes()[:200])
    (idx / "train-labels-idx1-ubyte").write_bytes((good["mnist"] / "train-labels-idx1-ubyte").read_bytes())
    out["truncated IDX"] = idx
    idx2 = d / "idx-magic"
    idx2.mkdir()
    (idx2 / "train-images-idx3-ubyte").write_bytes((good["mnist"] / "train-labels-idx1-ubyte").read_bytes())
    (idx2 / "train-labels-idx1-ubyte").write_bytes((good["mnist"] / "train-labels-idx1-ubyte").read_bytes())
    out["wrong format IDX (labels as images)"] = idx2
    idx3 = d / "idx-gz"
    idx3.mkdir()
    (idx3 / "train-images-idx3-ubyte.gz").write_bytes(_garbage(rng, 300))
    (idx3 / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress((good["mnist"] / "train-labels-idx1-ubyte").read_bytes()))
    out["binary garbage IDX .gz"] = idx3
    return out


def bad_checkpoints(d: Path, good) -> dict[str, Path]:
    rng = random.Random(2)
    raw = good["ckpt"].read_bytes()
    out = {"missing": d / "missing.npz", "empty": d / "empty.npz", "truncated": d / "truncated.npz",
           "binary garbage": d / "garbage.npz", "wrong format (a dataset .npz)": good["npz"],
           "wrong format (a TOML file)": good["toml"]}
    out["empty"].write_bytes(b"")
    out["truncated"].write_bytes(raw[:len(raw) * 2 // 3])
    out["binary garbage"].write_bytes(_garbage(rng, 3000))
    # A bare network (no settings inside) whose 5 inputs do not fit the dashboard's 2-D data.
    out["wrong shapes for the network"] = checkpoint.save(d / "other-net.npz", net=Network([5, 4, 2], seed=0))
    # A checkpoint whose own dataset file changed shape since it was saved (3 features, now 4).
    data = d / "grows.csv"
    data.write_text("".join(f"{i % 3},{i % 5},{i % 7},{i % 2}\n" for i in range(30)))
    run = cfg.build(cfg.RunConfig(dataset=str(data), hidden=(3,)))
    out["wrong shapes (its dataset changed)"] = checkpoint.save(d / "grows.npz", run.trainer, config=run.config)
    data.write_text("".join(f"{i % 3},{i % 5},{i % 7},{i % 4},{i % 2}\n" for i in range(30)))
    return out


def bad_settings(d: Path, good) -> dict[str, Path]:
    rng = random.Random(3)
    text = good["toml"].read_text()
    out = {"missing": d / "missing.toml", "empty": d / "empty.toml", "truncated": d / "truncated.toml",
           "binary garbage": d / "garbage.toml", "wrong format (JSON)": d / "json.toml",
           "wrong values": d / "values.toml", "wrong shape (a section)": d / "section.toml",
           "a folder": d}
    out["empty"].write_bytes(b"")
    out["truncated"].write_text(text[:text.index("lr = ") + 6].rstrip("0123456789.") + '"0.')
    out["binary garbage"].write_bytes(_garbage(rng, 500))
    out["wrong format (JSON)"].write_text(json.dumps({"lr": 0.1, "hidden": [4]}))
    out["wrong values"].write_text('lr = "fast"\nhidden = [8, 0]\n')
    out["wrong shape (a section)"].write_text("[network]\nhidden = [4]\n")
    return out


@pytest.fixture
def bad_files(tmp_path, good):
    d = {}
    for kind, make in (("dataset", bad_datasets), ("checkpoint", bad_checkpoints), ("settings", bad_settings)):
        folder = tmp_path / kind
        folder.mkdir()
        d[kind] = make(folder, good)
    return d


def _names(path: Path, message: str) -> bool:
    return str(path) in message


def test_bad_files_on_the_command_line_exit_1_naming_the_file(bad_files, capsys):
    flags = {"dataset": ["--dataset"], "checkpoint": ["--load"], "settings": ["--config"]}
    count = 0
    for kind, files in bad_files.items():
        for what, path in files.items():
            code = main(["train", *flags[kind], str(path), "--epochs", "1", "--progress", "none"])
            captured = capsys.readouterr()
            lines = [line for line in captured.err.splitlines() if line.strip()]
            assert code == 1, (kind, what, captured.err)
            assert "Traceback" not in captured.err
            assert len(lines) == 1, (kind, what, captured.err)
            assert lines[0].startswith("mlp-tui: error: ") and _names(path, lines[0]), (kind, what, lines[0])
            count += 1
    print(f"\nfiles: {count} bad files on the command line")


@pytest.mark.parametrize("kind", ["--dataset", "--load", "--config"])
def test_unreadable_files_on_the_command_line(tmp_path, good, kind, capsys, monkeypatch):
    source = {"--dataset": good["csv"], "--load": good["ckpt"], "--config": good["toml"]}[kind]
    path = tmp_path / f"locked{source.suffix}"
    path.write_bytes(source.read_bytes())
    with unreadable(path, monkeypatch):
        code = main(["train", kind, str(path), "--epochs", "1", "--progress", "none"])
    err = capsys.readouterr().err
    assert code == 1 and str(path) in err and "permission denied" in err and "Traceback" not in err


async def test_loading_bad_checkpoints_in_the_dashboard(app_factory, bad_files):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(3)
        net, params, step = app.session.net, app.session.net.params.copy(), app.session.trainer.step_count
        for what, path in bad_files["checkpoint"].items():
            await pilot.press("ctrl+o")
            app.screen.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await pilot.pause()
            assert str(path) in app.status_text, (what, app.status_text)
            assert app.query_one("#status").has_class("-error"), what
            assert "unchanged" in app.status_text
            assert app.session.net is net and app.session.trainer.step_count == step
            np.testing.assert_array_equal(app.session.net.params, params)
        assert app._exception is None


async def test_loading_an_unreadable_checkpoint_in_the_dashboard(app_factory, good, tmp_path, monkeypatch):
    path = tmp_path / "locked.npz"
    path.write_bytes(good["ckpt"].read_bytes())
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        params = app.session.net.params.copy()
        with unreadable(path, monkeypatch):
            await pilot.press("ctrl+o")
            app.screen.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await pilot.pause()
        assert str(path) in app.status_text and "permission denied" in app.status_text
        np.testing.assert_array_equal(app.session.net.params, params)


async def test_applying_bad_dataset_paths_in_the_dashboard(app_factory, bad_files):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(3)
        net, params = app.session.net, app.session.net.params.copy()
        field = app.query_one("#field-dataset", Input)
        field.focus()
        for what, path in bad_files["dataset"].items():
            field.value = str(path)
            await pilot.pause()
            assert not app.query_one("#apply", Button).disabled
            await pilot.press("enter")  # Enter in a field = Apply
            await pilot.pause()
            assert str(path) in app.status_text, (what, app.status_text)
            assert app.status_text.startswith("not applied, the current network is unchanged")
            assert app.session.net is net
            np.testing.assert_array_equal(app.session.net.params, params)
        assert app._exception is None


# ----------------------------------------------------------------------------------- loader fuzzing

FUZZ_CASES = 50  # per loader


def _mutants(raw: bytes, rng: random.Random, n: int):
    """Seeded random bytes, truncations and byte flips of a valid file."""
    for i in range(n):
        kind = i % 3
        if kind == 0:
            yield "random bytes", _garbage(rng, rng.choice([0, 1, 4, 64, 700, 3000]))
        elif kind == 1:
            yield "truncated", raw[:rng.randrange(len(raw))]
        else:
            data = bytearray(raw)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            yield "flipped bytes", bytes(data)


def _fuzz(loader, raw: bytes, path: Path, named: Path, rng, allowed) -> dict:
    outcomes = {"ok": 0, "error": 0}
    for what, data in _mutants(raw, rng, FUZZ_CASES):
        path.write_bytes(data)
        try:
            loader()
        except allowed as e:
            assert str(named) in str(e), (what, str(e))
            outcomes["error"] += 1
        except Exception as e:  # anything else escaping is the bug this test hunts
            pytest.fail(f"{what} ({len(data)} bytes) made {type(e).__name__} escape: {e}")
        else:
            outcomes["ok"] += 1
    return outcomes


@pytest.mark.parametrize("kind", ["csv", "npz", "npz-compressed", "idx-images", "idx-labels", "idx-gz",
                                  "checkpoint", "checkpoint-compressed", "toml"])
def test_fuzzed_files_only_raise_the_engines_errors(kind, good, tmp_path):
    rng = random.Random(f"fuzz-{kind}")
    if kind in ("csv", "npz"):
        path = tmp_path / f"fuzz.{kind}"
        outcomes = _fuzz(lambda: datasets.load(str(path)), good[kind].read_bytes(), path, path, rng, DatasetError)
    elif kind == "npz-compressed":
        path = tmp_path / "fuzz.npz"
        with np.load(good["npz"]) as z:
            np.savez_compressed(path, X=z["X"], y=z["y"])
        outcomes = _fuzz(lambda: datasets.load(str(path)), path.read_bytes(), path, path, rng, DatasetError)
    elif kind.startswith("idx"):
        folder = tmp_path / "mnist"
        folder.mkdir()
        names = {"idx-images": "train-images-idx3-ubyte", "idx-labels": "train-labels-idx1-ubyte",
                 "idx-gz": "train-images-idx3-ubyte"}
        gz = kind == "idx-gz"
        for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
            raw = (good["mnist"] / name).read_bytes()
            (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
        target = folder / (names[kind] + (".gz" if gz else ""))
        outcomes = _fuzz(lambda: datasets.load(str(folder)), target.read_bytes(), target, folder, rng,
                         DatasetError)
    elif kind.startswith("checkpoint"):
        path = tmp_path / "fuzz.npz"
        raw = good["ckpt"].read_bytes()
        if kind.endswith("compressed"):  # deflated members exercise zlib's error paths too
            with zipfile.ZipFile(good["ckpt"]) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
                for item in src.namelist():
                    dst.writestr(item, src.read(item))
            raw = path.read_bytes()

        current = cfg.RunConfig(dataset="xor", hidden=(3,))

        def load_and_restore():  # as Session.load does
            ckpt = fields.load_checkpoint(path)
            run = cfg.build(ckpt.config or current)
            if run.net.params.shape != ckpt.network.params.shape:
                raise CheckpointError(f"{path}: shape", str(path))
            checkpoint.restore_trainer(ckpt, run.trainer)
            run.trainer.train(steps=2)
            assert np.all(np.isfinite(run.net.params))

        outcomes = _fuzz(load_and_restore, raw, path, path, rng, (CheckpointError, DatasetError))
    else:
        path = tmp_path / "fuzz.toml"
        outcomes = _fuzz(lambda: load_config(path), good["toml"].read_bytes(), path, path, rng, ConfigFileError)
    assert outcomes["error"] > 0
    print(f"\nfuzz {kind}: {FUZZ_CASES} cases, {outcomes['error']} refused with a message, {outcomes['ok']} loaded")


def test_an_npz_header_claiming_a_huge_array_is_refused(tmp_path):
    """Regression: NumPy's MemoryError for an impossible shape used to escape both loaders."""
    path = tmp_path / "huge.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12, 3)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", header.getvalue() + b"\0" * 64)
        y = io.BytesIO()
        np.save(y, np.arange(4))
        z.writestr("y.npy", y.getvalue())
        z.writestr("meta.npy", y.getvalue())
    with pytest.raises(DatasetError, match="huge.npz"):
        datasets.load(str(path))
    with pytest.raises(CheckpointError, match="huge.npz"):
        checkpoint.load(path)
