"""Editing a 2-D dataset point by point (the dashboard's draw mode). Each edit checks its input
and returns a new Dataset, so a refused edit changes nothing and the trainer can switch to the
new data between two steps (``Trainer.set_data``)."""
from __future__ import annotations

import numpy as np

from .datasets import Dataset

MAX_DRAWN_POINTS = 5000  # rows of a dataset drawn on: a redraw and an epoch stay interactive
MIN_TRAIN_POINTS = 2  # removing stops here: a trainer needs points to step on
DRAWN = "+drawn"  # appended once to the name of a dataset that was drawn on


def add_point(data: Dataset, point, label: int, extent) -> Dataset:
    """``data`` with a training point of class ``label`` at ``point`` (x1, x2), which must lie
    inside ``extent`` (xmin, xmax, ymin, ymax: the plotted area). ValueError naming the problem."""
    _check_drawable(data)
    x = _point(point)
    xmin, xmax, ymin, ymax = extent
    if not (xmin <= x[0] <= xmax and ymin <= x[1] <= ymax):
        raise ValueError(f"point ({x[0]:.3g}, {x[1]:.3g}) is outside the plot "
                         f"(x1 {xmin:.3g}..{xmax:.3g}, x2 {ymin:.3g}..{ymax:.3g})")
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
            or not 0 <= label < data.n_classes:
        raise ValueError(f"class must be 0..{data.n_classes - 1}; got {label!r}")
    if data.n_train + _held_out(data) >= MAX_DRAWN_POINTS:
        raise ValueError(f"the dataset has {MAX_DRAWN_POINTS} points, the most a drawn set may "
                         f"have; remove some first")
    X_train = np.vstack([data.X_train, x[None, :]])
    y_train = np.append(data.y_train, np.int64(label))
    return _edited(data, X_train, y_train)


def remove_nearest(data: Dataset, point) -> tuple[Dataset, np.ndarray]:
    """``data`` without the point (training or test) nearest to ``point``, and that point."""
    _check_drawable(data)
    x = _point(point)
    d_train = np.sum((data.X_train - x) ** 2, axis=1)
    held_out = _held_out(data)
    d_test = np.sum((data.X_test - x) ** 2, axis=1) if held_out else np.empty(0)
    i_train = int(np.argmin(d_train))
    if held_out and d_test.min() < d_train[i_train]:
        i = int(np.argmin(d_test))
        removed = data.X_test[i].copy()
        return _edited(data, data.X_train, data.y_train,
                       np.delete(data.X_test, i, axis=0), np.delete(data.y_test, i)), removed
    if data.n_train <= MIN_TRAIN_POINTS:
        raise ValueError(f"only {data.n_train} training points are left; "
                         f"at least {MIN_TRAIN_POINTS} must stay")
    removed = data.X_train[i_train].copy()
    return _edited(data, np.delete(data.X_train, i_train, axis=0),
                   np.delete(data.y_train, i_train)), removed


def _check_drawable(data: Dataset) -> None:
    if not data.is_2d:
        raise ValueError(f"points can be drawn on 2-D data only; this dataset has "
                         f"{data.n_features} features")
    if data.features:
        raise ValueError(f"points are drawn on the plain x1, x2 inputs; this run feeds the network "
                         f"{', '.join(data.features)}")
    if data.targets_train is not None:
        raise ValueError("this dataset gives each point a target vector; drawn points carry a "
                         "class only")


def _point(point) -> np.ndarray:
    try:
        x = np.asarray(point, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"a point is two numbers (x1, x2); got {point!r}") from None
    if x.shape != (2,) or not np.all(np.isfinite(x)):
        raise ValueError(f"a point is two finite numbers (x1, x2); got {point!r}")
    return x


def _held_out(data: Dataset) -> int:
    """Test points that are not the training points themselves (xor tests on its training set)."""
    return 0 if data.X_test is data.X_train else data.n_test


def _edited(data: Dataset, X_train, y_train, X_test=None, y_test=None) -> Dataset:
    if data.X_test is data.X_train:  # train and test are one set: they stay one
        X_test, y_test = X_train, y_train
    elif X_test is None:
        X_test, y_test = data.X_test, data.y_test
    name = data.name if data.name.endswith(DRAWN) else data.name + DRAWN
    return Dataset(X_train, y_train, X_test, y_test, data.n_classes, data.feature_names, name,
                   data.class_labels)
