"""The multi-layer perceptron: parameters, forward pass, backward pass.

Conventions: samples are rows; z_l = a_{l-1} @ W_l + b_l with W_l of shape (fan_in, fan_out);
a_0 = X. A network built with ``bias=False`` has no b at all (z_l = a_{l-1} @ W_l; ``Layer.b`` is
None). All weights live in one flat vector ``params`` (all W first, then all b) and the
layers' W and b are views into it, so an optimizer update or a penalty is a few NumPy calls
whatever the depth. Gradients mirror that layout in ``grad``.

``grad_scale``: "mean" (the default) makes the gradient that of the shown loss, a mean over the
batch; "sum" makes it n times that, the gradient of the loss summed over the batch's samples
(penalties included), as tutorials that sum over the batch compute it.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from . import activations as act
from . import validate
from .initializers import INITS, default_init, init_weights
from .losses import COMPATIBLE_OUTPUTS, LOSSES, data_loss, output_delta, softmax_cross_entropy

MAX_HIDDEN_LAYERS = 10
MAX_HIDDEN_WIDTH = 1024
MAX_IO_WIDTH = 1 << 16
DTYPES = ("float64", "float32", "longdouble")  # longdouble: extended precision for gradcheck
GRAD_SCALES = ("mean", "sum")


class Layer:
    """One dense layer: W (fan_in, fan_out) and b (fan_out,) or None, views into the network's params."""

    __slots__ = ("W", "b")

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W = W
        self.b = b

    @property
    def shape(self) -> tuple[int, int]:
        return self.W.shape

    def __repr__(self) -> str:
        return f"Layer({self.W.shape[0]} -> {self.W.shape[1]})"


class Buffers:
    """Preallocated arrays for one batch size: z, a, dz per layer and da for hidden layers.

    z, a, dz and da are views into one block, ``recorded``, so recording a step (trace.capture)
    copies them all in a single call.
    """

    def __init__(self, sizes: tuple[int, ...], n: int, dtype, backward: bool = True):
        self.n = n
        outs = sizes[1:]
        self.recorded = np.empty(n * sum(self.widths(sizes, backward)), dtype)
        self.z, a, dz, da = self.split(self.recorded, sizes, n, backward)
        self.a = [None] + a  # a[0] is the input, not copied
        # A softmax output keeps z - rowmax and its row sums of exponentials here, so the
        # cross-entropy does not recompute them (see Network.loss_from_buffers).
        self.shifted = np.empty((n, outs[-1]), dtype)
        self.rowsum = np.empty((n, 1), dtype)
        self.log_rowsum = np.empty((n, 1), dtype)
        self.log_p = np.empty((n, outs[-1]), dtype)
        if backward:
            self.dz, self.da = dz, da
            self.tmp = np.empty((n, outs[-1]), dtype)
            self.Y = np.empty((n, outs[-1]), dtype)

    @staticmethod
    def widths(sizes, backward: bool = True) -> list[int]:
        outs = list(sizes[1:])
        return outs + outs + (outs + outs[:-1] if backward else [])

    @staticmethod
    def split(block: np.ndarray, sizes, n: int, backward: bool = True):
        """(z, a[1:], dz, da) as lists of (n, width) views into ``block``, laid out as ``recorded``."""
        views, at = [], 0
        for k in Buffers.widths(sizes, backward):
            views.append(block[at:at + n * k].reshape(n, k))
            at += n * k
        L = len(sizes) - 1
        return views[:L], views[L:2 * L], views[2 * L:3 * L], views[3 * L:]


