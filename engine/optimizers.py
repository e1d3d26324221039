"""Optimizers that update the network's flat parameter vector in place.

Every optimizer works on the 1-D arrays ``net.params`` and ``net.grad`` (all W first, then
all b), so one update is a constant number of NumPy calls whatever the depth. ``step``
allocates nothing: state and scratch arrays are preallocated in ``__init__`` and every
operation writes through ``out=`` or an in-place ufunc. Arrays keep the dtype the optimizer
was made with (float32 or float64); scalars are Python floats so NumPy never upcasts.

``g`` below is the gradient as given, which already includes L1/L2 penalty gradients.

=========  ==================================================================
sgd        p -= lr * g
momentum   v = mu*v - lr*g;  p += v
nesterov   v_new = mu*v - lr*g;  p += -mu*v + (1+mu)*v_new;  v = v_new
adam       m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
           m_hat = m/(1-b1**t);  v_hat = v/(1-b2**t);
           p -= lr * m_hat / (sqrt(v_hat) + eps)
rmsprop    s = rho*s + (1-rho)*g*g;  p -= lr * g / (sqrt(s) + eps)
=========  ==================================================================

The learning rate is an argument of ``step`` (schedules and the UI change it live); the
other hyperparameters are attributes that may be reassigned between steps (validated on
assignment) and take effect at the next step without resetting the state.
"""
from __future__ import annotations

import math

import numpy as np

from . import validate
from .arith import RESULT_DIGITS, digits_to_show, equation, num, opnd

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop")
DTYPES = ("float64", "float32")


class _Hyper:
    """A hyperparameter attribute: reads like a plain attribute, validates on assignment."""

    def __init__(self, check):
        self.check = check

    def __set_name__(self, owner, name):
        self.name = name
        self.slot = "_h_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj.__dict__[self.slot]

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = self.check(self.name, value)


# ----------------------------------------------------------------------------- explaining

def _line(lhs: str, symbolic: str, build, value, **digits) -> str:
    """``lhs = symbolic = numeric = value`` with the digits chosen by ``arith.equation``."""
    return f"{lhs} = {symbolic} = {equation(build, value, **digits)}"


def _prior(x, d: int) -> str:
    """A number stated as the result of an earlier line: at least as many digits as it had there."""
    return opnd(x, max(d, RESULT_DIGITS))


def _new_value_line(label: str, change: str, before: float, delta: float, after: float) -> str:
    """``W1_new[0,2] = W1[0,2] + Δ = ...``: before and after with digits enough to show the change."""
    name, idx = _split_label(label)
    digits = digits_to_show(after, delta)
    return _line(f"{name}_new{idx}", f"{label} + {change}",
                 lambda d: f"{num(before, d)} + {_prior(delta, d)}", after, digits=digits, start=digits)


def _split_label(label: str) -> tuple[str, str]:
    """'W1[0,2]' -> ('W1', '[0,2]'); 'b2' -> ('b2', '')."""
    i = label.find("[")
    return (label, "") if i < 0 else (label[:i], label[i:])


# ----------------------------------------------------------------------------- base class

