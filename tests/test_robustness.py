"""Robustness: hostile input everywhere a user can type or point at a file, a diverging run, torn
writes, and a long run's memory.

- Form fields: every Input of the form fed nasty text through the Pilot (and typed key by key),
  plus Hypothesis properties over ``engine.config.parse_field`` and the form's ``_accept`` path.
- Command line: every flag with a bad value exits 2 with one line naming the flag.
- Files: bad datasets (CSV/NPZ/IDX), checkpoints and TOML settings give one message naming the
  file, in the dashboard and on the command line; seeded fuzzing of every loader lets nothing
  but the engine's own errors out.
- Divergence: the watchdog pauses, names the layer and the gradient norm, keeps the parameters
  finite and no NaN reaches a widget; a lower learning rate trains again.
- Atomic writes: history JSON/CSV writers SIGKILLed at random moments never leave a torn file.
- Long runs: 2*10^5 (or MLP_TUI_LONG_STEPS) XOR steps under tracemalloc: no growth.

Run with ``pytest -s`` to see the figures (values tried, fuzz cases, kill trials, memory peak).
"""
from __future__ import annotations

import builtins
import contextlib
import csv
import errno
import gzip
import math
import io
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from textual.widgets import Button, Input, Label, Sparkline, Static

from engine import checkpoint, config as cfg, datasets
from engine.errors import CheckpointError, DatasetError, EngineError
from engine.network import MAX_HIDDEN_WIDTH, Network
from engine.trainer import Trainer
from helpers import screen_text
from mlp_tui.cli import FLAG_NAMES, main
from mlp_tui.settings_file import ConfigFileError, load_config, write_config
from mlp_tui.widgets.hyperparams import ORDER

REPO = Path(__file__).resolve().parents[1]
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

# ----------------------------------------------------------------------------------- helpers

NASTY = ["", "   ", "\t", "nan", "NaN", "inf", "-inf", "-0", "1e309", "1e-400", "9" * 60, "-" + "9" * 40,
         "1" + "0" * 150, "٣", "１２", "ünïcødé ✓", "\u200b", "x" * 10_240, "8,,8", "0", "-3", "100000",
         "8;8", "full", "1_000", "0x10", "8, 8", ","]

INPUT_FIELDS = [name for name in ORDER if cfg.FIELDS[name].kind not in ("choice", "bool")]


def range_words(name: str) -> str:
    """Text every error message of field ``name`` must contain: its allowed range (or, for the
    dataset's free text, what it accepts)."""
    f = cfg.FIELDS[name]
    if f.kind in ("int", "batch"):
        return f"from {int(f.lo)} to {int(f.hi)}"
    if f.kind == "float":
        return f"from {f.lo:g} to {f.hi:g}"
    if f.kind == "layers":
        return f"1 to {MAX_HIDDEN_WIDTH}"
    if f.kind == "choice":
        return ", ".join(f.choices)
    if f.kind == "bool":
        return "true or false"
    return f.help


def check_message(name: str, message: str) -> None:
    label = cfg.FIELDS[name].label
    assert message.startswith(f"{label}: "), message
    assert range_words(name) in message, message
    assert "\n" not in message


def check_value(name: str, value) -> None:
    """``value`` is a valid value of field ``name`` (in range, in choices)."""
    f = cfg.FIELDS[name]
    if value is None:
        assert f.optional
    elif f.kind in ("int", "float"):
        assert isinstance(value, int if f.kind == "int" else float) and not isinstance(value, bool)
        assert f.lo <= value <= f.hi
    elif f.kind == "batch":
        assert value == "full" or (isinstance(value, int) and f.lo <= value <= f.hi)
    elif f.kind == "layers":
        assert isinstance(value, tuple) and all(1 <= w <= MAX_HIDDEN_WIDTH for w in value)
    elif f.kind == "choice":
        assert value in f.choices
    elif f.kind == "bool":
        assert isinstance(value, bool)
    elif f.kind == "matrix":
        assert isinstance(value, tuple) and all(len(row) == len(value[0]) for row in value)
        assert all(type(x) is float and math.isfinite(x) for row in value for x in row)
    else:
        assert isinstance(value, str) and value.strip() == value and value


