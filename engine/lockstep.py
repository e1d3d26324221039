"""Several trainers stepped as one, so a TrainingController can drive a comparison.

``Lockstep.step()`` steps every trainer once, in order, on the same thread: built from the same
data and seed, they shuffle alike and so see the same batches (when their batch sizes agree).
A trainer that diverges drops out of the stepping (its report stays in its snapshot) while the
others go on: the contrast is the lesson. The controller sees a divergence only when all have
diverged, and the epoch budget counts from the slowest trainer.
"""
from __future__ import annotations

from .trace import Trace
from .trainer import Trainer


class Lockstep:
    def __init__(self, trainers: list[Trainer]):
        if not trainers:
            raise ValueError("lockstep needs at least one trainer")
        self.trainers = list(trainers)

    def _active(self) -> list[Trainer]:
        return [t for t in self.trainers if t.divergence is None]

    def step(self) -> list[dict]:
        return [t.step() for t in self._active()]

    def step_traced(self, sample: int | None = None) -> list[Trace | None]:
        """ONE traced step on every trainer still training (the same sample or the next batch);
        a diverged trainer's entry is None."""
        return [t.step_traced(sample) if t.divergence is None else None for t in self.trainers]

    @property
    def divergence(self):
        """The first trainer's report once every trainer has diverged; otherwise None."""
        return None if self._active() else self.trainers[0].divergence

    @property
    def epoch(self) -> int:
        return min(t.epoch for t in (self._active() or self.trainers))

    @property
    def step_count(self) -> int:
        return min(t.step_count for t in (self._active() or self.trainers))

    def snapshot(self, state: str = "idle") -> tuple:
        """One Snapshot per trainer, all taken at the same moment (the caller holds the lock)."""
        return tuple(t.snapshot(state) for t in self.trainers)
