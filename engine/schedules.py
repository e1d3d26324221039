"""Learning-rate schedules: ``lr(base_lr, epoch)`` with fractional epochs.

``epoch`` is fractional progress, ``steps / steps_per_epoch``. The base learning rate is an
argument (not stored) so the UI can change it live while the schedule keeps its shape.

==============  ===============================================================
constant        lr = base
step            lr = base * factor ** floor(epoch / every)
exponential     lr = base * rate ** epoch
inverse_time    lr = base / (1 + decay * epoch)
cosine          lr = min_lr + 0.5*(base - min_lr)*(1 + cos(pi*min(epoch, period)/period))
==============  ===============================================================
"""
from __future__ import annotations

import math
from functools import partial

from . import validate

SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine")
_FACTOR = partial(validate.number, lo=0.0, hi=1.0, above=True)  # in (0, 1]


class Schedule:
    """Base class: subclasses set ``name``, ``_PARAMS`` {name: (default, check)} and
    implement ``_lr`` and ``describe``."""

    name = "schedule"
    _PARAMS: dict = {}

    def __init__(self, **params):
        for key in params:
            if key not in self._PARAMS:
                allowed = ", ".join(self._PARAMS) or "none"
                raise ValueError(f"{key} is not a parameter of the {self.name} schedule; "
                                 f"allowed: {allowed}")
        for key, (default, check) in self._PARAMS.items():
            setattr(self, key, check(key, params.get(key, default)))

    def params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self._PARAMS}

    def lr(self, base_lr: float, epoch: float) -> float:
        """The learning rate at fractional ``epoch`` (>= 0) for base rate ``base_lr`` (>= 0)."""
        base_lr = validate.non_negative("base_lr", base_lr)
        epoch = validate.non_negative("epoch", epoch)
        return self._lr(base_lr, epoch)

    __call__ = lr

    def _lr(self, base: float, epoch: float) -> float:  # pragma: no cover
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v:g}" for k, v in self.params().items())
        return f"{type(self).__name__}({ps})"


class Constant(Schedule):
    name = "constant"

    def _lr(self, base, epoch):
        return base

    def describe(self):
        return "lr = base_lr"


class StepDecay(Schedule):
    name = "step"
    _PARAMS = {"factor": (0.5, _FACTOR), "every": (10.0, partial(validate.number, lo=1.0))}

    def _lr(self, base, epoch):
        return base * self.factor ** math.floor(epoch / self.every)

    def describe(self):
        return f"lr = base_lr * {self.factor:g} ** floor(epoch / {self.every:g})"


class Exponential(Schedule):
    name = "exponential"
    _PARAMS = {"rate": (0.95, _FACTOR)}

    def _lr(self, base, epoch):
        return base * self.rate ** epoch

    def describe(self):
        return f"lr = base_lr * {self.rate:g} ** epoch"


class InverseTime(Schedule):
    name = "inverse_time"
    _PARAMS = {"decay": (0.1, validate.non_negative)}

    def _lr(self, base, epoch):
        return base / (1.0 + self.decay * epoch)

    def describe(self):
        return f"lr = base_lr / (1 + {self.decay:g} * epoch)"


class Cosine(Schedule):
    """Cosine annealing from base_lr to ``min_lr`` over ``period`` epochs, then flat.
    (If ``min_lr`` > base_lr the rate rises instead; the formula is applied as is.)"""

    name = "cosine"
    _PARAMS = {"period": (100.0, validate.positive), "min_lr": (0.0, validate.non_negative)}

    def _lr(self, base, epoch):
        period, lo = self.period, self.min_lr
        return lo + 0.5 * (base - lo) * (1.0 + math.cos(math.pi * min(epoch, period) / period))

    def describe(self):
        return (f"lr = {self.min_lr:g} + 0.5*(base_lr - {self.min_lr:g})"
                f"*(1 + cos(pi*min(epoch, {self.period:g})/{self.period:g}))")


_CLASSES = {"constant": Constant, "step": StepDecay, "exponential": Exponential,
            "inverse_time": InverseTime, "cosine": Cosine}


def make_schedule(name: str = "constant", **params) -> Schedule:
    """Build a schedule by name (one of ``SCHEDULES``). Parameters: step: ``factor`` in
    (0, 1] (default 0.5), ``every`` >= 1 epoch (default 10); exponential: ``rate`` in (0, 1]
    (default 0.95); inverse_time: ``decay`` >= 0 (default 0.1); cosine: ``period`` > 0 epochs
    (default 100), ``min_lr`` >= 0 (default 0)."""
    if not isinstance(name, str) or name not in _CLASSES:
        raise ValueError(f"name must be one of {', '.join(SCHEDULES)}; got {name!r}")
    return _CLASSES[name](**params)
