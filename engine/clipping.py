"""Gradient clipping, in place on the flat gradient vector."""
from __future__ import annotations

import math

import numpy as np

from . import validate
from .arith import equation, num



def clip_by_global_norm(grad: np.ndarray, max_norm: float) -> float:
    """Scale ``grad`` in place so its L2 norm is at most ``max_norm``.

    Returns the norm before clipping, ``sqrt(vdot(grad, grad))``. If it is not finite
    (nan/inf) the gradient is left alone and the norm returned as is.
    """
    max_norm = validate.positive("max_norm", max_norm)
    norm = global_norm(grad)
    scale = norm_scale(norm, max_norm)
    if scale != 1.0:
        grad *= scale
    return norm


def global_norm(grad: np.ndarray) -> float:
    return float(np.sqrt(np.vdot(grad, grad)))


def norm_scale(norm: float, max_norm: float) -> float:
    """The factor clipping to ``max_norm`` multiplies a gradient of L2 norm ``norm`` by (1.0: none)."""
    return max_norm / norm if math.isfinite(norm) and norm > max_norm else 1.0


def clip_by_value(grad: np.ndarray, limit: float) -> None:
    """Clip every element of ``grad`` in place to ``[-limit, limit]``."""
    limit = validate.positive("limit", limit)
    np.clip(grad, -limit, limit, out=grad)


def explain_clip(label: str, raw: float, clipped: float, clip_value: float | None, norm: float,
                 clip_norm: float | None) -> str:
    """``g = clip(dW1[0,2]) = ... = clipped``: one gradient element through clip-by-value
    (``clip_value``, None when off) and then clip-by-norm (``norm``: the gradient's norm after
    the value clipping; ``clip_norm``: None when it did not scale the gradient)."""
    sym = f"min(max(d{label}, -clip_value), clip_value)" if clip_value else f"d{label}"
    if clip_norm:
        sym += " * clip_norm/|grad|"

    def by_value(d):
        if not clip_value:
            return num(raw, d)
        return f"min(max({num(raw, d)}, -{num(clip_value, d)}), {num(clip_value, d)})"

    def numeric(d):
        return f"{by_value(d)} * ({num(clip_norm, d)}/{num(norm, d)})" if clip_norm else by_value(d)
    return f"g = clip(d{label}) = {sym} = {equation(numeric, clipped)}"