class Optimizer:
    """Base class. Subclasses set ``name``, ``_HYPER`` (hyperparameter names with defaults),
    ``_STATE`` (names of per-parameter state arrays) and implement ``_update``.

    Attributes: ``n_params``, ``dtype``, ``t`` (steps taken), one attribute per
    hyperparameter, and one preallocated array per state name (e.g. ``v``).
    """

    name = "optimizer"
    _HYPER: dict[str, float] = {}
    _STATE: tuple[str, ...] = ()

    def __init__(self, n_params: int, dtype="float64", **hyper):
        if isinstance(n_params, (bool, np.bool_)) or not isinstance(n_params, (int, np.integer)):
            raise ValueError(f"n_params must be an integer >= 0; got {n_params!r}")
        if n_params < 0:
            raise ValueError(f"n_params must be an integer >= 0; got {n_params!r}")
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt is None or dt.name not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
        self.n_params = int(n_params)
        self.dtype = dt
        self._shape = (self.n_params,)
        for key in hyper:
            if key not in self._HYPER:
                allowed = ", ".join(self._HYPER) or "none"
                hint = " (lr is passed to step() each step)" if key == "lr" else ""
                raise ValueError(f"{key} is not a hyperparameter of {self.name}{hint}; "
                                 f"allowed: {allowed}")
        for key, default in self._HYPER.items():
            setattr(self, key, hyper.get(key, default))
        self._states = {s: np.zeros(self.n_params, dt) for s in self._STATE}
        for s, arr in self._states.items():
            setattr(self, s, arr)
        self._scratch = np.empty(self.n_params, dt)
        self.t = 0

    # --------------------------------------------------------------- updating

    def step(self, params: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """Update ``params`` in place from ``grad`` with learning rate ``lr``; ``t += 1``."""
        if params.shape != self._shape or grad.shape != self._shape:
            raise ValueError(f"params and grad must have shape {self._shape}; "
                             f"got {params.shape} and {grad.shape}")
        if params.dtype != self.dtype or grad.dtype != self.dtype:
            raise ValueError(f"params and grad must have dtype {self.dtype.name}; "
                             f"got {params.dtype.name} and {grad.dtype.name}")
        lr = validate.non_negative("lr", lr)
        self.step_unchecked(params, grad, lr)

    def step_unchecked(self, params: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """``step`` for a caller that guarantees shapes, dtype and lr (the trainer's hot loop:
        at a few microseconds per step the checks would cost several percent)."""
        self.t += 1
        self._update(params, grad, lr)

    def _update(self, p: np.ndarray, g: np.ndarray, lr: float) -> None:  # pragma: no cover
        raise NotImplementedError

    def reset(self) -> None:
        """Zero the state arrays (same objects) and ``t``; hyperparameters are kept."""
        for arr in self._states.values():
            arr.fill(0)
        self.t = 0

    # --------------------------------------------------------------- introspection

    def hyperparameters(self) -> dict[str, float]:
        """Current hyperparameters (lr excluded: it is an argument of ``step``)."""
        return {k: getattr(self, k) for k in self._HYPER}

    def check_hyperparameters(self, **hyper) -> dict[str, float]:
        """The values as ``set_hyperparameters`` would store them; raises ValueError, changes nothing."""
        for key in hyper:
            if key not in self._HYPER:
                raise ValueError(f"{key} is not a hyperparameter of {self.name}; "
                                 f"allowed: {', '.join(self._HYPER) or 'none'}")
        return {k: getattr(type(self), k).check(k, v) for k, v in hyper.items()}

    def set_hyperparameters(self, **hyper) -> None:
        """Validate all values first, then assign them (none is assigned if one is bad)."""
        checked = self.check_hyperparameters(**hyper)
        for k, v in checked.items():
            setattr(self, k, v)

    def state_dict(self) -> dict[str, np.ndarray | float | int]:
        """Copies of everything needed to continue bit-identically: ``t``, the
        hyperparameters and the state arrays."""
        d: dict[str, np.ndarray | float | int] = {"t": int(self.t)}
        d.update(self.hyperparameters())
        for s, arr in self._states.items():
            d[s] = arr.copy()
        return d

    def load_state_dict(self, d) -> None:
        """Restore from ``state_dict()`` output (also accepts 0-d arrays, as np.load gives).
        State arrays are copied into the existing arrays (they stay the same objects).
        An optional ``name`` entry must match this optimizer's name."""
        expected = {"t", *self._HYPER, *self._STATE}
        extra = set(d) - expected - {"name"}
        if extra:
            raise ValueError(f"unexpected state entries for {self.name}: {', '.join(sorted(extra))}")
        if "name" in d and str(np.asarray(d["name"])) != self.name:
            raise ValueError(f"name: state is for optimizer {str(np.asarray(d['name']))!r}, "
                             f"not {self.name!r}")
        missing = expected - set(d)
        if missing:
            raise ValueError(f"missing state entries for {self.name}: {', '.join(sorted(missing))}")
        t = np.asarray(d["t"])
        if (t.shape != () or t.dtype.kind not in "iuf" or not np.isfinite(t)
                or t != np.floor(t) or t < 0):
            raise ValueError(f"t must be an integer >= 0; got {d['t']!r}")
        arrays = {}
        for s in self._STATE:
            a = np.asarray(d[s])
            if a.shape != self._shape:
                raise ValueError(f"{s} must have shape {self._shape}; got {a.shape}")
            if not np.can_cast(a.dtype, self.dtype, casting="same_kind") or a.dtype.kind != "f":
                raise ValueError(f"{s} must be a float array; got dtype {a.dtype}")
            arrays[s] = a
        self.set_hyperparameters(**{k: float(np.asarray(d[k])) for k in self._HYPER})
        for s, a in arrays.items():
            np.copyto(self._states[s], a, casting="same_kind")
        self.t = int(t)

    def snapshot_state(self) -> dict[str, np.ndarray]:
        """Copies of the per-parameter state arrays (empty for sgd)."""
        return {s: arr.copy() for s, arr in self._states.items()}

    def formula(self, param: str = "W1", grad: str | None = None) -> str:
        """The update as vector formula text for parameter ``param`` and its gradient ``grad``
        (default ``"d" + param``)."""
        raise NotImplementedError  # pragma: no cover

    def explain_element(self, k: int, label: str, before: float, g: float, lr: float,
                        state_before: dict, state_after: dict, after: float, grad: str | None = None) -> str:
        """One element's update with the real numbers, one line per stage, ending with the change
        ``Δ`` (or the velocity that is the change) and ``label_new = label + Δ``. The optimizer's
        state (m, v, ...) is named without the index: every line is about the one element.

        ``k`` is the flat index into the state arrays, ``label`` e.g. ``"W1[0,2]"``, ``grad`` the
        gradient's name (default ``"d" + label``; ``"g"`` after clipping), ``before``/``g``/
        ``after`` are the parameter before, the gradient used and the parameter after the step;
        ``state_before``/``state_after`` are ``snapshot_state()`` taken before and after the step.
        Every line evaluates to its result as printed (see ``arith``).
        """
        raise NotImplementedError  # pragma: no cover

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v:g}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}(n_params={self.n_params}, dtype={self.dtype.name}" \
               f"{', ' + hp if hp else ''}, t={self.t})"


