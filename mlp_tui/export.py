"""Writing a run's dataset, weights and history to files. ``mlp-tui export`` and the dashboard's
export prompt both come here; each file is checked and written atomically like the other outputs
(``mlp_tui.headless``). The dashboard's one file prompt for it is ``export_targets``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine import export

from .headless import _write_bytes, write_csv, write_json

# What each kind of export may be written as, by file suffix.
SUFFIXES = {"data": (".csv",), "weights": export.WEIGHT_FORMATS, "history": (".csv", ".json")}
# The files an export to a folder writes.
FOLDER_FILES = (("data", "data.csv"), ("weights", "weights.json"), ("weights", "weights.npz"),
                ("history", "history.csv"), ("history", "history.json"))


@dataclass(frozen=True)
class RunCopy:
    """What an export writes, copied at one moment (the dashboard's run keeps training)."""

    config: object
    data: object
    net: object
    records: list
    columns: list


def run_copy(run) -> RunCopy:
    """A copy of ``run``'s exported parts; call it under the training lock while training."""
    history = run.trainer.history
    return RunCopy(run.config, run.data, run.net.copy(), history.records(), list(history.epochs.columns))


def suffix_problem(kind: str, path) -> str | None:
    """Why ``path`` cannot hold the ``kind`` export (its suffix), or None."""
    allowed = SUFFIXES[kind]
    if Path(os.fspath(path)).suffix.lower() not in allowed:
        return f"{os.fspath(path)}: {kind} is written as {' or '.join(allowed)}; name the file so"
    return None


def write(copy: RunCopy, kind: str, path) -> None:
    """Write one export (OSError with one line naming the file when it cannot be written)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if kind == "data":
        _write_bytes(path, export.dataset_csv(copy.data))
    elif kind == "weights":
        _write_bytes(path, export.weights_bytes(copy.net, suffix))
    elif suffix == ".json":
        write_json(path, copy.config, copy.records, copy.records[-1] if copy.records else None)
    else:
        write_csv(path, copy.records, copy.columns)


def export_targets(target: str) -> list[tuple[str, Path]]:
    """The dashboard's prompt answer as (kind, path) pairs: a .csv file gets the dataset alone;
    anything else is a folder (made if missing) that gets every export (FOLDER_FILES)."""
    path = Path(target).expanduser()
    if path.suffix.lower() == ".csv":
        return [("data", path)]
    if path.exists() and not path.is_dir():
        raise OSError(f"{target}: not a folder; give a folder, or a .csv file for the data alone")
    if not path.parent.is_dir():
        raise OSError(f"{target}: cannot make the folder, {path.parent} does not exist")
    if path.is_symlink():
        raise OSError(f"{target}: a symbolic link is there; give a real folder")
    path.mkdir(exist_ok=True)
    return [(kind, path / name) for kind, name in FOLDER_FILES]


def export_all(copy: RunCopy, targets: list[tuple[str, Path]]) -> list[Path]:
    """Write every target in order; the first failure raises (the files before it are written)."""
    for kind, path in targets:
        write(copy, kind, path)
    return [path for _, path in targets]
