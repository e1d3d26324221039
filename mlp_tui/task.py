"""What a run learns, in words: a regression run says so, and why (a file's target column with
non-integer values is detected, the built-in regression sets and --task regression are asked for)."""
from __future__ import annotations

from engine.config import REGRESSION_SETTINGS, RunConfig, names_regression
from engine.datasets import is_builtin


def task_note(config: RunConfig, data) -> str:
    """"" for a classifier; otherwise one line for the status bar and the headless output."""
    if not getattr(data, "is_regression", False):
        return ""
    detected = config.task == "auto" and not is_builtin(config.dataset)
    why = "target has non-integer values: regression" if detected else "regression"
    return f"{why} (linear output, squared error; R\u00b2 instead of accuracy)"


def fixed_field_problem(config: RunConfig, given) -> tuple[str, str] | None:
    """(field, reason) when a field in ``given`` (set explicitly, e.g. on the command line) asks a
    regression run for an output or loss it cannot have; such a value would be overridden."""
    if not names_regression(config):
        return None
    for name, fixed in REGRESSION_SETTINGS.items():
        if name in given and getattr(config, name) != fixed:
            return name, (f"a regression run has output {REGRESSION_SETTINGS['output']} with loss "
                          f"{REGRESSION_SETTINGS['loss']}; got {name.replace('_', ' ')} {getattr(config, name)}")
    return None

