"""Gradient clipping, in place on the flat gradient vector."""
from __future__ import annotations

import math

import numpy as np


def _positive_finite(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}") from None
    if not (math.isfinite(x) and x > 0.0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return x


def clip_by_global_norm(grad: np.ndarray, max_norm: float) -> float:
    """Scale ``grad`` in place so its L2 norm is at most ``max_norm``.

    Returns the norm before clipping, ``sqrt(vdot(grad, grad))``. If it is not finite
    (nan/inf) the gradient is left alone and the norm returned as is.
    """
    max_norm = _positive_finite("max_norm", max_norm)
    norm = float(np.sqrt(np.vdot(grad, grad)))
    if math.isfinite(norm) and norm > max_norm:
        grad *= max_norm / norm
    return norm


def clip_by_value(grad: np.ndarray, limit: float) -> None:
    """Clip every element of ``grad`` in place to ``[-limit, limit]``."""
    limit = _positive_finite("limit", limit)
    np.clip(grad, -limit, limit, out=grad)
