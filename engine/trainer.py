"""The training loop: mini-batches, live hyperparameters, metrics, the divergence watchdog,
and a single step taken as a trace (forward, backward and the optimizer's update).

The hot path (``step``) allocates nothing per step for a fixed batch size: the training set is
shuffled once per epoch into preallocated arrays, so batches are views, and the network and the
optimizer work on preallocated buffers.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import dropout as drop
from . import perceptron, validate
from .clipping import clip_by_global_norm, clip_by_value
from .confusion import confusion_matrix
from .early_stop import KEPT_COLUMN, EarlyStopping, EarlyStopReport
from .history import History
from .optimizers import make_optimizer
from .regression import r2_score
from .schedules import make_schedule
from .trace import Trace, capture
from .update_trace import UpdateRecord, add_update_stages

LOSS_EXPLOSION = 1e3  # loss above this multiple of the first step's loss counts as divergence
# Only parameters whose loss is within this multiple of the first step's loss are kept for a
# restore: a loss already far above it (2018 against 3.3) is on its way out, not a safe place.
LOSS_NORMAL = 10.0
BACKUP_EVERY = 10  # steps between backups: only the last one is ever restored, so copying every step is waste
WEIGHT_RMS_LIMIT = 1e4  # root-mean-square weight above this counts as divergence
OPTIMIZER_HYPER = ("momentum", "beta1", "beta2", "eps", "rho")


@dataclass
class DivergenceReport:
    """What the watchdog saw when training went non-finite or exploded."""

    step: int
    epoch: int
    where: str  # e.g. "gradient dW2 became non-finite", "the loss exploded to 3.5e+03"
    layer: int  # the layer at fault, or the one with the largest gradient when the loss exploded
    grad_norms: list[float]
    restored_step: int
    lr: float


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A consistent copy of the training state for another thread to read at leisure. Equal only
    to itself: each publish makes a new one, so identity says "nothing new" at no cost."""

    step: int
    epoch: int
    epoch_progress: float
    params: np.ndarray
    last: dict | None
    step_loss: float | None
    lr: float
    history: dict = field(repr=False)
    step_history: dict = field(repr=False)
    divergence: DivergenceReport | None
    samples_per_sec: float
    state: str = "idle"
    early_stop: EarlyStopReport | None = None


def _split(data):
    """Accept a Dataset, (X, y) or (X_train, y_train, X_test, y_test). A Dataset given as target
    vectors (``Dataset.targets_train``) trains on those; its labels y serve the accuracy."""
    if hasattr(data, "X_train"):
        return data.X_train, data.y_train, data.X_test, data.y_test
    if len(data) == 2:
        return data[0], data[1], data[0], data[1]
    if len(data) == 4:
        return tuple(data)
    raise ValueError("data must be a Dataset, (X, y) or (X_train, y_train, X_test, y_test)")


def _checked_data(net, data) -> tuple:
    """(X_train, y_train, X_test, y_test, Y_train, Y_test) for ``net``, the Y as training
    targets; raises ValueError for data that does not fit the network."""
    X_train, y_train, X_test, y_test = _split(data)
    X_train = net.check_X(X_train)
    # No test split (test fraction 0): an empty (0, d) array, and no test metrics.
    X_test = net.check_X(X_test) if len(X_test) else np.empty((0, X_train.shape[1]), net.dtype)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    targets = getattr(data, "targets_train", None)
    Y_train = net.encode_targets(y_train if targets is None else targets, X_train.shape[0])
    Y_test = net.encode_targets(y_test if targets is None else data.targets_test, X_test.shape[0])
    return X_train, y_train, X_test, y_test, Y_train, Y_test