# ----------------------------------------------------------------------------- optimizers

class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr * g``."""

    name = "sgd"

    def _update(self, p, g, lr):
        s = self._scratch
        np.multiply(g, lr, out=s)
        np.subtract(p, s, out=p)

    def formula(self, param="W1", grad=None):
        grad = grad or f"d{param}"
        return f"{param}_new = {param} - lr * {grad}"

    def explain_element(self, k, label, before, g, lr, state_before, state_after, after, grad=None):
        grad = grad or f"d{label}"
        delta = -(g * lr)
        return "\n".join([
            _line("Δ", f"-lr*{grad}", lambda d: f"-{num(lr, d)}*{opnd(g, d)}", delta),
            _new_value_line(label, "Δ", before, delta, after)])


class Momentum(Optimizer):
    """Classical momentum: ``v = mu*v - lr*g; p += v`` (mu is the ``momentum`` attribute)."""

    name = "momentum"
    momentum = _Hyper(validate.unit_interval)
    _HYPER = {"momentum": 0.9}
    _STATE = ("v",)

    def _update(self, p, g, lr):
        v, s = self.v, self._scratch
        v *= self.momentum
        np.multiply(g, lr, out=s)
        v -= s
        p += v

    def formula(self, param="W1", grad=None):
        grad = grad or f"d{param}"
        return f"v = mu*v - lr*{grad}; {param}_new = {param} + v"

    def _v_line(self, k, lhs, grad, g, lr, state_before, state_after):
        """``v = mu*v - lr*g``: the line, v before and v after."""
        v0, v1, mu = float(state_before["v"][k]), float(state_after["v"][k]), self.momentum
        line = _line(lhs, f"mu*v - lr*{grad}",
                     lambda d: f"{num(mu, d)}*{opnd(v0, d)} - {opnd(lr, d)}*{opnd(g, d)}", v1)
        return line, v0, v1

    def explain_element(self, k, label, before, g, lr, state_before, state_after, after, grad=None):
        grad = grad or f"d{label}"
        line, _, v1 = self._v_line(k, "v", grad, g, lr, state_before, state_after)
        return line + "\n" + _new_value_line(label, "v", before, v1, after)


class Nesterov(Momentum):
    """Nesterov momentum in the Sutskever / CS231n form:
    ``v_new = mu*v - lr*g; p += -mu*v + (1+mu)*v_new; v = v_new``."""

    name = "nesterov"

    def _update(self, p, g, lr):
        v, s, mu = self.v, self._scratch, self.momentum
        v *= mu                  # v = mu*v_old
        p -= v                   # p += -mu*v_old
        np.multiply(g, lr, out=s)
        v -= s                   # v = v_new
        np.multiply(v, 1.0 + mu, out=s)
        p += s                   # p += (1+mu)*v_new

    def formula(self, param="W1", grad=None):
        grad = grad or f"d{param}"
        return f"v_new = mu*v - lr*{grad}; {param}_new = {param} - mu*v + (1+mu)*v_new"

    def explain_element(self, k, label, before, g, lr, state_before, state_after, after, grad=None):
        grad = grad or f"d{label}"
        line, v0, v1 = self._v_line(k, "v_new", grad, g, lr, state_before, state_after)
        mu = self.momentum
        delta = -mu * v0 + (1 + mu) * v1
        return "\n".join([
            line,
            _line("Δ", "-mu*v + (1+mu)*v_new",
                  lambda d: f"-{num(mu, d)}*{opnd(v0, d)} + (1+{num(mu, d)})*{_prior(v1, d)}", delta),
            _new_value_line(label, "Δ", before, delta, after)])


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction:
    ``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; m_hat = m/(1-b1**t); v_hat = v/(1-b2**t);
    p -= lr * m_hat / (sqrt(v_hat) + eps)``.

    Implemented with the corrections folded into scalars,
    ``p -= (lr*sqrt(c2)/c1) * m / (sqrt(v) + eps*sqrt(c2))`` with ``c1 = 1-b1**t``,
    ``c2 = 1-b2**t``, which is the same expression rearranged (equal up to rounding).
    """

    name = "adam"
    beta1 = _Hyper(validate.unit_interval)
    beta2 = _Hyper(validate.unit_interval)
    eps = _Hyper(validate.positive)
    _HYPER = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    _STATE = ("m", "v")

    def _update(self, p, g, lr):
        m, v, s = self.m, self.v, self._scratch
        b1, b2, t = self.beta1, self.beta2, self.t
        # m = b1*m + (1-b1)*g
        m *= b1
        np.multiply(g, 1.0 - b1, out=s)
        m += s
        # v = b2*v + (1-b2)*g*g
        v *= b2
        np.multiply(g, g, out=s)
        s *= 1.0 - b2
        v += s
        # p -= lr*sqrt(c2)/c1 * m / (sqrt(v) + eps*sqrt(c2))
        c1 = 1.0 - b1 ** t
        rc2 = math.sqrt(1.0 - b2 ** t)
        np.sqrt(v, out=s)
        s += self.eps * rc2
        np.divide(m, s, out=s)
        s *= lr * rc2 / c1
        p -= s

    def formula(self, param="W1", grad=None):
        grad = grad or f"d{param}"
        return (f"m = b1*m + (1-b1)*{grad}; v = b2*v + (1-b2)*{grad}**2; "
                f"m_hat = m/(1-b1**t); v_hat = v/(1-b2**t); "
                f"{param}_new = {param} - lr * m_hat / (sqrt(v_hat) + eps)")

    def explain_element(self, k, label, before, g, lr, state_before, state_after, after, grad=None):
        """As the base class; ``t`` is the current step count, so call it right after the
        step being explained."""
        grad = grad or f"d{label}"
        b1, b2, eps, t = self.beta1, self.beta2, self.eps, max(self.t, 1)
        m0, m1 = float(state_before["m"][k]), float(state_after["m"][k])
        v0, v1 = float(state_before["v"][k]), float(state_after["v"][k])
        m_hat = m1 / (1 - b1 ** t)
        v_hat = v1 / (1 - b2 ** t)
        delta = -lr * m_hat / (math.sqrt(v_hat) + eps)
        return "\n".join([
            _line("m", f"b1*m + (1-b1)*{grad}",
                  lambda d: f"{num(b1, d)}*{opnd(m0, d)} + (1-{num(b1, d)})*{opnd(g, d)}", m1),
            _line("v", f"b2*v + (1-b2)*{grad}**2",
                  lambda d: f"{num(b2, d)}*{opnd(v0, d)} + (1-{num(b2, d)})*{opnd(g, d)}**2", v1),
            _line("m_hat", "m/(1-b1**t)", lambda d: f"{_prior(m1, d)}/(1-{num(b1, d)}**{t})", m_hat),
            _line("v_hat", "v/(1-b2**t)", lambda d: f"{_prior(v1, d)}/(1-{num(b2, d)}**{t})", v_hat),
            _line("Δ", "-lr*m_hat/(sqrt(v_hat) + eps)",
                  lambda d: f"-{num(lr, d)}*{_prior(m_hat, d)}/(sqrt({_prior(v_hat, d)}) + {num(eps, d)})", delta),
            _new_value_line(label, "Δ", before, delta, after),
        ])


