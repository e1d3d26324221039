"""Robustness of the command line: every flag with a bad value exits 2 with one line naming the flag.

Run with ``pytest -s`` to see the figures (bad flag values tried).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.network import MAX_HIDDEN_WIDTH
from mlp_tui import fields
from mlp_tui.cli import FLAG_NAMES, main

REPO = Path(__file__).resolve().parents[1]
# ----------------------------------------------------------------------------------- command line


def _bad_values(name: str) -> list[str]:
    f = fields.FIELDS[name]
    if f.kind == "int":
        return ["abc", "1.5", str(int(f.lo) - 1), str(int(f.hi) + 1), "1e309", "9" * 60]
    if f.kind == "float":
        return ["abc", "nan", "inf", "1e309", f"{f.hi * 10 + 1:g}", "-3"]
    if f.kind == "batch":
        return ["0", "fullish", "-3", "1.5", "9" * 60]
    if f.kind == "layers":
        return ["8,,8", "8;8", "0", str(MAX_HIDDEN_WIDTH + 1), ",".join(["8"] * 11), "8:bogus", "8:softmax"]
    if f.kind == "features":
        return ["x3", "x1,x1", "", "x1,,x2", "x" * 300]
    if f.kind == "choice":
        return ["bogus", "", "ünï"]
    if f.kind == "text":
        return ["x" * 300] + ([] if f.optional else ["", "   "])
    if f.kind == "matrix":
        return ["1,2;3", "a,b", "1,nan", "x" * 300]
    if f.kind == "rates":
        return ["abc", "1", "-0.1", "0.2,,0", "nan", "0.1,0.2,0.3", ",".join(["0.1"] * 11)]
    return []


FIELD_CASES = [([FLAG_NAMES[name], value], FLAG_NAMES[name]) for name in fields.FIELDS for value in _bad_values(name)]
FIELD_CASES += [([f"{FLAG_NAMES[name]}=maybe"], FLAG_NAMES[name]) for name in fields.FIELDS
                if fields.FIELDS[name].kind == "bool"]
FIELD_CASES += [([FLAG_NAMES[name]], FLAG_NAMES[name]) for name in fields.FIELDS if fields.FIELDS[name].kind != "bool"]
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
EXPORT_CASES = [(["export", "--load"], "--load")] + [
    (["export", "--load", "run.npz", flag], flag) for flag in ("--weights", "--data", "--history")]
CLI_CASES = ([(argv, flag) for argv, flag in COMMON_CASES + DASHBOARD_CASES]
             + [(["train", *argv], flag) for argv, flag in COMMON_CASES + TRAIN_CASES] + EXPORT_CASES)


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
                                                 {n.replace("_", "-") for n in fields.FIELDS}}
    assert flags - skipped <= covered, sorted(flags - skipped - covered)
    print(f"\ncommand line: {len(CLI_CASES)} bad flag values, {len(covered)} flags")
