"""Regression's score: the coefficient of determination R², the share of the target's variance
that the predictions explain (1 is perfect, 0 is no better than predicting the mean, and it is
negative when worse than that)."""
from __future__ import annotations

import math

import numpy as np


def r2_score(predicted: np.ndarray, target: np.ndarray) -> float:
    """1 - SS_res / SS_tot over every output column; NaN without rows or for a constant target
    (R² is undefined when there is no variance to explain)."""
    target = np.asarray(target, dtype=np.float64)
    if not target.size:
        return math.nan
    residual = np.asarray(predicted, dtype=np.float64) - target
    centred = target - target.mean(axis=0)
    total = float(np.vdot(centred, centred))
    return 1.0 - float(np.vdot(residual, residual)) / total if total > 0 else math.nan
