"""Compare mode's model: two runs, one worker thread stepping both in lockstep, and the commands
the UI sends. No widgets here (see ``mlp_tui.session`` for the single-run dashboard's model)."""
from __future__ import annotations

from engine import config as cfg
from engine.lockstep import Lockstep

from . import fields
from .controller import TrainingController
from .session import PacedControl, _budget_end

NAMES = ("A", "B")


def build_pair(config_a: cfg.RunConfig, config_b: cfg.RunConfig) -> tuple[cfg.Run, cfg.Run]:
    """Both runs; B gets A's very dataset object whenever their data settings agree."""
    run_a = fields.build(config_a)
    run_b = fields.build(config_b, data=run_a.data if cfg.same_data(config_a, config_b) else None)
    return run_a, run_b


class Side:
    """One network of the pair, with the attributes the single-run widgets read from a Session."""

    def __init__(self, pair: "CompareSession", index: int):
        self.pair, self.index, self.name = pair, index, NAMES[index]
        self.revision = 1  # the network is never replaced in compare mode

    @property
    def run(self) -> cfg.Run:
        return self.pair.runs[self.index]

    @property
    def config(self) -> cfg.RunConfig:
        return self.run.config

    @property
    def net(self):
        return self.run.net

    @property
    def data(self):
        return self.run.data

    @property
    def trainer(self):
        return self.run.trainer

    def snapshot(self):
        return self.pair.snapshot()[self.index]


class CompareSession(PacedControl):
    """``speed``: steps per second for both networks (None: as fast as possible)."""

    def __init__(self, runs: tuple[cfg.Run, cfg.Run], publish_interval: float = 0.05,
                 speed: float | None = None):
        self.runs = tuple(runs)
        self.sides = tuple(Side(self, i) for i in range(len(self.runs)))
        self.lockstep = Lockstep([run.trainer for run in self.runs])
        self._speed = speed
        self.controller = TrainingController(self.lockstep, publish_interval, rate=speed,
                                             max_epochs=_budget_end(0, self.epochs))

    @property
    def epochs(self) -> int:
        """One budget's worth of epochs: the longer of the two runs'."""
        return max(run.config.epochs for run in self.runs)

    # ----- training commands --------------------------------------------------------------------
    def toggle(self) -> bool:
        """Start or pause both; returns True when training is now running."""
        if self.controller.running:
            self.controller.pause()
            return False
        self.controller.max_epochs = _budget_end(self.lockstep.epoch, self.epochs, self.controller.max_epochs)
        self.controller.resume()
        return True

    def step(self, count: int = 1) -> None:
        """``count`` ordinary steps of both networks (pausing first), then publish."""
        self.controller.pause()
        with self.controller.lock:
            for _ in range(count):
                self.lockstep.step()
        self.controller.publish()

    def traced_step(self, sample: int | None = None) -> list:
        """ONE traced step of both networks on the same sample (or the next mini-batch), so they
        stay in lockstep; returns both traces (None for a diverged network). Not republished:
        the inspector publishes when its walk reaches the update."""
        self.controller.pause()
        with self.controller.lock:
            return self.lockstep.step_traced(sample)

    def publish(self):
        return self.controller.publish()

    def reset(self) -> None:
        """Both networks back to their seeds' initial weights, both runs back to step 0."""
        self.controller.pause()
        with self.controller.lock:
            for run in self.runs:
                run.net.reset(run.config.seed)
                run.trainer.reset_progress()
        self.controller.max_epochs = _budget_end(0, self.epochs)
        self.controller.publish()

    def shutdown(self, timeout: float = 1.0) -> bool:
        return self.controller.stop(timeout)
