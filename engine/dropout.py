"""Inverted dropout on the hidden layers, during training steps only.

In a training step each unit of hidden layer l is kept with probability keep_l = 1 - rate_l and
the kept activations are divided by keep_l: ``a_drop = a * mask / keep``. The expected value of
a_drop is a, so evaluation, prediction and the decision boundary use the network as it is (no
dropout, no rescaling). Backward, the gradient flows through the same mask:
``da = da_drop * mask / keep``, then ``dz = da * f'(z)`` as without dropout.

The masks come from their own random stream, seeded from the run's seed (not the shuffling
stream), so a run with dropout is reproducible and a checkpoint restores the stream.

The passes here mirror ``Network.forward_into``/``backward_into`` with the masks applied; the
trainer picks them once, at construction, only when some rate is above 0, so a network without
dropout runs the plain passes untouched.
"""
from __future__ import annotations

import numpy as np

from . import validate

STREAM = 1  # the dropout stream's key beside the run seed: [seed, STREAM], apart from shuffling
RATE_RANGE = validate.RANGES["dropout"]


def per_layer(rates, n_hidden: int) -> tuple[float, ...]:
    """One rate per hidden layer from ``rates``: empty (off), one rate for every hidden layer,
    or one per layer. Raises ValueError naming what is wrong."""
    rates = tuple(rates)
    if len(rates) not in (0, 1, n_hidden):
        raise ValueError(f"dropout must give one rate for every hidden layer or one per hidden layer "
                         f"({n_hidden}); got {len(rates)}")
    for r in rates:
        validate.number("dropout", r, *RATE_RANGE)
    if not rates:
        return (0.0,) * n_hidden
    return tuple(float(r) for r in rates) * (n_hidden if len(rates) == 1 else 1)


def is_on(rates) -> bool:
    return any(r > 0 for r in rates)


class Dropout:
    """The rates, the random stream and the masks of the current step.

    ``masks[l]`` (hidden layer l+1, counting from 0) is a 0/1 array of the batch's shape, or None
    where the rate is 0; ``dropped[l]`` and ``da_drop[l]`` are that step's ``a * mask / keep``
    and the gradient arriving at it. Each step gets fresh arrays, so a trace may keep them.
    """

    def __init__(self, rates, n_hidden: int, seed: int):
        self.rates = per_layer(rates, n_hidden)
        self.keep = tuple(1.0 - r for r in self.rates)
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng([self.seed, STREAM])
        self.masks: list[np.ndarray | None] = [None] * len(self.rates)
        self.dropped: list[np.ndarray | None] = [None] * len(self.rates)
        self.da_drop: list[np.ndarray | None] = [None] * len(self.rates)

    def draw(self, n: int, widths, dtype) -> None:
        """New masks for a batch of ``n`` rows; ``widths`` are the hidden layers' widths."""
        self.masks = [None if r == 0 else (self.rng.random((n, w)) >= r).astype(dtype)
                      for r, w in zip(self.rates, widths)]

    def state(self) -> dict:
        return dict(self.rng.bit_generator.state)

    def load_state(self, state) -> None:
        rng = np.random.default_rng()
        try:
            rng.bit_generator.state = state
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            raise ValueError(f"progress dropout rng state is invalid ({e})") from None
        self.rng = rng


def forward_into(net, X: np.ndarray, buf, drop: Dropout) -> np.ndarray:
    """``Network.forward_into`` with each hidden activation dropped by ``drop``'s masks: the
    next layer reads ``a * mask / keep``; ``buf.a`` keeps a itself for the derivative."""
    buf.a[0] = a = X
    last = len(net.layers) - 1
    for l, layer in enumerate(net.layers):
        z = buf.z[l]
        np.dot(a, layer.W, out=z)
        if layer.b is not None:
            z += layer.b
        a = buf.a[l + 1]
        if l < last:
            net._f_hidden[l](z, a)
            mask = drop.masks[l]
            if mask is not None:
                a = drop.dropped[l] = a * mask / drop.keep[l]
        else:
            net._output_into(z, a, buf)
    return a


def backward_into(net, Y: np.ndarray, buf, drop: Dropout) -> None:
    """``Network.backward_into`` through the masks of the last ``forward_into``: dW reads the
    dropped activations, and the gradient reaching a dropped layer is masked and scaled."""
    n = Y.shape[0]
    net._output_delta_into(Y, buf)
    for l in range(len(net.layers) - 1, -1, -1):
        dz = buf.dz[l]
        dW, db = net._grad_layers[l].W, net._grad_layers[l].b
        a_in = buf.a[l] if l == 0 or drop.masks[l - 1] is None else drop.dropped[l - 1]
        np.dot(a_in.T, dz, out=dW)
        if db is not None:
            np.add.reduce(dz, axis=0, out=db)
        if l > 0:
            da, mask = buf.da[l - 1], drop.masks[l - 1]
            if mask is None:
                np.dot(dz, net.layers[l].W.T, out=da)
            else:
                da_drop = drop.da_drop[l - 1] = np.dot(dz, net.layers[l].W.T)
                np.multiply(da_drop, mask, out=da)
                da /= drop.keep[l - 1]
            dz_prev = buf.dz[l - 1]
            net._d_hidden[l - 1](buf.z[l - 1], buf.a[l], dz_prev)
            dz_prev *= da
    net._add_penalty_grads(n)


def loss_and_grads(net, X, y, drop: Dropout):
    """The loss and the flat gradient of one pass through ``drop``'s current masks (drawn by
    the caller): what a training step computes, for checks such as a gradient check."""
    from .network import Buffers

    X = net.check_X(X)
    buf = Buffers(net.sizes, X.shape[0], net.dtype)
    Y = net.encode_targets(y, X.shape[0], out=buf.Y)
    forward_into(net, X, buf, drop)
    loss = net.loss_from_buffers(Y, buf)
    backward_into(net, Y, buf, drop)
    return loss, net.grad.copy()
