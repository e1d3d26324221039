"""Input features computed from a 2-D dataset's two coordinates, as TensorFlow Playground offers
them: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2). The network sees the chosen columns; the
points keep their plane, so a picture of the data (the decision boundary) is still drawn over
x1, x2 and sends its grid through ``transform`` before the network.

With x1^2 and x2^2 a network without a hidden layer separates two circles: the boundary
w1*x1^2 + w2*x2^2 + b = 0 is an ellipse in the plane, a straight line in the features.
"""
from __future__ import annotations

import numpy as np

FEATURES = {
    "x1": lambda P: P[:, 0],
    "x2": lambda P: P[:, 1],
    "x1^2": lambda P: P[:, 0] ** 2,
    "x2^2": lambda P: P[:, 1] ** 2,
    "x1*x2": lambda P: P[:, 0] * P[:, 1],
    "sin(x1)": lambda P: np.sin(P[:, 0]),
    "sin(x2)": lambda P: np.sin(P[:, 1]),
}
PLAIN = ("x1", "x2")  # the points themselves: no transform, no cost


def problem(names) -> str | None:
    """Why ``names`` is not a feature list (None: it is one): not empty, known names, no repeats."""
    if not isinstance(names, tuple) or not names:
        return f"must name at least one of {', '.join(FEATURES)}"
    for name in names:
        if name not in FEATURES:
            return f"unknown feature {str(name)[:20]!r}; the features are {', '.join(FEATURES)}"
        if names.count(name) > 1:
            return f"{name} is listed twice; name each of {', '.join(FEATURES)} at most once"
    return None


def transform(P: np.ndarray, names) -> np.ndarray:
    """The feature columns ``names`` of 2-D points P (n, 2), as an (n, len(names)) array."""
    return np.column_stack([FEATURES[name](P) for name in names])


def plane_problem(names, n_inputs: int) -> str | None:
    """Why the features cannot be computed for data of ``n_inputs`` columns (they need two)."""
    if tuple(names) == PLAIN or n_inputs == 2:
        return None
    return f"need 2-D points (x1, x2); the dataset has {n_inputs} input columns"