class RMSProp(Optimizer):
    """RMSProp: ``s = rho*s + (1-rho)*g*g; p -= lr * g / (sqrt(s) + eps)``."""

    name = "rmsprop"
    rho = _Hyper(validate.unit_interval)
    eps = _Hyper(validate.positive)
    _HYPER = {"rho": 0.9, "eps": 1e-8}
    _STATE = ("s",)

    def _update(self, p, g, lr):
        st, tmp = self.s, self._scratch
        rho = self.rho
        st *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        st += tmp
        np.sqrt(st, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp

    def formula(self, param="W1", grad=None):
        grad = grad or f"d{param}"
        return (f"s = rho*s + (1-rho)*{grad}**2; "
                f"{param}_new = {param} - lr * {grad} / (sqrt(s) + eps)")

    def explain_element(self, k, label, before, g, lr, state_before, state_after, after, grad=None):
        grad = grad or f"d{label}"
        rho, eps = self.rho, self.eps
        s0, s1 = float(state_before["s"][k]), float(state_after["s"][k])
        delta = -lr * g / (math.sqrt(s1) + eps)
        return "\n".join([
            _line("s", f"rho*s + (1-rho)*{grad}**2",
                  lambda d: f"{num(rho, d)}*{opnd(s0, d)} + (1-{num(rho, d)})*{opnd(g, d)}**2", s1),
            _line("Δ", f"-lr*{grad}/(sqrt(s) + eps)",
                  lambda d: f"-{num(lr, d)}*{opnd(g, d)}/(sqrt({_prior(s1, d)}) + {num(eps, d)})", delta),
            _new_value_line(label, "Δ", before, delta, after),
        ])


_CLASSES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adam": Adam,
            "rmsprop": RMSProp}


def make_optimizer(name: str, n_params: int, dtype="float64", **hyper) -> Optimizer:
    """Build an optimizer by name (one of ``OPTIMIZERS``) for ``n_params`` parameters of
    ``dtype``. Hyperparameters: momentum/nesterov: ``momentum`` in [0, 1) (default 0.9);
    adam: ``beta1``, ``beta2`` in [0, 1), ``eps`` > 0; rmsprop: ``rho`` in [0, 1), ``eps`` > 0.
    ``make_optimizer("momentum", ..., nesterov=True)`` gives the nesterov optimizer.
    """
    if not isinstance(name, str) or name not in _CLASSES:
        raise ValueError(f"name must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    if "nesterov" in hyper:
        nesterov = hyper.pop("nesterov")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False; got {nesterov!r}")
        if name not in ("momentum", "nesterov"):
            raise ValueError(f"nesterov applies only to momentum; got name={name!r}")
        if name == "nesterov" and not nesterov:
            raise ValueError("nesterov=False contradicts name='nesterov'; use name='momentum'")
        if nesterov:
            name = "nesterov"
    return _CLASSES[name](n_params, dtype, **hyper)
