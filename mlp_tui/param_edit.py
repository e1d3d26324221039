"""Words for a weight or bias edited by hand in the inspector: the typed value read and checked,
and the line that reports the edit (the engine's ``Trainer.edit_param`` makes it)."""
from __future__ import annotations

import math

from engine.validate import RANGES

MAX_TEXT = 40  # a typed number longer than this is a slip, not a value


def range_text() -> str:
    lo, hi = RANGES["param"]
    return f"a number from {lo:g} to {hi:g}"


def parse_value(label: str, text: str) -> float:
    """The value typed for parameter ``label`` (e.g. "W1[0,2]"); ValueError, one line naming the
    parameter and what it must be, for anything but a finite number in range."""
    s = text.strip()
    shown = s if len(s) <= 20 else s[:17] + "..."
    if not s:
        raise ValueError(f"{label}: type {range_text()} (Escape cancels)")
    try:
        if len(s) > MAX_TEXT:
            raise ValueError
        value = float(s)
    except ValueError:
        raise ValueError(f"{label}: must be {range_text()}; got {shown!r}") from None
    lo, hi = RANGES["param"]
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{label}: must be {range_text()}; got {shown!r}")
    return value + 0.0  # -0 becomes 0


def edit_text(event: dict) -> str:
    """The status line of an edit, e.g. "W1[0,2]: 0.314 -> 1.5 (training loss 0.65 -> 0.41)"."""
    return (f"{event['param']}: {event['old']:.6g} -> {event['new']:.6g} at step {event['step']} "
            f"(training loss {event['train_loss_before']:.4g} -> {event['train_loss_after']:.4g}); "
            f"recorded in the history")
