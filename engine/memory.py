"""The memory budget: how much a dataset, a network and its batches may take, checked BEFORE
anything is allocated so that a huge request is refused with the sizes named instead of ending
in a MemoryError (or the kernel's out-of-memory killer) half-way through.

The budget is defined here once: the environment variable ``MLP_TUI_MEMORY_LIMIT`` (bytes, or
a number with K, M, G or T, e.g. ``2G``), otherwise half of the RAM available when asked.
"""
from __future__ import annotations

import os
import re

from .errors import EngineError

ENV_VAR = "MLP_TUI_MEMORY_LIMIT"
AVAILABLE_FRACTION = 0.5  # leave the other half to the terminal, the OS and other users
_FALLBACK = 4 << 30  # when the available RAM cannot be read
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


class MemoryBudgetError(EngineError, ValueError):
    """A request larger than the memory budget; the message names the sizes and the limit."""


def format_size(n: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def _available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _FALLBACK


def budget() -> int:
    """The memory budget in bytes (see the module docstring)."""
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return int(_available() * AVAILABLE_FRACTION)
    m = _SIZE.match(text)
    if not m or float(m.group(1)) <= 0:
        raise MemoryBudgetError(f"{ENV_VAR}={text[:40]!r}: expected a size such as 2G, 512M or "
                                f"1000000 (bytes)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def limit_text(limit: int) -> str:
    return f"the limit is {format_size(limit)} (set {ENV_VAR}, e.g. {ENV_VAR}=8G, to change it)"


def require(what: str, need: int, detail: str = "") -> None:
    """Refuse ``what`` if it needs more than the budget: one line with the sizes and the limit."""
    limit = budget()
    if need > limit:
        detail = f" ({detail})" if detail else ""
        raise MemoryBudgetError(f"{what} needs about {format_size(need)}{detail}; {limit_text(limit)}")


def n_params(sizes) -> int:
    """Weights and biases of a dense network with layer widths ``sizes``."""
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


# Copies of the parameter vector a trainer keeps: params, gradient, the last good parameters,
# up to two optimizer moments and the optimizer's scratch vector.
PARAM_COPIES = 6


def run_bytes(sizes, n_train: int, n_test: int, batch: int, itemsize: int) -> dict[str, int]:
    """What training a network of ``sizes`` on n_train/n_test rows at ``batch`` rows per step
    allocates, in bytes, by part. Rows: the shuffled copy of the inputs and one-hot targets
    (train twice, test once); activations: z, a, dz and da of every layer for a batch, the last
    partial batch and the full train and test sets (evaluated in one pass)."""
    d, k = sizes[0], sizes[-1]
    width = 4 * sum(sizes[1:]) + 4 * k
    batch = min(batch, n_train)
    return {"data": (8 * d + itemsize * d + 2 * itemsize * k) * n_train + (8 * d + itemsize * k) * n_test,
            "network": PARAM_COPIES * itemsize * n_params(sizes),
            "activations": itemsize * width * (2 * batch + n_train + n_test)}
