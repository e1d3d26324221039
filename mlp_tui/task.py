"""What a run learns, in words: a regression run says so, and why (a file's target column with
non-integer values is detected, the built-in regression sets and --task regression are asked for)."""
from __future__ import annotations

from engine.config import RunConfig
from engine.datasets import is_builtin


def task_note(config: RunConfig, data) -> str:
    """"" for a classifier; otherwise one line for the status bar and the headless output."""
    if not getattr(data, "is_regression", False):
        return ""
    detected = config.task == "auto" and not is_builtin(config.dataset)
    why = "target has non-integer values: regression" if detected else "regression"
    return f"{why} (linear output, squared error; R\u00b2 instead of accuracy)"
