"""Teacher controls: form fields locked at the teacher's values (--lock), panels hidden (--hide),
and files kept to plain names inside one class folder (--files DIR) or switched off (--no-files).

A served dashboard must not let a browser reach the server's files: when files are confined
(either flag), save and load take names only, and the form's path-taking fields (a dataset
file, an initial-weights file) accept only the teacher's own values or built-in datasets.
Messages about confined files name the file as typed, never the folder it lives in.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PRESET = "preset"  # the form's preset chooser: lockable like a field
PATH_FIELDS = ("dataset", "init_weights")  # form fields that may name a file on the server
MAX_NAME = 100


def lockable_fields() -> tuple[str, ...]:
    """The names --lock accepts: the preset chooser and every form field, in form order."""
    from mlp_tui.widgets.hyperparams import ORDER  # the form (and Textual) only when asked

    return (PRESET, *ORDER)


def panel_names() -> tuple[str, ...]:
    """The names --hide accepts, in the order of the keys 1-5."""
    from mlp_tui.app import PANELS

    return tuple(panel_id.removesuffix("-panel") for panel_id, _ in PANELS)


def _names(value, allowed: tuple[str, ...], what: str) -> frozenset[str]:
    """``value`` (``"a,b"`` or a list of strings, as a TOML file gives it) as a set of names
    from ``allowed``; "-" may stand for "_". Raises ValueError naming the first bad one."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"expected {what} names separated by commas; got {str(value)[:40]!r}")
    out = set()
    for item in items:
        name = item.strip().lower().replace("-", "_")
        if not name:
            continue
        if name not in allowed:
            raise ValueError(f"unknown {what} {item.strip()[:40]!r} (the {what}s are: {', '.join(allowed)})")
        out.add(name)
    return frozenset(out)


def parse_lock(value) -> frozenset[str]:
    """--lock / the ``lock`` key: form field names (RunConfig names, e.g. lr, hidden) or preset."""
    return _names(value, lockable_fields(), "field")


def parse_hide(value) -> frozenset[str]:
    """--hide / the ``hide`` key: panel names; at least one panel must stay."""
    allowed = panel_names()
    names = _names(value, allowed, "panel")
    if len(names) == len(allowed):
        raise ValueError("cannot hide every panel; leave at least one")
    return names


def parse_folder(text: str) -> str:
    """--files DIR: an existing folder, made absolute (the working directory may change)."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ValueError(f"{text[:80]}: no such folder")
    return str(path.resolve())


# ----------------------------------------------------------------------------------- files


class FileNameError(ValueError):
    """A typed file name that confined files refuse; the message shows only the name."""


@dataclass(frozen=True)
class FilePolicy:
    """Where save and load may go. ``folder`` None and ``enabled`` True: any path (the
    ordinary dashboard); a folder: names only, inside it; ``enabled`` False: no files."""

    folder: str | None = None
    enabled: bool = True

    @property
    def confined(self) -> bool:
        """Files are restricted (a served class): no path may come from the user."""
        return self.folder is not None or not self.enabled

    def path(self, typed: str) -> str:
        """The path to open for what the user typed; raises FileNameError if confined files refuse it."""
        if self.folder is None:
            return typed
        shown = typed[:40]
        if any(c in typed for c in "/\\\0") or typed.startswith("~"):
            raise FileNameError(f"{shown}: only a file name is allowed here, no folders")
        if typed.startswith("."):
            raise FileNameError(f"{shown}: a name may not start with a dot")
        if len(typed) > MAX_NAME or not typed.isprintable():
            raise FileNameError(f"{shown}: not a usable file name")
        path = os.path.join(self.folder, typed)
        if os.path.islink(path):
            target = os.path.realpath(path)
            if os.path.commonpath([target, os.path.realpath(self.folder)]) != os.path.realpath(self.folder):
                raise FileNameError(f"{shown}: refused, it links outside the class folder")
        return path

    def show(self, path) -> str:
        """How to name ``path`` to the user: just the name when files are confined."""
        return os.path.basename(os.fspath(path)) if self.folder is not None else os.fspath(path)

    def scrub(self, message: str) -> str:
        """``message`` without the class folder's location (a server path)."""
        if self.folder is None:
            return message
        for folder in {self.folder, os.path.realpath(self.folder)}:
            message = message.replace(folder.rstrip(os.sep) + os.sep, "").replace(folder, "the class folder")
        return message


# ----------------------------------------------------------------------------------- the run's settings


def locked_changes(config, teacher, locked) -> list[str]:
    """The locked fields (in form order) whose value in ``config`` differs from ``teacher``'s."""
    return [name for name in lockable_fields()
            if name in locked and name != PRESET and getattr(config, name) != getattr(teacher, name)]


def file_field_problem(config, teacher) -> str | None:
    """Why ``config`` may not be built when files are confined: a dataset or initial-weights
    file other than the teacher's own would read the server's files. None when it may."""
    from engine.config import POINTS_DATASET
    from engine.datasets import DATASETS, is_builtin

    if config.dataset != teacher.dataset and config.dataset != POINTS_DATASET and not is_builtin(config.dataset):
        return f"Dataset: only the built-in datasets in this class ({', '.join(DATASETS)})"
    if config.init_weights is not None and config.init_weights != teacher.init_weights:
        return "Initial weights: files cannot be read in this class; leave it blank"
    return None
