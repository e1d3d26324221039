"""Seeded weight initialisation. Weights have shape (fan_in, fan_out); biases start at zero."""
from __future__ import annotations

import numpy as np

INITS = ("xavier", "he", "tutorial")


def default_init(activation: str) -> str:
    """He for rectifiers (keeps the variance of relu layers), Glorot otherwise."""
    return "he" if activation in ("relu", "leaky_relu") else "xavier"


def init_weights(kind: str, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "xavier":  # Glorot uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out))
        r = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-r, r, size=(fan_in, fan_out))
    if kind == "he":  # He normal: N(0, 2 / fan_in)
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    if kind == "tutorial":  # the classic from-scratch tutorials: rand(fan_in, fan_out) / sqrt(fan_in)
        return rng.random((fan_in, fan_out)) / np.sqrt(fan_in)
    raise ValueError(f"init must be one of {', '.join(INITS)}; got {kind!r}")
