"""The update stages of a traced step: W1_new, b1_new, ... with the optimizer's own formula.

``UpdateRecord`` freezes what one optimizer step read and wrote (the flat parameters before and
after, the gradient before and after clipping, the optimizer's state and hyperparameters);
``add_update_stages`` turns it into one "update" TraceStep per weight matrix and bias, whose
explainer writes the element's update, with clipping first when the gradient was clipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .clipping import clip_by_value, explain_clip, global_norm, norm_scale
from .optimizers import Optimizer
from .trace import Trace, TraceStep


@dataclass(frozen=True)
class UpdateRecord:
    """One optimizer step, as the explanations need it. The arrays are the trainer's copies."""
    optimizer: Optimizer  # a shallow copy: the step count t and hyperparameters of this very step
    lr: float
    before: np.ndarray  # flat parameters before the step
    raw: np.ndarray  # the gradient dW as backpropagation left it
    used: np.ndarray  # the gradient the optimizer used: ``raw`` after clipping
    after: np.ndarray  # flat parameters after the step
    state_before: dict
    state_after: dict
    clip_value: float | None
    clip_norm: float | None
    shapes: tuple  # (W shape, b shape or None) per layer; params hold every W, then every b
    n_weights: int


def add_update_stages(trace: Trace, rec: UpdateRecord) -> None:
    """Append W{l}_new and b{l}_new, in layer order, to ``trace``."""
    trace.add_operand("lr", rec.lr)
    clipping = _clipping(rec.raw, rec.clip_value, rec.clip_norm)
    offset_w, offset_b = 0, rec.n_weights
    for l, (w_shape, b_shape) in enumerate(rec.shapes, start=1):
        kinds = (("W", w_shape, offset_w),) + ((("b", b_shape, offset_b),) if b_shape else ())
        for kind, shape, offset in kinds:
            name, size = f"{kind}{l}", math.prod(shape)
            trace.add(TraceStep("update", f"{name}_new", rec.after[offset:offset + size].reshape(shape),
                                _update_formula(rec.optimizer, name, clipping), (name, f"d{name}"), l,
                                _explain_update(rec, name, shape, offset, clipping)))
        offset_w += math.prod(w_shape)
        offset_b += math.prod(b_shape) if b_shape else 0


def _clipping(grad: np.ndarray, clip_value, clip_norm) -> tuple | None:
    """What clipping did to the gradient ``grad``, for the explanations: (clip_value or None, the
    norm after value clipping, clip_norm or None if it did not scale), or None when the gradient
    went to the optimizer unchanged."""
    if not (clip_value or clip_norm):
        return None
    by_value = grad
    if clip_value:
        by_value = grad.copy()
        clip_by_value(by_value, clip_value)
    norm = global_norm(by_value)
    scaled = clip_norm if clip_norm and norm_scale(norm, clip_norm) != 1.0 else None
    return (clip_value, norm, scaled) if (clip_value or scaled) else None


def _update_formula(opt, name: str, clipping) -> str:
    if clipping is None:
        return opt.formula(name)
    return f"g = clip(d{name}); {opt.formula(name, grad='g')}"


def _explain_update(rec: UpdateRecord, name: str, shape: tuple, offset: int, clipping):
    """The update of one element; with clipping, first how dW became the gradient g it used."""
    opt, before, g, after = rec.optimizer, rec.before, rec.used, rec.after

    def explain(ix):
        k = offset + int(np.ravel_multi_index(ix, shape))
        label = f"{name}[{','.join(str(i) for i in ix)}]"
        if clipping is None:
            return opt.explain_element(k, label, float(before[k]), float(g[k]), rec.lr, rec.state_before,
                                       rec.state_after, float(after[k]))
        clip = explain_clip(label, float(rec.raw[k]), float(g[k]), *clipping)
        update = opt.explain_element(k, label, float(before[k]), float(g[k]), rec.lr, rec.state_before,
                                     rec.state_after, float(after[k]), grad="g")
        return clip + "\n" + update
    return explain
