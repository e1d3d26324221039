"""The warped hidden space (as ConvNetJS shows it): the data and a grid of the input plane placed
by the activations of two neurons of one hidden layer. Where the classes come apart in that
plane, the next layer can separate them with a straight line.

Pure functions over a network and a 2-D dataset; the boundary panel draws the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlp_tui.plot_grid import to_pixels

GRID_LINES = 7  # lines of the input plane drawn in each direction
GRID_SHADE = 0.4  # the grid's value on the 0-1 colour scale: dim, so the data points stand out
MARGIN = 0.05  # of the activations' range, on each side of the picture


@dataclass(frozen=True)
class WarpView:
    """One picture: ``image`` (H, W) GRID_SHADE where a grid line passes, else 0; the data as
    ``(rows, cols, labels)`` pixels; ``extent`` the activation range shown (xmin, xmax, ymin, ymax)."""

    image: np.ndarray
    train: tuple
    test: tuple | None
    extent: tuple[float, float, float, float]


def neuron_pairs(sizes) -> list[tuple[int, int, int]]:
    """(layer, i, i + 1) for each hidden layer of two neurons or more, layer by layer: every
    neuron appears, in a cycle a key at a time can walk (all pairs of 16 neurons would be 120)."""
    return [(l, i, i + 1) for l in range(1, len(sizes) - 1) for i in range(sizes[l] - 1)]


def grid_lines(extent, samples: int) -> np.ndarray:
    """Points along GRID_LINES vertical and GRID_LINES horizontal lines over ``extent``."""
    xmin, xmax, ymin, ymax = extent
    t = np.linspace(0.0, 1.0, samples)
    lines = []
    for k in np.linspace(0.0, 1.0, GRID_LINES):
        x, y = xmin + k * (xmax - xmin), ymin + k * (ymax - ymin)
        lines.append(np.column_stack([np.full(samples, x), ymin + t * (ymax - ymin)]))
        lines.append(np.column_stack([xmin + t * (xmax - xmin), np.full(samples, y)]))
    return np.vstack(lines)


def warped_extent(points: np.ndarray) -> tuple[float, float, float, float]:
    """The range of the warped points with a margin (a flat axis still gets a visible range)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    pad = np.where(span > 0, MARGIN * span, 0.5)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def warp(net, data, layer: int, i: int, j: int, shape: tuple[int, int]) -> WarpView:
    """The picture of ``data`` (2-D) and the input grid moved to (a_layer[:, i], a_layer[:, j])."""
    grid = grid_lines(data.extent, samples=4 * max(shape))
    held_out = data.n_test and data.X_test is not data.X_train  # none at test fraction 0
    parts = [grid, data.points_train] + ([data.points_test] if held_out else [])
    # Points of the plane; the network sees their input features (none: the points themselves).
    acts = net.activations(data.inputs(np.vstack(parts)))[layer][:, [i, j]].astype(np.float64)
    extent = warped_extent(acts)
    rows, cols = to_pixels(acts, extent, shape)
    image = np.zeros(shape)
    n_grid, n_train = len(grid), len(data.points_train)
    image[rows[:n_grid], cols[:n_grid]] = GRID_SHADE
    train = (rows[n_grid:n_grid + n_train], cols[n_grid:n_grid + n_train], data.y_train)
    test = (rows[n_grid + n_train:], cols[n_grid + n_train:], data.y_test) if held_out else None
    return WarpView(image, train, test, extent)
