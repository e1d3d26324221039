"""The confusion matrix: how often each true class was predicted as each class."""
from __future__ import annotations

import numpy as np


def confusion_matrix(true, predicted, n_classes: int) -> np.ndarray:
    """Counts[t, p]: the samples of true class t predicted as class p, for classes 0..n_classes-1.

    Raises ValueError if a label lies outside that range (it would land in another class's cell)."""
    true, predicted = np.asarray(true, np.int64), np.asarray(predicted, np.int64)
    for name, labels in (("true", true), ("predicted", predicted)):
        if labels.size and not (0 <= labels.min() and labels.max() < n_classes):
            raise ValueError(f"{name} classes must be in 0..{n_classes - 1}; got {labels.min()}..{labels.max()}")
    K = n_classes
    return np.bincount(true * K + predicted, minlength=K * K).reshape(K, K)