def trainer_state(session) -> tuple:
    """Everything a live change could touch in the running trainer."""
    t = session.trainer
    return (session.config, t.lr, t.batch_size, t.net.l1, t.net.l2, t.clip_norm, t.clip_value,
            t.schedule.name, repr(t.schedule.params()), repr(t.optimizer.hyperparameters()))


def widget_text(app, selector: str) -> str:
    return str(app.query_one(selector).render())


def check_form_after(app, name: str, text: str, before: tuple | None) -> None:
    """What the form must show after field ``name`` received ``text`` (``before``: the trainer's
    state before, which an invalid value must leave as it was; None to skip that check)."""
    form = app.form
    apply = app.query_one("#apply", Button)
    try:
        expected, problem = cfg.parse_field(name, text), None
    except ValueError as e:
        expected, problem = None, str(e)
    assert app._exception is None
    if problem is not None:
        assert form.errors.get(name) == problem
        check_message(name, problem)
        error = app.query_one(f"#error-{name}", Static)
        assert error.has_class("-shown") and widget_text(app, f"#error-{name}") == problem
        assert apply.disabled  # Apply stays disabled while a message shows
        assert form.request_apply() is False
        if before is not None:
            assert trainer_state(app.session) == before  # the trainer keeps its previous valid values
    else:
        assert name not in form.errors, form.errors
        assert form.values[name] == expected
        check_value(name, expected)
        assert not app.query_one(f"#error-{name}", Static).has_class("-shown")
        assert apply.disabled == bool(form.errors or cfg.check(form._candidate()))
        if cfg.FIELDS[name].live and not form.errors:
            assert getattr(app.session.config, name) == expected  # applied live


# ----------------------------------------------------------------------------------- form fields


async def test_every_form_field_survives_nasty_text(app_factory):
    """Each Input field gets each nasty value through the Pilot; then its original text again."""
    app = app_factory()
    tried = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.session.running  # paused: live values land while nothing trains
        for name in INPUT_FIELDS:
            field = app.query_one(f"#field-{name}", Input)
            original = field.value
            for text in NASTY:
                before = trainer_state(app.session)
                field.value = text
                await pilot.pause()
                check_form_after(app, name, text, before)
                tried += 1
                field.value = original
                await pilot.pause()
                assert name not in app.form.errors
                assert not app.query_one("#apply", Button).disabled
        assert app.session.trainer.lr == 0.01 and app.session.config == app.form.applied
    print(f"\nform: {tried} values set through the Pilot ({len(INPUT_FIELDS)} fields x {len(NASTY)})")


async def test_typing_bad_text_key_by_key(app_factory):
    """The same through real key presses: a few sequences per field, each ending in a check."""
    app = app_factory()
    typed = 0
    async with app.run_test(size=(120, 40)) as pilot:
        for name in INPUT_FIELDS:
            field = app.query_one(f"#field-{name}", Input)
            original = field.value
            field.focus()
            for text in ("-3", "8,,8", "é1"):
                before = trainer_state(app.session)
                field.value = ""
                await pilot.pause()
                await pilot.press(*text)
                typed += len(text)
                assert field.value == text
                check_form_after(app, name, text, None)
                # The trainer holds the last valid value on the way ("8" while typing "8,,8"), or
                # the value before the field was cleared; nothing else changed.
                last = getattr(before[0], name)
                for prefix in ["", *(text[:i] for i in range(1, len(text) + 1))]:
                    try:
                        last = cfg.parse_field(name, prefix)
                    except ValueError:
                        pass
                if cfg.FIELDS[name].live:
                    assert getattr(app.session.config, name) == last
                else:
                    assert trainer_state(app.session) == before
            field.value = original
            await pilot.pause()
            assert not app.form.errors
    print(f"\nform: {typed} keys typed into {len(INPUT_FIELDS)} fields")


