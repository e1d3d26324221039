"""Pixel grids over 2-D data: the points a picture evaluates the network at (the decision
boundary, the network view's neuron maps) and the pixel each sample lands on."""
from __future__ import annotations

import numpy as np


def grid_points(extent, shape) -> np.ndarray:
    """(H*W, 2) points covering ``extent`` (xmin, xmax, ymin, ymax), row 0 at the top (ymax)."""
    H, W = shape
    xmin, xmax, ymin, ymax = extent
    xs = np.linspace(xmin, xmax, W)
    ys = np.linspace(ymax, ymin, H)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def to_pixels(X: np.ndarray, extent, shape) -> tuple[np.ndarray, np.ndarray]:
    """Pixel (row, col) of each 2-D point for an image of ``shape`` over ``extent``."""
    H, W = shape
    xmin, xmax, ymin, ymax = extent
    cols = np.clip(np.rint((X[:, 0] - xmin) / (xmax - xmin) * (W - 1)), 0, W - 1).astype(int)
    rows = np.clip(np.rint((ymax - X[:, 1]) / (ymax - ymin) * (H - 1)), 0, H - 1).astype(int)
    return rows, cols


def to_data(row: int, col: int, extent, shape) -> tuple[float, float]:
    """The 2-D point that pixel (row, col) stands for on ``grid_points``' grid (a click, the
    draw cursor): the inverse of ``to_pixels``."""
    H, W = shape
    xmin, xmax, ymin, ymax = extent
    return (xmin + (xmax - xmin) * col / max(W - 1, 1), ymax - (ymax - ymin) * row / max(H - 1, 1))
