"""Command-line messages name the flag at fault: negative numbers and infinities reach the
field's own check, and an unknown or abbreviated option is named with the real one suggested."""
from __future__ import annotations

import pytest

from mlp_tui.cli import main


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("value", ["-inf", "-INF", "-Infinity", "-nan", "-1e-3", "-2.5E+2"])
def test_a_negative_or_infinite_value_is_checked_by_its_flag(value, capsys):
    assert main(["train", "--lr", value, "--epochs", "1"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("mlp-tui: error: --lr: Learning rate: must be") and repr(value) in line


@pytest.mark.parametrize("argv, flag, real", [
    (["--hid", "8"], "--hid", "--hidden"),
    (["train", "--hid", "8"], "--hid", "--hidden"),
    (["train", "--jsn", "out.json"], "--jsn", "--json"),
    (["--learning-rate=0.1"], "--learning-rate", None),
])
def test_an_unknown_option_is_named_with_the_real_one(argv, flag, real, capsys):
    assert main(argv) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"mlp-tui: error: {flag}: unknown option")
    assert "command" not in line
    if real:
        assert f"did you mean {real}" in line


def test_values_after_a_double_dash_are_not_options(capsys):
    assert main(["--", "--hid"]) == 2
    assert "unknown command" in one_error_line(capsys.readouterr().err)
