"""Stopping ``mlp-tui train``: ctrl+c, SIGTERM, SIGHUP and a broken stdout pipe all write what
was completed (JSON, CSV, checkpoint, consistent with one another), a second signal while the
outputs are written cannot lose them, and a run resumed from the checkpoint has no gap."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine import checkpoint
from engine.trainer import Trainer
from mlp_tui import headless
from mlp_tui.cli import main

REPO = Path(__file__).resolve().parents[1]
RUN = ["--dataset", "moons", "--samples", "100", "--batch-size", "16", "--progress", "none"]
STATUS = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


def outputs(tmp_path, name="run"):
    paths = [tmp_path / f"{name}.{ext}" for ext in ("json", "csv", "npz")]
    return paths, ["--json", str(paths[0]), "--csv", str(paths[1]), "--save", str(paths[2])]


def signal_during_evaluation(monkeypatch, signum, at_epoch):
    """Send ``signum`` while the trainer evaluates the end of epoch ``at_epoch``: after its
    epoch counter moved on, before that epoch's history row exists."""
    real = Trainer.evaluate

    def evaluate(self):
        if self.epoch == at_epoch:
            os.kill(os.getpid(), signum)
        return real(self)

    monkeypatch.setattr(Trainer, "evaluate", evaluate)


def signal_while_writing(monkeypatch, signum):
    """A second signal when the JSON is being written (before the CSV and the checkpoint)."""
    real = headless.write_json

    def write_json(*args, **kw):
        os.kill(os.getpid(), signum)
        return real(*args, **kw)

    monkeypatch.setattr(headless, "write_json", write_json)


@pytest.mark.parametrize("name", list(STATUS))
def test_a_signal_writes_every_completed_epoch_even_when_repeated(name, tmp_path, monkeypatch, capsys):
    signum = getattr(signal, name)
    signal_during_evaluation(monkeypatch, signum, at_epoch=4)
    signal_while_writing(monkeypatch, signum)
    (j, c, s), flags = outputs(tmp_path)
    before = signal.getsignal(signum)
    assert main(["train", *RUN, "--epochs", "10", *flags]) == STATUS[name]
    err = capsys.readouterr().err
    assert "Traceback" not in err and "interrupted" in err and "at epoch 4," in err
    data = json.loads(j.read_text())
    assert data["final"]["status"] == "interrupted" and data["final"]["epoch"] == 4
    assert [row["epoch"] for row in data["history"]] == [1, 2, 3, 4]
    assert [int(row["epoch"]) for row in csv.DictReader(c.open())] == [1, 2, 3, 4]
    assert checkpoint.load(s).metadata["progress"]["epoch"] == 4
    assert signal.getsignal(signum) is before  # the handler is restored


def test_a_run_resumed_after_ctrl_c_has_no_gap_and_matches_an_uninterrupted_one(tmp_path, monkeypatch, capsys):
    (_, _, whole), flags = outputs(tmp_path, "whole")
    assert main(["train", *RUN, "--epochs", "8", *flags]) == 0
    with monkeypatch.context() as m:
        signal_during_evaluation(m, signal.SIGINT, at_epoch=3)
        (_, _, part), flags = outputs(tmp_path, "part")
        assert main(["train", *RUN, "--epochs", "8", *flags]) == 130
    assert main(["train", "--load", str(part), "--epochs", "5", "--progress", "none", *flags]) == 0
    capsys.readouterr()
    a, b = checkpoint.load(whole), checkpoint.load(part)
    assert list(b.history["epochs/epoch"]) == list(range(1, 9))
    np.testing.assert_array_equal(a.network.params, b.network.params)


class ClosedPipe(io.StringIO):
    """stdout whose reader goes away after the first line (``mlp-tui train | head -1``)."""

    def write(self, text):
        if "\n" in self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_broken_stdout_pipe_stops_like_a_signal_and_writes_the_outputs(tmp_path, capsys):
    from engine import config as cfg

    run = cfg.build(cfg.RunConfig(dataset="moons", n_samples=100, epochs=50))
    (j, c, s), _ = outputs(tmp_path)
    stream = ClosedPipe()
    code = headless.run_headless(run, 50, json_path=j, csv_path=c, save_path=s, progress="plain", stream=stream)
    assert code == 128 + signal.SIGPIPE
    assert stream.getvalue().startswith("epoch 5/50")
    assert "interrupted (broken pipe) at epoch 10," in capsys.readouterr().err
    assert len(json.loads(j.read_text())["history"]) == 10 and s.exists() and c.exists()


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_two_signals_10_ms_apart_to_a_real_process_still_write_the_outputs(name, tmp_path):
    (j, c, s), flags = outputs(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "train", "--preset", "moons", "--epochs", "2000",
                             "--progress", "plain", *flags], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith(b"epoch "), proc.stderr.read().decode()
        proc.send_signal(getattr(signal, name))
        time.sleep(0.01)
        proc.send_signal(getattr(signal, name))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == STATUS[name], err.decode()
    data = json.loads(j.read_text())
    assert data["final"]["epoch"] == data["history"][-1]["epoch"] >= 200
    assert c.exists() and checkpoint.load(s).metadata["progress"]["epoch"] == data["final"]["epoch"]
