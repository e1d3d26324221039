"""``mlp-tui train`` refuses outputs that would overwrite an input or each other, before any
training: ``--dataset d.csv --save d.csv`` would replace the data with a checkpoint, and
``--json x --csv x`` would keep only the last one written."""
from __future__ import annotations

import os

INPUT_FLAGS = ("--dataset", "--config", "--load")
OUTPUT_FLAGS = ("--json", "--csv", "--save")
ALLOWED = {("--load", "--save")}  # continuing a checkpoint in place is the documented use


def _same_file(a: str, b: str) -> bool:
    a, b = os.path.expanduser(a), os.path.expanduser(b)
    try:
        return os.path.samefile(a, b)  # hard links and symlinks too
    except OSError:  # one does not exist yet: compare where it would be
        return os.path.realpath(a) == os.path.realpath(b)


def _inputs(args, config) -> list[tuple[str, str]]:
    from engine.datasets import is_builtin

    found = []
    if not is_builtin(config.dataset):
        flag = "--dataset" if hasattr(args, "dataset") else f"the dataset (from {_source(args)})"
        found.append((flag, config.dataset))
    for flag in INPUT_FLAGS[1:]:
        value = getattr(args, flag[2:], None)
        if value is not None:
            found.append((flag, value))
    return found


def _source(args) -> str:
    for flag in ("--config", "--load", "--preset"):
        if getattr(args, flag[2:], None) is not None:
            return flag
    return "the defaults"


def output_clash(args, config, output_flags=OUTPUT_FLAGS) -> str | None:
    """One line naming both flags when an output path is an input's or another output's."""
    outputs = [(flag, getattr(args, flag[2:], None)) for flag in output_flags]
    outputs = [(flag, path) for flag, path in outputs if path is not None]
    for i, (out_flag, out_path) in enumerate(outputs):
        for in_flag, in_path in _inputs(args, config) + outputs[:i]:
            if (in_flag, out_flag) in ALLOWED or not _same_file(in_path, out_path):
                continue
            if in_flag in output_flags:
                return (f"{in_flag} {in_path} and {out_flag} {out_path} are the same file; one would "
                        f"replace the other: give them different paths")
            return (f"{out_flag} {out_path} would overwrite {in_flag} {in_path} (the same file); "
                    f"choose another {out_flag} path")
    return None
