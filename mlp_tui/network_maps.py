"""What the network view draws, computed from a network and its data (no widgets here)."""
from __future__ import annotations

import numpy as np

from mlp_tui.plot_grid import grid_points

MAP_PIXELS = 8  # per side of a neuron's map: the network view's largest box is 8x8 pixels
MEAN_SAMPLES = 256  # test samples averaged for one shade per neuron when the data is not 2-D


def neuron_maps(net, data, pixels: int = MAP_PIXELS) -> list[np.ndarray]:
    """For each layer l = 1..L, its activations as (units, h, w): over a ``pixels`` x ``pixels``
    grid covering the data's extent (row 0 at the top) for 2-D data, else (units, 1, 1), the
    mean activation over the first test samples."""
    if data.is_2d:
        acts = net.activations(data.inputs(grid_points(data.extent, (pixels, pixels))))
        return [a.T.reshape(a.shape[1], pixels, pixels) for a in acts[1:]]
    acts = net.activations(data.X_test[:MEAN_SAMPLES])
    return [a.mean(axis=0).reshape(-1, 1, 1) for a in acts[1:]]


def network_view_args(net, data, pixels: int = MAP_PIXELS) -> dict:
    """Keyword arguments for ``NetworkView.show``. Pass a network holding the weights to show
    (e.g. the boundary panel's copy loaded with a snapshot's params), not the training one."""
    return dict(sizes=net.sizes, maps=neuron_maps(net, data, pixels),
                weights=[layer.W for layer in net.layers],
                activations=[net.layer_activation(l) for l in range(1, net.n_layers + 1)],
                inputs=list(data.features) or None)  # the computed features; else x0, x1, ...
