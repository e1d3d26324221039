"""Snapshots of a training run to go back to: parameters, optimizer state and the trainer's
progress (step, epoch, position in the epoch, shuffling order and RNG), kept every ``every``
steps in a store whose memory is capped.

Restoring a snapshot and training on gives bit-identical results to the run that passed through
that step, because everything a step reads is restored: the parameters, the optimizer's ``t``
and state arrays, the epoch's shuffled order and position, and the RNG that draws the next order.
The hyperparameters are not snapshot: a rewound run continues with the current ones, as the
learner set them.

When the store is full it thins itself: every other old snapshot is dropped and ``every``
doubles, so the kept steps stay evenly spaced back to the start of the run and memory never
passes the cap. Recording is the caller's choice (the dashboard records after each step); the
trainer's hot path knows nothing of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import validate

DEFAULT_CAP_BYTES = 16 * 2 ** 20  # a 2-16-16-2 Adam run on moons (700 samples) takes ~14 KB a snapshot
# At most this many snapshots: a timeline of thousands of steps a key apart is not one a learner
# can walk, and a longer run thins to coarser spacing instead.
DEFAULT_CAP_COUNT = 256


@dataclass(frozen=True)
class TrainerState:
    """Everything a trainer needs to continue from one step (plain arrays and numbers)."""

    step: int
    epoch: int
    pos: int
    perm: np.ndarray
    rng: dict
    params: np.ndarray
    optimizer: dict  # Optimizer.state_dict(): t, hyperparameters and state arrays
    reference_loss: float | None
    last_loss: float | None

    @property
    def nbytes(self) -> int:
        arrays = [self.perm, self.params] + [v for v in self.optimizer.values() if isinstance(v, np.ndarray)]
        return sum(a.nbytes for a in arrays)


def capture(trainer) -> TrainerState:
    """A copy of ``trainer``'s state now (call it between steps, under the worker's lock)."""
    return TrainerState(step=trainer.step_count, epoch=trainer.epoch, pos=int(trainer.pos),
                        perm=trainer.perm.copy(), rng=trainer.progress_state()["rng"],
                        params=trainer.net.params.copy(), optimizer=trainer.optimizer.state_dict(),
                        reference_loss=trainer._reference_loss, last_loss=trainer.last_loss)


def restore(trainer, state: TrainerState) -> None:
    """Put ``state`` back into ``trainer`` (built for the same network and data). The trainer's
    current hyperparameters are kept; history after the step is dropped."""
    if state.params.shape != trainer.net.params.shape or state.perm.shape != (trainer.n,):
        raise ValueError(f"the snapshot of step {state.step} does not fit this network and data")
    np.copyto(trainer.net.params, state.params)
    trainer.optimizer.load_state_dict({**state.optimizer, **trainer.optimizer.hyperparameters()})
    trainer.load_progress_state({"step_count": state.step, "epoch": state.epoch, "pos": state.pos,
                                 "rng": state.rng}, state.perm)
    trainer.divergence = None
    trainer._reference_loss, trainer.last_loss = state.reference_loss, state.last_loss
    trainer.history.drop_after(state.step)


class SnapshotStore:
    """Snapshots every ``every`` steps, at most ``cap_count`` of them in ``cap_bytes`` (the newest
    always kept)."""

    def __init__(self, every: int = 1, cap_bytes: int = DEFAULT_CAP_BYTES, cap_count: int = DEFAULT_CAP_COUNT):
        self.every = validate.whole("rewind_every", every, 1)
        self.cap_bytes = validate.whole("rewind_cap_bytes", cap_bytes, 1)
        self.cap_count = validate.whole("rewind_cap_count", cap_count, 2)
        self._states: dict[int, TrainerState] = {}  # by step, in insertion (= step) order
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._states)

    @property
    def steps(self) -> list[int]:
        """The kept steps, oldest first."""
        return list(self._states)

    def get(self, step: int) -> TrainerState:
        return self._states[step]

    def record(self, trainer) -> bool:
        """Keep the trainer's state if its step is due (a multiple of ``every``, not kept yet);
        True when it was kept."""
        step = trainer.step_count
        if step % self.every or step in self._states:
            return False
        self.add(capture(trainer))
        return True

    def add(self, state: TrainerState) -> None:
        """Keep ``state`` (a step after every kept one), then thin old ones until the cap holds."""
        if self._states and state.step <= next(reversed(self._states)):
            raise ValueError(f"snapshot of step {state.step} is not after the last kept step")
        self._states[state.step] = state
        self.nbytes += state.nbytes
        while (self.nbytes > self.cap_bytes or len(self._states) > self.cap_count) and len(self._states) > 1:
            self._thin()

    def _thin(self) -> None:
        """Double ``every`` and drop the snapshots off the new spacing (the newest stays); one
        left over (a single snapshot past the cap) goes when nothing else can."""
        self.every *= 2
        *old, newest = self._states
        dropped = [s for s in old if s % self.every]
        for step in dropped or old[:1]:
            self._drop(step)

    def _drop(self, step: int) -> None:
        self.nbytes -= self._states.pop(step).nbytes

    def truncate_after(self, step: int) -> None:
        """Forget the snapshots after ``step`` (after a rewind to it: training diverges from them)."""
        for s in [s for s in self._states if s > step]:
            self._drop(s)