def validate_sizes(sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of layer widths such as [2, 8, 2]; got {sizes!r}") from None
    if not 2 <= len(sizes) <= MAX_HIDDEN_LAYERS + 2:
        raise ValueError(
            f"sizes must list the input width, 0 to {MAX_HIDDEN_LAYERS} hidden widths and the "
            f"output width ({2} to {MAX_HIDDEN_LAYERS + 2} numbers); got {len(sizes)}"
        )
    clean = []
    for i, s in enumerate(sizes):
        hidden = 0 < i < len(sizes) - 1
        limit = MAX_HIDDEN_WIDTH if hidden else MAX_IO_WIDTH
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or not 1 <= s <= limit:
            what = "hidden layer" if hidden else ("input" if i == 0 else "output")
            raise ValueError(f"sizes[{i}] ({what} width) must be an integer from 1 to {limit}; got {s!r}")
        clean.append(int(s))
    return tuple(clean)


class Network:
    """A dense feed-forward network trained by backpropagation.

    >>> net = Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="mse")
    >>> net.forward(np.zeros((4, 2))).shape
    (4, 2)
    """

    def __init__(self, sizes, activation="tanh", output="softmax", loss="cross_entropy",
                 l2=0.0, l1=0.0, init=None, seed=0, dtype="float64", init_scale=1.0, bias=True,
                 grad_scale="mean", activations=None):
        self.sizes = validate_sizes(sizes)
        self.activation = validate.choice("activation", activation, act.HIDDEN_ACTIVATIONS)
        self.layer_activations = _layer_activations(activations, len(self.sizes) - 2)
        self.output = validate.choice("output", output, act.OUTPUT_ACTIVATIONS)
        self.loss = validate.choice("loss", loss, LOSSES)
        if self.output not in COMPATIBLE_OUTPUTS[self.loss]:
            raise ValueError(
                f"loss={loss!r} needs output {' or '.join(COMPATIBLE_OUTPUTS[self.loss])} "
                f"(cross-entropy takes the log of probabilities); got output={output!r}"
            )
        if self.output == "softmax" and self.sizes[-1] < 2 and self.loss == "cross_entropy":
            raise ValueError("output='softmax' needs at least 2 output units; use output='sigmoid' for 1")
        if self.output == "step" and self.sizes[-1] != 1:
            raise ValueError(f"output='step' is one threshold unit; got {self.sizes[-1]} output units")
        self.l2 = validate.non_negative("l2", l2)
        self.l1 = validate.non_negative("l1", l1)
        self.init = validate.choice("init", init if init is not None else default_init(self.activation), INITS)
        self.init_scale = validate.non_negative("init_scale", init_scale)
        self.seed = validate.whole("seed", seed)
        self.dtype = np.dtype(validate.choice("dtype", _dtype_name(dtype), DTYPES))
        self._dtype_label = _dtype_name(self.dtype)
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be true or false; got {bias!r}")
        self.bias = bool(bias)
        self.grad_scale = validate.choice("grad_scale", grad_scale, GRAD_SCALES)
        self.initial_params: np.ndarray | None = None  # given initial weights that reset() restores
        self._leak = act.LEAK
        self._bind_activations()

        shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.n_weights = sum(i * o for i, o in shapes)  # params[:n_weights] are all the W
        n_params = self.n_weights + (sum(o for _, o in shapes) if self.bias else 0)
        self.params = np.zeros(n_params, self.dtype)
        self.grad = np.zeros(n_params, self.dtype)
        self.layers = self._views(self.params, shapes)
        self._grad_layers = self._views(self.grad, shapes)
        self._buffers: dict[int, Buffers] = {}
        self._wtmp = np.empty(self.n_weights, self.dtype)
        self.reset()

    # ----- construction helpers -------------------------------------------------------
    def _views(self, flat: np.ndarray, shapes) -> list[Layer]:
        layers, w_at, b_at = [], 0, self.n_weights
        for fan_in, fan_out in shapes:
            W = flat[w_at:w_at + fan_in * fan_out].reshape(fan_in, fan_out)
            b = flat[b_at:b_at + fan_out] if self.bias else None
            layers.append(Layer(W, b))
            w_at += fan_in * fan_out
            b_at += fan_out
        return layers

    def unflatten(self, flat: np.ndarray) -> list[Layer]:
        """Layers (W, b views) over another flat vector laid out like ``params``, e.g. a snapshot."""
        return self._views(flat, [layer.W.shape for layer in self.layers])

    def _bind_activations(self):
        def bind(name):
            f, d = act.FORWARD[name], act.DERIVATIVE.get(name)
            if name == "leaky_relu":
                return partial(f, leak=self._leak), partial(d, leak=self._leak)
            return f, d

        # One (f, f') pair per hidden layer, indexed by layer: a list either way, so the training
        # loop costs the same whether the layers share an activation or not.
        pairs = [bind(name) for name in self.hidden_activations]
        self._f_hidden = [f for f, _ in pairs]
        self._d_hidden = [d for _, d in pairs]
        self._f_out, self._d_out = bind(self.output)

    @property
    def hidden_activations(self) -> tuple[str, ...]:
        """Each hidden layer's activation: its own where given, else ``activation``."""
        return self.layer_activations or (self.activation,) * (len(self.sizes) - 2)

    def layer_activation(self, l: int) -> str:
        """The activation of layer l = 1..L (the output's for l = L)."""
        return self.output if l == len(self.sizes) - 1 else self.hidden_activations[l - 1]

    @property
    def leak(self) -> float:
        """Slope of leaky_relu for z <= 0."""
        return self._leak

    @leak.setter
    def leak(self, value: float):
        self._leak = float(value)
        self._bind_activations()

    def reset(self, seed: int | None = None) -> None:
        """Re-initialise the weights from the seed (biases to zero), or back to the initial
        weights given with ``set_initial_params``."""
        if seed is not None:
            self.seed = int(seed)
        if self.initial_params is not None:
            self.params[...] = self.initial_params
            return
        rng = np.random.default_rng(self.seed)
        for layer in self.layers:
            layer.W[...] = init_weights(self.init, layer.W.shape[0], layer.W.shape[1], rng)
            if self.init_scale != 1.0:
                layer.W *= self.init_scale
        self.params[self.n_weights:] = 0.0

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def config(self) -> dict:
        """The constructor arguments: enough to rebuild an identical network."""
        return dict(sizes=list(self.sizes), activation=self.activation, output=self.output,
                    loss=self.loss, l2=self.l2, l1=self.l1, init=self.init, seed=self.seed,
                    dtype=self._dtype_label, init_scale=self.init_scale, bias=self.bias,
                    grad_scale=self.grad_scale,
                    activations=None if self.layer_activations is None else list(self.layer_activations))

    def copy(self, dtype=None) -> "Network":
        cfg = self.config()
        if dtype is not None:
            cfg["dtype"] = _dtype_name(dtype)
        twin = Network(**cfg)
        twin.leak = self.leak
        if self.initial_params is not None:
            twin.set_initial_params(self.initial_params)
        twin.params[...] = self.params
        return twin

    def set_initial_params(self, flat: np.ndarray) -> None:
        """Start from (and reset to) these parameters, laid out as ``params``."""
        flat = np.asarray(flat)
        if flat.shape != self.params.shape:
            raise ValueError(f"initial parameters must have shape {self.params.shape}; got {flat.shape}")
        self.initial_params = flat.astype(self.dtype, copy=True)
        self.params[...] = self.initial_params

    def set_param(self, layer: int, kind: str, index: tuple, value) -> float:
        """Set one weight ``W{layer}[i,j]`` (``kind`` "W", ``index`` (i, j)) or bias
        ``b{layer}[j]`` (``kind`` "b", ``index`` (j,)); ``layer`` counts from 1. Returns the old
        value. Everything is checked before the change (ValueError naming the parameter)."""
        array, label = self.param_cell(layer, kind, index)
        lo, hi = validate.RANGES["param"]
        new = validate.number(label, value, lo, hi)
        old = float(array[index])
        array[index] = new
        return old

    def param_cell(self, layer: int, kind: str, index: tuple) -> tuple[np.ndarray, str]:
        """The array holding parameter ``kind{layer}[index]`` and its label, e.g. "W1[0,2]";
        ValueError when there is no such parameter."""
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= self.n_layers:
            raise ValueError(f"layer must be 1 to {self.n_layers}; got {layer!r}")
        if kind not in ("W", "b") or (kind == "b" and not self.bias):
            raise ValueError(f"kind must be {'W or b' if self.bias else 'W (no biases)'}; got {kind!r}")
        array = getattr(self.layers[layer - 1], kind)
        index = tuple(index)
        label = f"{kind}{layer}[{','.join(map(str, index))}]"
        if len(index) != array.ndim or not all(
                isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 0 <= k < n
                for k, n in zip(index, array.shape)):
            raise ValueError(f"{label}: no such parameter, {kind}{layer} has shape {array.shape}")
        return array, label

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        acts = self.activation if self.layer_activations is None else ",".join(self.layer_activations)
        return (f"Network({arch}, activation={acts}, output={self.output}, "
                f"loss={self.loss}, l2={self.l2:g}, l1={self.l1:g}, dtype={self.dtype}"
                f"{'' if self.bias else ', bias=False'}{'' if self.grad_scale == 'mean' else ', grad_scale=sum'})")

    # ----- input checking ----------------------------------------------------------------
    def check_X(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1 and self.sizes[0] > 1 and X.shape[0] == self.sizes[0]:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (n, {self.sizes[0]}) for this network; got {X.shape}")
        if X.shape[0] == 0:
            raise ValueError("X must hold at least one sample; got 0 rows")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(f"X must be real numbers; got dtype {X.dtype}")
        return np.ascontiguousarray(X, dtype=self.dtype)

    def encode_targets(self, y, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Integer labels (n,) -> one-hot (n, K); a float matrix (n, K) is used as is."""
        y = np.asarray(y)
        K = self.n_outputs
        if out is None:
            out = np.empty((n, K), self.dtype)
        if y.ndim == 2 and y.shape == (n, K) and np.issubdtype(y.dtype, np.floating):
            out[...] = y
            return out
        if y.ndim == 2 and y.shape == (n, 1) and K == 1:
            y = y[:, 0]
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be integer labels of shape ({n},) or a float matrix ({n}, {K}); got shape {y.shape}")
        if np.issubdtype(y.dtype, np.floating):
            if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
                raise ValueError("y labels must be whole numbers (class indices)")
            y = y.astype(np.int64)
        elif not np.issubdtype(y.dtype, np.integer) and y.dtype != bool:
            raise ValueError(f"y must hold integer class labels; got dtype {y.dtype}")
        classes = 2 if K == 1 else K
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise ValueError(f"y labels must be in 0..{classes - 1} for {K} output unit(s); got {int(y.min())}..{int(y.max())}")
        if K == 1:  # one sigmoid unit: the label itself is the target
            out[:, 0] = y
        else:
            out.fill(0.0)
            out[np.arange(n), y] = 1.0
        return out

    # ----- the maths on preallocated buffers (shared by training, trace and checks) ----------
    def buffers(self, n: int) -> Buffers:
        """Buffers for batch size n, kept for reuse (training uses one or two batch sizes)."""
        buf = self._buffers.get(n)
        if buf is None:
            if len(self._buffers) >= 4:
                self._buffers.pop(next(iter(self._buffers)))
            buf = self._buffers[n] = Buffers(self.sizes, n, self.dtype)
        return buf

    def forward_into(self, X: np.ndarray, buf: Buffers) -> np.ndarray:
        """Forward pass writing z and a of every layer into ``buf``; returns the output a_L."""
        buf.a[0] = a = X
        last = len(self.layers) - 1
        f_hidden = self._f_hidden
        for l, layer in enumerate(self.layers):
            z = buf.z[l]
            # np.dot, not np.matmul: the same BLAS call for 2-D arrays with ~0.3 us less
            # dispatch overhead, which is 10% of a step for the small teaching networks.
            np.dot(a, layer.W, out=z)
            if layer.b is not None:
                z += layer.b
            a = buf.a[l + 1]
            if l < last:
                f_hidden[l](z, a)
            else:
                self._output_into(z, a, buf)
        return a

    def _output_into(self, z: np.ndarray, a: np.ndarray, buf: Buffers) -> None:
        """The output layer's activation of ``z`` into ``a``."""
        if self.output == "softmax":
            act.softmax_keep_parts(z, a, buf.shifted, buf.rowsum)
        else:
            self._f_out(z, a)

    def _output_delta_into(self, Y: np.ndarray, buf: Buffers) -> None:
        """dL/dz of the output layer into ``buf.dz[-1]``."""
        output_delta(self.output, self.loss, buf.z[-1], buf.a[-1], Y, buf.dz[-1], buf.tmp, self._d_out,
                     summed=self.grad_scale == "sum")

    def backward_into(self, Y: np.ndarray, buf: Buffers) -> None:
        """Backward pass after ``forward_into``: fills ``self.grad`` (dW, db of every layer)."""
        L = len(self.layers)
        n = Y.shape[0]
        d_hidden = self._d_hidden
        self._output_delta_into(Y, buf)
        for l in range(L - 1, -1, -1):
            dz = buf.dz[l]
            dW, db = self._grad_layers[l].W, self._grad_layers[l].b
            np.dot(buf.a[l].T, dz, out=dW)
            if db is not None:
                np.add.reduce(dz, axis=0, out=db)  # dz.sum(axis=0) without its Python wrapper
            if l > 0:
                da = buf.da[l - 1]
                np.dot(dz, self.layers[l].W.T, out=da)
                dz_prev = buf.dz[l - 1]
                d_hidden[l - 1](buf.z[l - 1], buf.a[l], dz_prev)
                dz_prev *= da
        self._add_penalty_grads(n)

    def gradient_factor(self, n: int) -> float:
        """d(gradient)/d(gradient of the shown loss): 1 for grad_scale mean, n for sum."""
        return float(n) if self.grad_scale == "sum" else 1.0

    def _add_penalty_grads(self, n: int) -> None:
        if not (self.l2 or self.l1):
            return
        w, gw, tmp = self.params[:self.n_weights], self.grad[:self.n_weights], self._wtmp
        per_sample = self.gradient_factor(n) / n  # the penalty's 1/n, cancelled when summing
        if self.l2:
            np.multiply(w, self.l2 * per_sample, out=tmp)
            gw += tmp
        if self.l1:
            np.sign(w, out=tmp)
            tmp *= self.l1 * per_sample
            gw += tmp

    def penalty(self, n: int):
        """(l2/(2n)) sum W**2 + (l1/n) sum |W| over all layers (biases are not penalised)."""
        total = self.dtype.type(0)
        if not (self.l2 or self.l1):
            return total
        w = self.params[:self.n_weights]
        if self.l2:
            total += self.l2 / (2 * n) * np.vdot(w, w)
        if self.l1:
            total += self.l1 / n * np.abs(w).sum()
        return total

    def loss_from_buffers(self, Y: np.ndarray, buf: Buffers):
        """The loss with penalties, as a scalar of the network's dtype (after ``forward_into(.., buf)``)."""
        if self.output == "softmax" and self.loss == "cross_entropy":
            loss = softmax_cross_entropy(buf.shifted, buf.rowsum, Y, buf.log_rowsum, buf.log_p)
        else:
            loss = data_loss(self.output, self.loss, buf.z[-1], buf.a[-1], Y)
        return loss + self.penalty(Y.shape[0])

    # ----- public API ------------------------------------------------------------------------
    def forward(self, X) -> np.ndarray:
        """Output activations (n, n_out) for inputs X (n, n_in)."""
        X = self.check_X(X)
        return self.forward_into(X, Buffers(self.sizes, X.shape[0], self.dtype, backward=False)).copy()

    def activations(self, X) -> list[np.ndarray]:
        """Every layer's activation for inputs X: ``[a_0 = X, a_1, ..., a_L]``, so index l is
        layer l. Evaluated in fresh arrays, so the training buffers are never touched."""
        X = self.check_X(X)
        buf = Buffers(self.sizes, X.shape[0], self.dtype, backward=False)
        self.forward_into(X, buf)
        return [X] + buf.a[1:]

    def loss_and_grads(self, X, y):
        """The loss (penalties included) and [(dW, db), ...] per layer (db None without biases)."""
        X = self.check_X(X)
        buf = Buffers(self.sizes, X.shape[0], self.dtype)
        Y = self.encode_targets(y, X.shape[0], out=buf.Y)
        self.forward_into(X, buf)
        loss = self.loss_from_buffers(Y, buf)
        self.backward_into(Y, buf)
        return float(loss), [(g.W.copy(), None if g.b is None else g.b.copy()) for g in self._grad_layers]

    def loss_value(self, X, y):
        """The loss with penalties (a NumPy scalar of the network's dtype)."""
        X = self.check_X(X)
        buf = Buffers(self.sizes, X.shape[0], self.dtype)
        Y = self.encode_targets(y, X.shape[0], out=buf.Y)
        self.forward_into(X, buf)
        return self.loss_from_buffers(Y, buf)

    def predict(self, X) -> np.ndarray:
        """Predicted class per row: argmax, or a 0.5 threshold for a single output unit."""
        out = self.forward(X)
        if out.shape[1] == 1:
            return (out[:, 0] >= 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def trace(self, X, y):
        """Record one full forward and backward pass, every intermediate value in order."""
        from .trace import record

        return record(self, X, y)


def _layer_activations(names, n_hidden: int) -> tuple[str, ...] | None:
    """Per-hidden-layer activation names, checked: None (every layer uses ``activation``) or one
    name per hidden layer."""
    if names is None:
        return None
    names = tuple(names) if isinstance(names, (list, tuple)) else (names,)
    if len(names) != n_hidden:
        raise ValueError(f"activations must name one activation per hidden layer ({n_hidden}); got {len(names)}")
    for name in names:
        validate.choice("activations", name, act.HIDDEN_ACTIVATIONS)
    return names


def _dtype_name(value) -> str:
    try:
        dt = np.dtype(value)
    except TypeError:
        return value
    return "longdouble" if dt == np.longdouble and dt != np.float64 else str(dt)
