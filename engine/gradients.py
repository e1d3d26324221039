"""How the gradient's size changes with depth, judged by the ratio of the first layer's gradient
norm to the last layer's: backpropagation multiplies by each layer's weights and activation
derivative, so a ratio far below 1 means the early layers barely learn (vanishing) and far above
1 means they take huge steps (exploding). An absolute threshold cannot tell: 1e-5 is healthy on
a converged network and 0.2 tiny on a fresh one."""
from __future__ import annotations

import math

VANISHING_RATIO = 1e-2  # first/last below this: vanishing
EXPLODING_RATIO = 1e2  # first/last above this: exploding


def depth_ratio(norms) -> float:
    """First layer's gradient norm over the last layer's (inf when the last one is 0)."""
    first, last = float(norms[0]), float(norms[-1])
    if not (math.isfinite(first) and math.isfinite(last)):
        return math.inf
    if last == 0.0:
        return math.inf if first > 0.0 else 1.0
    return first / last


def depth_trend(norms) -> str | None:
    """"vanishing", "exploding" or None for per-layer gradient norms (input layer first)."""
    if len(norms) < 2:
        return None
    ratio = depth_ratio(norms)
    if ratio < VANISHING_RATIO:
        return "vanishing"
    if ratio > EXPLODING_RATIO:
        return "exploding"
    return None