class Trainer:
    """Trains ``net`` on ``data``; every knob but the architecture can change between steps."""

    def __init__(self, net, data, optimizer="adam", lr=0.01, batch_size=32, schedule="constant",
                 schedule_params=None, clip_norm=None, clip_value=None, seed=0, eval_every=1,
                 history_cap=2000, dropout=(), early_stop=0, **optimizer_hyper):
        self.net = net
        self._take_data(_checked_data(net, data))
        self.n_classes = max(2, net.n_outputs)
        self.task = getattr(data, "task", "classification")
        self.lr = validate.in_range("lr", lr)
        self.batch_size = self._check_batch_size(batch_size)
        self.clip_norm = validate.optional_positive("clip_norm", clip_norm)
        self.clip_value = validate.optional_positive("clip_value", clip_value)
        self.eval_every = validate.whole("eval_every", eval_every, 1)
        self.optimizer = make_optimizer(optimizer, net.params.size, net.dtype, **optimizer_hyper)
        self.schedule = make_schedule(schedule, **(schedule_params or {}))
        self.seed = seed
        rates = drop.per_layer(dropout, net.n_layers - 1)
        self.dropout = drop.Dropout(rates, net.n_layers - 1, seed) if drop.is_on(rates) else None
        self.early_stopping = self._early_stopping(early_stop)
        self.history = self._new_history(history_cap)
        self._good = net.params.copy()  # the last parameters whose loss was checked and normal
        self._good_optimizer: tuple[int, dict] = (0, {})  # the optimizer's t and state beside them
        self.reset_progress()

    # ----- state ----------------------------------------------------------------------------
    def reset_progress(self) -> None:
        """Back to step 0: fresh shuffling order, optimizer state and history (weights untouched)."""
        self.rng = np.random.default_rng(self.seed)
        self.step_count, self.epoch, self.pos = 0, 0, self.n  # pos == n: the next step shuffles
        self.perm = np.arange(self.n)
        self.optimizer.reset()
        self.history = self._new_history(self.history.epochs.cap)
        self.divergence: DivergenceReport | None = None
        self.stopped_early: EarlyStopReport | None = None
        if self.dropout is not None:
            self.dropout.reset()
        if self.early_stopping is not None:
            self.early_stopping.reset()
        self.last_loss: float | None = None
        self._reference_loss: float | None = None
        self._samples_per_sec = 0.0
        self._keep_good()
        self._epoch_started = time.perf_counter()
        self._epoch_seconds = 0.0

    def _early_stopping(self, patience) -> EarlyStopping | None:
        if not patience:
            return None
        if not len(self.X_test):
            raise ValueError("early_stop needs a test split to watch (a test fraction above 0)")
        return EarlyStopping(patience)

    def _new_history(self, cap: int) -> History:
        extra = (KEPT_COLUMN,) if self.early_stopping is not None else ()
        return History(self.net.n_layers, cap=cap, extra=extra, task=self.task)

    def set_data(self, data, batch_size=None) -> None:
        """Train on ``data`` (same features and classes) from the next step on, which begins a
        new epoch over it; the weights, the optimizer's state, the step count and the history
        stay. ``batch_size`` as the constructor takes it ("full" follows the new size), None
        keeps the current one. Checked before anything changes (ValueError)."""
        arrays = _checked_data(self.net, data)
        n = arrays[0].shape[0]
        if batch_size is None:
            batch_size = self.batch_size
        if batch_size != "full":
            self._check_batch_size(batch_size)  # validates it (the cap is the new size, below)
        batch_size = n if batch_size == "full" else min(int(batch_size), n)
        self._take_data(arrays)
        self.batch_size = batch_size
        self.pos = self.n  # the next step shuffles the new data
        self.perm = np.arange(self.n)

    def _take_data(self, arrays) -> None:
        self.X_train, self.y_train, self.X_test, self.y_test, self._Y_train, self._Y_test = arrays
        self.n = self.X_train.shape[0]
        self._Xs = np.empty_like(self.X_train)  # the epoch's shuffled copies
        self._Ys = np.empty_like(self._Y_train)

    @property
    def epoch_progress(self) -> float:
        """Fractional epochs done, e.g. 3.25."""
        return self.epoch + (0.0 if self.pos >= self.n else self.pos / self.n)

    @property
    def current_lr(self) -> float:
        # The schedule's unchecked rule: lr is validated when set and epoch_progress is >= 0.
        return self.schedule._lr(float(self.lr), self.epoch_progress)

    def _check_batch_size(self, batch_size) -> int:
        if batch_size == "full":
            return self.n
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1 or 'full'; got {batch_size!r}")
        return min(int(batch_size), self.n)

    def set_hyperparameters(self, **changes) -> None:
        """Change lr, batch_size, l1, l2, clipping, schedule or optimizer settings between steps.

        Everything is validated before anything changes, so a bad value leaves the trainer as it was.
        """
        new = {}
        for key, value in changes.items():
            if key == "lr":
                new[key] = validate.in_range("lr", value)
            elif key == "batch_size":
                new[key] = self._check_batch_size(value)
            elif key in ("l1", "l2"):
                new[key] = validate.non_negative(key, value)  # as the network checks it
            elif key in ("clip_norm", "clip_value"):
                new[key] = validate.optional_positive(key, value)
            elif key in OPTIMIZER_HYPER:
                if key not in self.optimizer.hyperparameters():
                    continue  # e.g. momentum while using adam: kept by the form, unused here
                new.update(self.optimizer.check_hyperparameters(**{key: value}))
            elif key == "schedule":
                name, params = value if isinstance(value, tuple) else (value, {})
                new[key] = make_schedule(name, **params)
            else:
                raise ValueError(f"{key} cannot be changed during training")
        for key, value in new.items():
            if key in ("l1", "l2"):
                setattr(self.net, key, float(value))
            elif key in OPTIMIZER_HYPER:
                setattr(self.optimizer, key, value)
            else:
                setattr(self, key, value)

    # ----- one step ---------------------------------------------------------------------------
    def _next_batch(self):
        if self.pos >= self.n:
            self._begin_epoch()
        bs = min(self.batch_size, self.n - self.pos)
        return self._Xs[self.pos:self.pos + bs], self._Ys[self.pos:self.pos + bs]

    def _begin_epoch(self) -> None:
        self.pos = 0
        if self.batch_size < self.n:  # a full batch needs no shuffling: the gradient is a mean
            self.perm = self.rng.permutation(self.n)
            np.take(self.X_train, self.perm, axis=0, out=self._Xs)
            np.take(self._Y_train, self.perm, axis=0, out=self._Ys)
        else:
            self._Xs[...] = self.X_train
            self._Ys[...] = self._Y_train
        self._epoch_started = time.perf_counter()

    def step(self) -> dict:
        """One mini-batch update. Returns the step's metrics."""
        self._resume()
        xb, Yb = self._next_batch()
        buf, loss = self._forward_backward(xb, Yb)
        return self._apply(loss, xb.shape[0], buf)

    def _forward_backward(self, xb, Yb):
        """The pass every step runs: buffers filled, gradient in net.grad; returns (buf, loss)."""
        net = self.net
        buf = net.buffers(xb.shape[0])
        if self.dropout is None:  # once per step: the layer loops themselves have no branch
            net.forward_into(xb, buf)
            loss = float(net.loss_from_buffers(Yb, buf))
            net.backward_into(Yb, buf)
        else:
            self.dropout.draw(xb.shape[0], net.sizes[1:-1], net.dtype)
            drop.forward_into(net, xb, buf, self.dropout)
            loss = float(net.loss_from_buffers(Yb, buf))
            drop.backward_into(net, Yb, buf, self.dropout)
        return buf, loss

    def _resume(self) -> None:
        """The first step after a divergence or an early stop: the learner resumes."""
        self.stopped_early = None
        if self.divergence is not None:
            self.divergence = None
            # Judge a new explosion against the loss where training resumes: the restored
            # parameters may sit just under the old limit, and a batch above it would stop
            # the run again at once, however low the learning rate now is.
            self._reference_loss = None

    def _apply(self, loss: float, bs: int, buf=None, advance: bool = True) -> dict:
        """Watchdog, clipping and the optimizer update after the gradient is in ``net.grad``."""
        net, g = self.net, self.net.grad
        gnorm = math.sqrt(float(np.vdot(g, g)))
        if self._reference_loss is None:
            self._reference_loss = max(loss, 1e-3)
        if not (math.isfinite(loss) and math.isfinite(gnorm)) or loss > LOSS_EXPLOSION * self._reference_loss:
            return self._diverged(loss, buf)
        if self.step_count % BACKUP_EVERY == 0 and loss <= LOSS_NORMAL * self._reference_loss:
            # Back up the parameters whose loss was just measured and normal (not the updated
            # ones, whose loss is unknown until the next step): restoring them after a
            # divergence lets training resume once the learning rate is lowered.
            self._keep_good()
        if self.clip_value:
            clip_by_value(g, self.clip_value)
        if self.clip_norm:
            clip_by_global_norm(g, self.clip_norm)
        lr = self.current_lr
        self.optimizer.step_unchecked(net.params, g, lr)
        w = net.params[:net.n_weights]
        w_rms = math.sqrt(float(np.vdot(w, w)) / max(1, net.n_weights))
        if not w_rms <= WEIGHT_RMS_LIMIT:  # also catches NaN
            return self._diverged(loss, buf)
        self.step_count += 1
        self.last_loss = loss
        self.history.steps.append({"step": self.step_count, "loss": loss, "lr": lr})
        if advance:
            self.pos += bs
            if self.pos >= self.n:
                self._end_epoch()
        return {"step": self.step_count, "epoch": self.epoch_progress, "loss": loss, "lr": lr,
                "grad_norm": gnorm, "batch_size": bs}

    def _diverged(self, loss: float, buf) -> dict:
        net = self.net
        where, layer = None, None
        if buf is not None:
            for l, z in enumerate(buf.z, start=1):
                if not np.all(np.isfinite(z)):
                    where, layer = f"activation z{l} became non-finite", l
                    break
        grad_norms = [math.sqrt(float(np.vdot(g.W, g.W) + (0.0 if g.b is None else np.vdot(g.b, g.b))))
                      for g in net._grad_layers]
        if layer is None:
            for l in range(net.n_layers, 0, -1):  # backward order: where the gradient first broke
                if not math.isfinite(grad_norms[l - 1]):
                    where, layer = f"gradient dW{l} became non-finite", l
                    break
        if layer is None:
            for l, lay in enumerate(net.layers, start=1):
                rms = math.sqrt(float(np.vdot(lay.W, lay.W)) / lay.W.size)
                if not rms <= WEIGHT_RMS_LIMIT:
                    where, layer = f"weights W{l} exploded (RMS {rms:.3g})", l
                    break
        if layer is None:
            layer = 1 + max(range(net.n_layers), key=lambda i: grad_norms[i])
            where = (f"the loss exploded to {loss:.3g} (gradient largest" if math.isfinite(loss)
                     else "the loss became non-finite (gradient largest")
            where += f", norm {grad_norms[layer - 1]:.3g})"
        self.divergence = DivergenceReport(self.step_count + 1, self.epoch, where, layer, grad_norms,
                                           self._good_step, self.lr)
        np.copyto(net.params, self._good)
        t, states = self._good_optimizer
        self.optimizer.load_state_dict({"t": t, **self.optimizer.hyperparameters(), **states})
        return {"step": self.step_count, "epoch": self.epoch_progress, "loss": loss, "lr": self.lr,
                "grad_norm": float("nan"), "batch_size": 0, "diverged": True}

    def _keep_good(self) -> None:
        """Remember the current parameters and optimizer state as the place to restore."""
        np.copyto(self._good, self.net.params)
        self._good_optimizer = (self.optimizer.t, self.optimizer.snapshot_state())
        self._good_step = self.step_count

    def edit_param(self, layer: int, kind: str, index: tuple, value) -> dict:
        """Set one weight or bias by hand (``Network.set_param``; nothing changes if it raises).
        The network is evaluated at once, a row of the epoch history at this step, so the
        metrics show the edit's effect, and the edit is recorded as a history event, which it
        returns: the parameter, its old and new value, the training loss before and after."""
        array, label = self.net.param_cell(layer, kind, index)
        before = self._loss_and_score(self.X_train, self._Y_train, self.y_train)[0]
        old = self.net.set_param(layer, kind, index, value)
        # The learner changed the network: judge a later explosion against the loss from here,
        # as after a divergence, not against the loss before the edit.
        self._reference_loss = None
        record = self.evaluate()
        self.history.epochs.append(record)
        event = {"step": self.step_count, "epoch": self.epoch, "event": "edit", "param": label,
                 "old": old, "new": float(array[tuple(index)]),
                 "train_loss_before": before, "train_loss_after": record["train_loss"]}
        self.history.add_event(event)
        return event

    # ----- epochs and evaluation ------------------------------------------------------------
    def _end_epoch(self) -> None:
        self._epoch_seconds = time.perf_counter() - self._epoch_started
        self._samples_per_sec = self.n / self._epoch_seconds if self._epoch_seconds > 0 else 0.0
        self.epoch += 1
        if self.epoch % self.eval_every == 0:
            rec = self.evaluate()
            if self.early_stopping is not None:
                self._watch_test_loss(rec)
            self.history.epochs.append(rec)

    def _watch_test_loss(self, rec: dict) -> None:
        """Early stopping: at the end of its patience, put the best epoch's parameters back and
        say so in the report and in this epoch's history row."""
        assert self.early_stopping is not None
        report = self.early_stopping.observe(self.epoch, rec["test_loss"], self.net.params)
        if report is not None:
            assert self.early_stopping.best_params is not None  # a report follows a best epoch
            np.copyto(self.net.params, self.early_stopping.best_params)
            self.stopped_early = report
            rec[KEPT_COLUMN] = report.best_epoch

    def _loss_and_score(self, X, Y, y) -> tuple[float, float]:
        """The loss and the accuracy (a regression run: R² against the targets Y)."""
        if not len(X):  # no test split
            return math.nan, math.nan
        buf = self.net.buffers(X.shape[0])
        out = self.net.forward_into(X, buf)
        loss = float(self.net.loss_from_buffers(Y, buf))
        if self.task == "regression":
            return loss, r2_score(out, Y)
        pred = (out[:, 0] >= 0.5) if out.shape[1] == 1 else out.argmax(axis=1)
        return loss, float(np.mean(pred == y))

    def evaluate(self) -> dict:
        """Train/test loss and accuracy (R² for regression: keys train_r2, test_r2), learning
        rate, per-layer gradient and weight norms."""
        net = self.net
        train_loss, train_score = self._loss_and_score(self.X_train, self._Y_train, self.y_train)
        test_loss, test_score = self._loss_and_score(self.X_test, self._Y_test, self.y_test)
        score = "r2" if self.task == "regression" else "acc"
        rec = {"step": self.step_count, "epoch": self.epoch, "train_loss": train_loss, f"train_{score}": train_score,
               "test_loss": test_loss, f"test_{score}": test_score, "lr": self.current_lr,
               "samples_per_sec": self._samples_per_sec, "seconds": self._epoch_seconds}
        for l, (g, lay) in enumerate(zip(net._grad_layers, net.layers), start=1):
            rec[f"grad_norm_{l}"] = math.sqrt(float(np.vdot(g.W, g.W)))
            rec[f"weight_norm_{l}"] = math.sqrt(float(np.vdot(lay.W, lay.W)))
        return rec

    def run_epoch(self) -> dict | None:
        """Steps to the end of the current epoch; returns the last evaluation (None on divergence).
        After an early stop (``stopped_early``) the network holds the best epoch's parameters."""
        start = self.epoch
        while self.epoch == start:
            self.step()
            if self.divergence is not None:
                return None
        return self.history.epochs.last()

    def train(self, epochs: int | None = None, steps: int | None = None, should_stop=None) -> None:
        """Run until ``epochs`` more epochs or ``steps`` more steps, divergence, or should_stop()."""
        end_epoch = self.epoch + epochs if epochs is not None else None
        end_step = self.step_count + steps if steps is not None else None
        while (end_epoch is None or self.epoch < end_epoch) and (end_step is None or self.step_count < end_step):
            self.step()
            if self.divergence is not None or self.stopped_early is not None \
                    or (should_stop is not None and should_stop()):
                return

    def confusion_matrix(self, split: str = "test") -> np.ndarray:
        """Counts[true, predicted] over the train or test split."""
        X, y = (self.X_test, self.y_test) if split == "test" else (self.X_train, self.y_train)
        K = self.n_classes
        if not len(X):  # no test split
            return np.zeros((K, K), np.int64)
        return confusion_matrix(y, self.net.predict(X), K)

    # ----- one step as a trace ------------------------------------------------------------------
    def step_traced(self, sample: int | None = None) -> Trace:
        """Take ONE real training step and record it: forward, loss, backward, then the update.

        ``sample`` picks one training sample (by index); by default the next mini-batch is used,
        exactly as ``step()`` would. Afterwards the network holds the updated weights.
        """
        xb, Yb = self._traced_batch(sample)
        buf, loss = self._forward_backward(xb, Yb)  # the very pass step() runs, then copies
        before, grad = self.net.params.copy(), self.net.grad.copy()
        trace = capture(self.net, xb, Yb, buf, loss, params=before, grad=grad, drop=self.dropout)
        lr, state_before = self.current_lr, self.optimizer.snapshot_state()
        metrics = self._apply(loss, xb.shape[0], buf, advance=sample is None)
        if not metrics.get("diverged"):
            trace.defer(self._update_stages(lr, before, grad, state_before))
        return trace

    def _traced_batch(self, sample: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The batch a traced step takes: the next mini-batch, or training sample ``sample`` alone."""
        if sample is not None and not 0 <= int(sample) < self.n:
            raise ValueError(f"sample must be in 0..{self.n - 1}; got {sample}")
        self._resume()
        if sample is None:
            return self._next_batch()
        return self.X_train[sample:sample + 1], self._Y_train[sample:sample + 1]

    def _update_stages(self, lr: float, before: np.ndarray, grad: np.ndarray,
                       state_before: dict) -> Callable[[Trace], None]:
        """A builder of the update stages of the step just applied. What it needs is copied now:
        the stages are built when someone looks, and by then training has moved on."""
        net = self.net
        after = net.params.copy()
        if net.loss == "perceptron":  # its rule, not the optimizer's formula (see perceptron.py)
            layer = net.unflatten(after)[0]
            return lambda t: perceptron.add_update_stages(t, lr, layer.W, layer.b)
        # The optimizer used net.grad as clipping left it; without clipping that is dW itself.
        used = net.grad.copy() if (self.clip_value or self.clip_norm) else grad
        frozen = copy.copy(self.optimizer)  # keeps t and the hyperparameters of this very step
        state_after, clip_value, clip_norm = frozen.snapshot_state(), self.clip_value, self.clip_norm
        shapes = tuple((layer.W.shape, None if layer.b is None else layer.b.shape) for layer in net.layers)
        n_weights = net.n_weights
        # The record is made only when someone looks: most traced steps are never explained.
        return lambda t: add_update_stages(t, UpdateRecord(
            optimizer=frozen, lr=lr, before=before, raw=grad, used=used, after=after, state_before=state_before,
            state_after=state_after, clip_value=clip_value, clip_norm=clip_norm, shapes=shapes, n_weights=n_weights))

    # ----- snapshots -------------------------------------------------------------------------------
    def snapshot(self, state: str = "idle") -> Snapshot:
        return Snapshot(step=self.step_count, epoch=self.epoch, epoch_progress=self.epoch_progress,
                        params=self.net.params.copy(), last=self.history.epochs.last(),
                        step_loss=self.last_loss, lr=self.current_lr, history=self.history.epochs.to_dict(),
                        step_history=self.history.steps.to_dict(), divergence=self.divergence,
                        samples_per_sec=self._samples_per_sec, state=state, early_stop=self.stopped_early)

    # ----- checkpoints -----------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        return {"optimizer": self.optimizer.name, "lr": self.lr, "batch_size": self.batch_size,
                "schedule": self.schedule.name, "schedule_params": self.schedule.params(),
                "clip_norm": self.clip_norm, "clip_value": self.clip_value, "seed": self.seed,
                "eval_every": self.eval_every, **self.optimizer.hyperparameters()}

    def progress_state(self) -> dict:
        state = {"step_count": self.step_count, "epoch": self.epoch, "pos": int(self.pos),
                 "rng": self.rng.bit_generator.state, "good_step": self._good_step}
        if self.dropout is not None:
            state["dropout_rng"] = self.dropout.state()
        return state

    def load_progress_state(self, state: dict, perm: np.ndarray) -> None:
        """Restore ``progress_state()``; everything is checked first (ValueError naming the
        entry), so a corrupt checkpoint cannot leave a negative epoch or position behind."""
        def count(key, hi=None):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0 \
                    or (hi is not None and value > hi):
                limit = f"from 0 to {hi}" if hi is not None else ">= 0"
                raise ValueError(f"progress {key} must be an integer {limit}; got {value!r}")
            return int(value)

        step_count, epoch, pos = count("step_count"), count("epoch"), count("pos", self.n)
        perm = np.asarray(perm)
        if perm.shape != (self.n,) or perm.dtype.kind not in "iu" \
                or not np.array_equal(np.sort(perm), np.arange(self.n)):
            raise ValueError("the saved shuffling order is not a permutation of the training set")
        rng = np.random.default_rng()
        try:
            rng.bit_generator.state = state["rng"]
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            raise ValueError(f"progress rng state is invalid ({e})") from None
        if self.dropout is not None and "dropout_rng" in state:
            self.dropout.load_state(state["dropout_rng"])
        self.step_count, self.epoch, self.rng = step_count, epoch, rng
        self.perm = perm.astype(np.int64)
        self.pos = pos
        if self.pos < self.n:  # mid-epoch: rebuild the shuffled arrays in the saved order
            np.take(self.X_train, self.perm, axis=0, out=self._Xs)
            np.take(self._Y_train, self.perm, axis=0, out=self._Ys)
        self._keep_good()
