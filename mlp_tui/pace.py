"""Training pace: the speed levels `+` and `-` step through, and how a speed is read and shown.

A speed is training steps per second, or None for "max" (as fast as the machine goes). The
controller's worker thread does the waiting, so the pace never slows the keys.
"""
from __future__ import annotations

import math

SPEED_LEVELS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)
# The default moons run forms its boundary in about 100-400 steps: 5-20 s at 20 steps/s.
DEFAULT_SPEED: float | None = 20
SPEED_RANGE = (0.1, 100_000.0)
MAX_WORDS = ("max", "unlimited")


def parse_speed(text) -> float | None:
    """A speed from a flag or a TOML value: steps per second (0.1 to 100000) or "max"."""
    if isinstance(text, str) and text.strip().lower() in MAX_WORDS:
        return None
    lo, hi = SPEED_RANGE
    try:
        value = float(text) if not isinstance(text, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"must be steps per second from {lo:g} to {hi:g}, or max; got {str(text)[:30]!r}")
    return value


def format_speed(speed: float | None) -> str:
    return "max speed" if speed is None else f"{speed:g} steps/s"


def _rank(speed: float | None) -> float:
    return math.inf if speed is None else speed


def faster(speed: float | None) -> float | None:
    """The next level above ``speed`` (max stays max)."""
    return next((s for s in SPEED_LEVELS if _rank(s) > _rank(speed)), None)


def capped(speed: float | None, cap: float | None) -> float | None:
    """``speed``, but no faster than ``cap`` (None: no cap)."""
    return speed if cap is None or _rank(speed) <= cap else cap


def slower(speed: float | None) -> float | None:
    """The next level below ``speed`` (the slowest level stays)."""
    below = [s for s in SPEED_LEVELS if _rank(s) < _rank(speed)]
    return below[-1] if below else SPEED_LEVELS[0]
