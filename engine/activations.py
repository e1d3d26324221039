"""Activation functions and their derivatives, computed in place.

Each activation is a pair of functions working on preallocated buffers:
``forward(z, out)`` writes f(z) into ``out``; ``derivative(z, a, out)`` writes f'(z)
into ``out``, using whichever of z or a = f(z) is cheaper (sigmoid' = a(1-a)).
The same functions serve the fast training path and the recorded trace, so both
give bit-identical numbers.
"""
from __future__ import annotations

import numpy as np

LEAK = 0.01  # leaky_relu slope for z <= 0

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear", "step")  # step: the perceptron's unit, trained by its own rule


def sigmoid(z, out):
    # 1/(1+exp(-z)) written as (1 + tanh(z/2)) / 2: identical maths, never overflows.
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sigmoid_derivative(z, a, out):
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def tanh(z, out):
    return np.tanh(z, out=out)


def tanh_derivative(z, a, out):
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def relu(z, out):
    return np.maximum(z, 0.0, out=out)


def relu_derivative(z, a, out):
    return np.greater(z, 0.0, out=out)  # writes 1.0 / 0.0 into a float buffer


def leaky_relu(z, out, leak=LEAK):
    # max(z, leak*z) equals z for z > 0 and leak*z otherwise (0 < leak < 1).
    np.multiply(z, leak, out=out)
    np.maximum(z, out, out=out)
    return out


def leaky_relu_derivative(z, a, out, leak=LEAK):
    np.greater(z, 0.0, out=out)
    out *= 1.0 - leak
    out += leak
    return out


def linear(z, out):
    np.copyto(out, z)
    return out


def linear_derivative(z, a, out):
    out.fill(1.0)
    return out


def step(z, out):
    """The perceptron's threshold unit: 1 where z >= 0, else 0 (no derivative: its rule needs none)."""
    return np.greater_equal(z, 0.0, out=out)  # writes 1.0 / 0.0 into a float buffer


def softmax(z, out):
    # Subtracting the row maximum keeps exp() in range; the result is unchanged.
    np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def softmax_keep_parts(z, out, shifted, rowsum):
    """``softmax`` that also keeps its parts for the cross-entropy: ``shifted`` (n, K) = z - rowmax
    and ``rowsum`` (n, 1) = sum of exp(shifted), since log_softmax(z) = shifted - log(rowsum).

    The same operations as ``softmax`` in the same order, so ``out`` holds the same numbers.
    """
    # The ufuncs' own reduce with out=: what z.max / out.sum do, without their Python wrappers
    # and temporaries (this runs on every training step). rowsum holds the row max first.
    np.maximum.reduce(z, axis=1, keepdims=True, out=rowsum)
    np.subtract(z, rowsum, out=shifted)
    np.exp(shifted, out=out)
    np.add.reduce(out, axis=1, keepdims=True, out=rowsum)
    out /= rowsum
    return out


FORWARD = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "linear": linear,
    "softmax": softmax,
    "step": step,
}

DERIVATIVE = {
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
    "linear": linear_derivative,
}

# How the trace writes f'(z) for a student.
DERIVATIVE_FORMULA = {
    "sigmoid": "a*(1-a)",
    "tanh": "1-a**2",
    "relu": "1 if z>0 else 0",
    "leaky_relu": f"1 if z>0 else {LEAK}",
    "linear": "1",
}


def apply(name: str, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """f(z) for any activation name, allocating the result if no buffer is given."""
    if out is None:
        out = np.empty_like(z)
    return FORWARD[name](z, out)
