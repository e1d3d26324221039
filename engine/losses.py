"""Losses and the gradient of the loss with respect to the output pre-activation.

Conventions (n samples, K outputs, Y targets, A output activations, Z logits):
  cross_entropy + softmax:  L = -(1/n) sum Y log P              dZ = (A - Y)/n
  cross_entropy + sigmoid:  L = -(1/n) sum Y log P + (1-Y) log(1-P)   dZ = (A - Y)/n
  mse (any output):         L = (1/(2n)) sum (A - Y)**2          dA = (A - Y)/n, dZ = dA * f'(Z)
For softmax + mse the full softmax Jacobian applies: dZ = A * (dA - sum_k dA*A).
  perceptron + step:        L = (1/n) sum |A - Y| (the share misclassified)   dZ = (A - Y)/n
The perceptron's dZ is not a derivative (a step has none): it is the rule w += lr*(y - y_hat)*x,
averaged over the batch, written as a gradient so that plain SGD applies it.
Log-probabilities are computed from Z (log-softmax, log-sigmoid), so log(0) never occurs.
"""
from __future__ import annotations

import numpy as np

LOSSES = ("cross_entropy", "mse", "perceptron")
# Outputs that each loss accepts: cross-entropy needs probabilities.
COMPATIBLE_OUTPUTS = {"cross_entropy": ("softmax", "sigmoid"), "mse": ("softmax", "sigmoid", "linear"),
                      "perceptron": ("step",)}


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def data_loss(output: str, loss: str, z: np.ndarray, a: np.ndarray, y: np.ndarray):
    """The loss without penalties, averaged over the n rows (a scalar of the arrays' dtype)."""
    n = z.shape[0]
    if loss == "mse":
        diff = a - y
        return np.vdot(diff, diff) / (2 * n)
    if loss == "perceptron":
        return np.abs(a - y).sum() / n
    if output == "softmax":
        return -np.vdot(y, log_softmax(z)) / n
    # Binary cross-entropy per unit: log(1 - sigmoid(z)) = log_sigmoid(-z).
    return -(np.vdot(y, log_sigmoid(z)) + np.vdot(1 - y, log_sigmoid(-z))) / n


def softmax_cross_entropy(shifted: np.ndarray, rowsum: np.ndarray, y: np.ndarray, log_rowsum: np.ndarray,
                          log_p: np.ndarray):
    """``data_loss`` for softmax + cross-entropy from the parts the forward pass kept
    (see ``activations.softmax_keep_parts``): log_softmax(z) = shifted - log(rowsum).

    ``log_softmax`` would recompute the row maximum, the shift, the exponentials and their row
    sums; the operations left are the last ones it does, so the result is bit-identical.
    ``log_rowsum`` (n, 1) and ``log_p`` (n, K) are scratch.
    """
    np.log(rowsum, out=log_rowsum)
    np.subtract(shifted, log_rowsum, out=log_p)
    return -np.vdot(y, log_p) / shifted.shape[0]


def output_delta(output: str, loss: str, z, a, y, out, tmp, derivative=None):
    """Write dL/dZ for the output layer into ``out`` (shape of a); ``tmp`` is scratch.

    ``derivative`` is the output activation's derivative function (for sigmoid/linear + mse).
    """
    n = z.shape[0]
    np.subtract(a, y, out=out)
    out *= 1.0 / n  # out = dA for mse, and dZ for the canonical pairs
    if loss in ("cross_entropy", "perceptron"):
        return out
    if output == "softmax":
        # Jacobian-vector product of softmax: dZ = A * (dA - rowsum(dA * A)).
        np.multiply(out, a, out=tmp)
        out -= tmp.sum(axis=1, keepdims=True)
        out *= a
        return out
    derivative(z, a, tmp)
    out *= tmp
    return out
