"""The engine's one layer of number checks, and the one table of the ranges a run's numbers lie in.

Every check returns the value as a float or raises ``ValueError`` naming the argument and what it
must be, e.g. "lr must be a finite number in [1e-06, 1000]; got 5000.0". ``RANGES`` is the
single definition of each setting's range: the run description (``engine.config``), the trainer
and the dashboard's form all read it, so a range cannot differ between them.
"""
from __future__ import annotations

import math

import numpy as np

# The allowed span of each numeric setting of a run, inclusive at both ends.
RANGES: dict[str, tuple[float, float]] = {
    "n_samples": (4, 100_000),
    "noise": (0.0, 10.0),
    "test_fraction": (0.0, 0.9),
    "classes": (2, 10),
    "init_scale": (0.01, 100.0),
    "lr": (1e-6, 1e3),
    "momentum": (0.0, 0.999),
    "batch_size": (1, 1_000_000),
    "l1": (0.0, 10.0),
    "l2": (0.0, 100.0),
    "clip_norm": (0.0, 1e6),
    "clip_value": (0.0, 1e6),
    "decay": (1e-6, 1.0),
    "decay_every": (1, 100_000),
    "seed": (0, 2**32 - 1),
    "epochs": (1, 1_000_000),
    "steps": (1, 1_000_000_000),
    "log_every": (1, 1_000_000),
    "dropout": (0.0, 0.99),  # a rate: the share of a hidden layer's units dropped in a step
    "early_stop": (0, 100_000),  # patience in epochs; 0 = off
    # A weight or bias typed by hand: wide enough for any teaching experiment, well below the
    # weight explosion the trainer's watchdog stops at (WEIGHT_RMS_LIMIT).
    "param": (-1000.0, 1000.0),
}


def _wanted(lo: float, hi: float, above: bool, below: bool) -> str:
    if hi == math.inf:
        return "a finite number" if lo == -math.inf else f"a finite number {'>' if above else '>='} {lo:g}"
    return f"a finite number in {'(' if above else '['}{lo:g}, {hi:g}{')' if below else ']'}"


def number(name: str, value, lo: float = -math.inf, hi: float = math.inf, *,
           above: bool = False, below: bool = False) -> float:
    """``value`` as a finite float in [lo, hi]; ``above``/``below`` exclude lo/hi themselves."""
    try:
        if isinstance(value, (bool, np.bool_, str)):  # float(True) is 1.0, float("1") 1.0: not numbers
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and lo <= x <= hi) or (above and x == lo) or (below and x == hi):
        raise ValueError(f"{name} must be {_wanted(lo, hi, above, below)}; got {value!r}")
    return x


def whole(name: str, value, lo: int = 0, hi: float = math.inf) -> int:
    """``value`` as an int in [lo, hi]: an integer type, neither a bool nor a float such as 5.0."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or not lo <= value <= hi):
        span = f">= {lo}" if hi == math.inf else f"from {lo} to {hi}"
        raise ValueError(f"{name} must be an integer {span}; got {value!r}")
    return int(value)


def positive(name: str, value) -> float:
    return number(name, value, 0.0, above=True)


def non_negative(name: str, value) -> float:
    return number(name, value, 0.0)


def optional_positive(name: str, value) -> float | None:
    """None (off) for None or 0, else a positive number: "0 means off" for clipping."""
    return None if value in (None, 0, 0.0) else positive(name, value)


def unit_interval(name: str, value) -> float:
    """A decay factor in [0, 1)."""
    return number(name, value, 0.0, 1.0, below=True)


def in_range(name: str, value) -> float:
    """A setting of a run within its span in ``RANGES``."""
    lo, hi = RANGES[name]
    return number(name, value, lo, hi)


def choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


class FieldError(ValueError):
    """A run setting at fault: ``field`` names it, ``reason`` says what it must be (plain words,
    without the field, so that a user interface can put its own label in front)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