async def test_apply_and_enter_do_nothing_while_a_message_shows(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        net = app.session.net
        hidden = app.query_one("#field-hidden", Input)
        hidden.focus()
        hidden.value = "8,,8"
        await pilot.pause()
        assert app.query_one("#apply", Button).disabled
        await pilot.press("enter")  # Enter in a field applies, but not while a field is invalid
        await pilot.pause()
        assert app.session.net is net
        app.query_one("#apply", Button).press()
        await pilot.pause()
        assert app.session.net is net


async def test_a_live_value_typed_while_another_field_is_invalid_is_applied_once_fixed(app_factory):
    """Regression: lr typed while Hidden layers showed an error used to stay in the form only."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#field-hidden", Input).value = "8,,8"
        await pilot.pause()
        app.query_one("#field-lr", Input).value = "0.05"
        await pilot.pause()
        assert app.session.trainer.lr == 0.01  # held while the form is invalid
        app.query_one("#field-hidden", Input).value = "16,16"
        await pilot.pause()
        assert app.session.trainer.lr == 0.05 and app.session.config.lr == 0.05
        assert "Learning rate = 0.05" in app.status_text


NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:g}"),
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40).map(str),
    st.integers(min_value=-5, max_value=2000).map(str),
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789.,-+eE; _fulnai", max_size=24),
    NUMBERISH,
    st.sampled_from(NASTY),
    st.lists(st.integers(min_value=-3, max_value=1100), max_size=12).map(lambda ws: ",".join(map(str, ws))),
    st.text(min_size=190, max_size=260),
)
FIELD_NAMES = st.sampled_from(list(cfg.FIELDS))
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(name=FIELD_NAMES, text=TEXT)
def test_parse_field_accepts_a_valid_value_or_names_the_field_and_range(name, text):
    try:
        value = cfg.parse_field(name, text)
    except ValueError as e:
        check_message(name, str(e))
    else:
        check_value(name, value)


async def test_form_accept_path_property(app_factory):
    """Hypothesis drives the form's own validation (``_accept``, as every widget event does) on a
    mounted form: a valid value is taken, an invalid one shows its message and blocks Apply, and
    only valid values are ever sent to the trainer."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        apply = app.query_one("#apply", Button)
        sent: list[dict] = []
        post = form.post_message

        def record(message):
            if isinstance(message, form.LiveChange):
                sent.append(dict(message.changes))
            return post(message)

        form.post_message = record
        examples = 0

        @PROPERTY_SETTINGS
        @given(name=st.sampled_from(ORDER), text=TEXT)  # the fields the form shows
        def accept(name, text):
            nonlocal examples
            examples += 1
            old = form.values[name]
            form._accept(name, text)
            try:
                value = cfg.parse_field(name, text)
            except ValueError as e:
                assert form.errors[name] == str(e)
                check_message(name, str(e))
                assert form.values[name] == old
                assert apply.disabled
            else:
                assert name not in form.errors
                assert form.values[name] == value
                assert apply.disabled == bool(form.errors or cfg.check(form._candidate()))
            cfg.validate(form.applied)  # what the trainer gets is always a valid configuration

        accept()
        await pilot.pause()
        assert app._exception is None
        for changes in sent:
            for key, value in changes.items():
                assert cfg.FIELDS[key].live
                check_value(key, value)
        cfg.validate(app.session.config)
        assert app.session.config == form.applied
    print(f"\nform: {examples} Hypothesis examples through _accept, {len(sent)} live changes sent")


# ----------------------------------------------------------------------------------- command line


def _bad_values(name: str) -> list[str]:
    f = cfg.FIELDS[name]
    if f.kind == "int":
        return ["abc", "1.5", str(int(f.lo) - 1), str(int(f.hi) + 1), "1e309", "9" * 60]
    if f.kind == "float":
        return ["abc", "nan", "inf", "1e309", f"{f.hi * 10 + 1:g}", "-3"]
    if f.kind == "batch":
        return ["0", "fullish", "-3", "1.5", "9" * 60]
    if f.kind == "layers":
        return ["8,,8", "8;8", "0", str(MAX_HIDDEN_WIDTH + 1), ",".join(["8"] * 11)]
    if f.kind == "choice":
        return ["bogus", "", "ünï"]
    if f.kind == "text":
        return ["x" * 300] + ([] if f.optional else ["", "   "])
    if f.kind == "matrix":
        return ["1,2;3", "a,b", "1,nan", "x" * 300]
    return []


FIELD_CASES = [([FLAG_NAMES[name], value], FLAG_NAMES[name]) for name in cfg.FIELDS for value in _bad_values(name)]
FIELD_CASES += [([f"{FLAG_NAMES[name]}=maybe"], FLAG_NAMES[name]) for name in cfg.FIELDS
                if cfg.FIELDS[name].kind == "bool"]
FIELD_CASES += [([FLAG_NAMES[name]], FLAG_NAMES[name]) for name in cfg.FIELDS if cfg.FIELDS[name].kind != "bool"]
COMMON_CASES = FIELD_CASES + [(["--preset", "nope"], "--preset"), (["--preset"], "--preset"),
                              (["--config"], "--config"), (["--load"], "--load")]
DASHBOARD_CASES = [(["--color", "purple"], "--color"), (["--fps", "0"], "--fps"), (["--fps", "nan"], "--fps"),
                   (["--fps", "abc"], "--fps"), (["--fps", "1e309"], "--fps"), (["--fps"], "--fps"), (["--speed", "0"], "--speed"),
                   (["--speed", "fast"], "--speed"), (["--speed", "-inf"], "--speed"),
                   (["--no-color=1"], "--no-color"), (["--no-mouse=yes"], "--no-mouse"),
                   (["--low-bandwidth=x"], "--low-bandwidth"), (["--lock", "learning"], "--lock"),
                   (["--hide", "chart"], "--hide"), (["--files", "/no/such/folder"], "--files"),
                   (["--no-files=1"], "--no-files")]
DASHBOARD_CASES += [(["--max-speed", "0"], "--max-speed"), (["--max-speed", "fast"], "--max-speed"),
                    (["--max-speed"], "--max-speed")]
TRAIN_CASES = [(["--progress", "fancy"], "--progress"), (["--progress"], "--progress"), (["--json"], "--json"),
               (["--csv"], "--csv"), (["--save"], "--save")]
CLI_CASES = ([(argv, flag) for argv, flag in COMMON_CASES + DASHBOARD_CASES]
             + [(["train", *argv], flag) for argv, flag in COMMON_CASES + TRAIN_CASES])


def check_usage_error(code: int, out: str, err: str, flag: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "usage" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("mlp-tui: error: ") and flag in lines[0], lines[0]
    assert out == ""


@pytest.mark.parametrize("argv, flag", CLI_CASES, ids=[" ".join(a)[:40] for a, _ in CLI_CASES])
def test_every_bad_flag_value_exits_2_with_one_line(argv, flag, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    check_usage_error(code, captured.out, captured.err, flag)


@pytest.mark.parametrize("argv, flag", [
    (["--lr", "nan"], "--lr"),
    (["train", "--hidden", "8;8"], "--hidden"),
    (["--batch-size", "0"], "--batch-size"),
    (["train", "--samples", "1e309"], "--samples"),
    (["--fps", "99"], "--fps"),
    (["train", "--standardize=maybe"], "--standardize"),
])
def test_bad_flags_in_a_real_process(argv, flag):
    done = subprocess.run([sys.executable, "-m", "mlp_tui", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    check_usage_error(done.returncode, done.stdout, done.stderr, flag)


def test_cli_sweep_covers_every_flag():
    from mlp_tui.cli import build_parser

    parser = build_parser()
    flags = {s for a in parser._actions for s in a.option_strings}
    train = next(a for a in parser._actions if a.dest == "command").choices["train"]
    flags |= {s for a in train._actions for s in a.option_strings}
    covered = {flag for _, flag in CLI_CASES}
    skipped = {"-h", "--help", "--version"} | {f for f in flags if f.startswith("--no-") and f[5:] in
                                                 {n.replace("_", "-") for n in cfg.FIELDS}}
    assert flags - skipped <= covered, sorted(flags - skipped - covered)
    print(f"\ncommand line: {len(CLI_CASES)} bad flag values, {len(covered)} flags")


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
            ckpt = checkpoint.load(path)
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


# ----------------------------------------------------------------------------------- divergence


def check_no_nan_in_widgets(app) -> None:
    for spark in app.query(Sparkline):
        data = list(spark.data or [])
        assert all(np.isfinite(data)), (spark.id, data)
    for selector in ("#progress", "#grad-norms"):
        text = widget_text(app, selector).lower()
        assert "nan" not in text and "inf" not in text, text
    for label in app.query(".metric-value").results(Label):
        text = str(label.render()).lower()
        assert "nan" not in text and "inf" not in text, text
    assert "nan" not in screen_text(app).lower()  # no NaN anywhere on screen


async def _diverge_then_recover(app, pilot, lower: str) -> None:
    ctl = app.session.controller
    step = app.session.trainer.step_count
    ctl.max_steps = step + 2000
    ctl.resume()
    assert ctl.wait(10)
    app.poll(force=True)
    await pilot.pause()
    snap = app.session.snapshot()
    assert snap.state == "diverged" and not ctl.running  # the watchdog paused training
    report = snap.divergence
    assert report is not None
    status = app.status_text
    assert status.startswith("Diverged") and app.query_one("#status").has_class("-error")
    assert f"in layer {report.layer}" in status  # names the layer ...
    assert "gradient" in status and "norm" in status  # ... and the gradient norm(s)
    assert f"{max(g for g in report.grad_norms if np.isfinite(g)):.3g}" in status
    assert np.all(np.isfinite(app.session.net.params)) and np.all(np.isfinite(snap.params))
    check_no_nan_in_widgets(app)
    # A lower learning rate, typed into the form while paused, trains again.
    lr = app.query_one("#field-lr", Input)
    lr.value = lower
    await pilot.pause()
    assert app.session.trainer.lr == float(lower)
    resumed_at = app.session.trainer.step_count
    ctl.max_steps = resumed_at + 1500
    ctl.resume()
    assert ctl.running
    deadline = time.monotonic() + 5
    while app.session.snapshot().step <= resumed_at and time.monotonic() < deadline:
        time.sleep(0.005)
    assert app.session.snapshot().state in ("running", "finished")
    assert ctl.wait(10)
    snap = app.session.snapshot()
    assert snap.state == "finished" and snap.divergence is None
    assert snap.step == resumed_at + 1500
    assert np.isfinite(snap.step_loss) and np.all(np.isfinite(snap.params))
    app.poll(force=True)
    await pilot.pause()
    check_no_nan_in_widgets(app)


async def test_a_learning_rate_of_1e3_diverges_and_a_lower_one_recovers(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(20)
        lr = app.query_one("#field-lr", Input)
        lr.value = "1e3"  # the top of the allowed range, set while paused
        await pilot.pause()
        assert not app.form.errors and app.session.trainer.lr == 1000.0
        await _diverge_then_recover(app, pilot, "0.01")


async def test_the_exploding_preset_is_caught_and_recovers(app_factory):
    app = app_factory(preset="lr-too-high")
    async with app.run_test(size=(120, 40)) as pilot:
        await _diverge_then_recover(app, pilot, "0.1")


async def test_no_nan_reaches_the_chart_after_divergence(app_factory):
    app = app_factory(preset="lr-too-high")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.controller.max_steps = 2000
        app.session.controller.resume()
        app.session.controller.wait(10)
        await pilot.press("2", "c")
        await pilot.press("l")  # log scale too
        await pilot.pause()
        assert app.session.snapshot().state == "diverged"
        assert app._exception is None
        assert "nan" not in screen_text(app).lower()


# ----------------------------------------------------------------------------------- atomic writes

WRITER = textwrap.dedent("""
    import itertools, sys
    from engine.config import RunConfig
    from mlp_tui.headless import write_csv, write_json
    path, kind = sys.argv[1], sys.argv[2]
    config = RunConfig()
    for i in itertools.count():
        n = 1 + (i * 7919) % 1500  # sizes vary, so a torn or mixed file would show
        records = [{"epoch": e, "train_loss": 1.0 / (e + 1), "n": n, "marker": i} for e in range(n)]
        if kind == "json":
            write_json(path, config, records, {"status": "completed", "n": n, "marker": i})
        else:
            write_csv(path, records, ["epoch", "train_loss", "n", "marker"])
""")
KILL_TRIALS = 10


def _check_history_file(path: Path, kind: str) -> int:
    """The file is one complete write; returns its marker."""
    if kind == "json":
        payload = json.loads(path.read_text())
        final = payload["final"]
        assert len(payload["history"]) == final["n"]
        assert {r["marker"] for r in payload["history"]} == {final["marker"]}
        return final["marker"]
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows and len(rows) == int(rows[0]["n"])
    assert len({r["marker"] for r in rows}) == 1 and all(r["train_loss"] for r in rows)
    return int(rows[0]["marker"])


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_sigkill_during_history_writes_never_leaves_a_torn_file(tmp_path, kind):
    rng = random.Random(f"kill-{kind}")
    path = tmp_path / f"history.{kind}"
    markers = []
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(KILL_TRIALS):
        path.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), kind], cwd=REPO, env=env)
        try:
            # Kill after a random number of completed writes (not a random time: on a loaded
            # machine the writer may not have started yet), at a random moment of the next one.
            writes = rng.randrange(6)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (path.exists() and _check_history_file(path, kind) >= writes):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        markers.append(_check_history_file(path, kind))
    assert len(set(markers)) > 1  # the kills landed at different moments
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    print(f"\natomic {kind}: {KILL_TRIALS} SIGKILLs, the file parsed every time (writes done when killed: "
          f"{markers}; {len(leftovers)} temporary files left by the kills)")


# ----------------------------------------------------------------------------------- long runs

LONG_STEPS = int(os.environ.get("MLP_TUI_LONG_STEPS", "200000"))
MEMORY_SLACK = 200_000  # bytes


def test_long_run_memory_stays_bounded():
    """XOR for LONG_STEPS steps (2*10^5 by default: 10^6 under tracemalloc takes ~80 s here) with
    tracemalloc on from the first step: the second half must not hold or peak more than the first
    half, and the growth extrapolated to 10^6 steps stays under MEMORY_SLACK."""
    data = datasets.load("xor")
    net = Network([2, 3, 2], activation="tanh", seed=0)
    trainer = Trainer(net, data, batch_size="full", eval_every=10 ** 9)
    half = LONG_STEPS // 2
    started = time.perf_counter()
    tracemalloc.start()
    try:
        trainer.train(steps=half)
        first_now, first_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        trainer.train(steps=LONG_STEPS - half)
        second_now, second_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    assert trainer.step_count == LONG_STEPS and trainer.divergence is None
    assert len(trainer.history.steps) <= trainer.history.steps.cap
    growth = second_now - first_now
    per_million = growth * 1_000_000 / (LONG_STEPS - half)
    print(f"\nlong run: {LONG_STEPS:,} XOR steps in {seconds:.1f} s under tracemalloc; traced memory "
          f"{first_now / 1024:.1f} kB after the first half, {second_now / 1024:.1f} kB after the second; "
          f"peak {first_peak / 1024:.1f} kB (first half) vs {second_peak / 1024:.1f} kB (second half); "
          f"growth {growth} B, {per_million / 1024:.1f} kB per 10^6 steps extrapolated")
    assert second_peak - first_peak < MEMORY_SLACK
    assert growth < MEMORY_SLACK
    assert per_million < MEMORY_SLACK
