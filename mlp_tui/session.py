"""The dashboard's model: one training run, its controller thread, and the commands the UI sends.

No widgets here. The app calls these methods from the UI thread; training runs in the
controller's worker thread; state flows back through ``snapshot()``. Every command that can
fail (a bad dataset, a bad checkpoint) raises before anything changes, so the current run
stays intact.
"""
from __future__ import annotations

from pathlib import Path

from engine import checkpoint, config as cfg, drawing
from engine.rewind import SnapshotStore, restore
from engine.trace import Trace

from . import fields
from .controller import FINISHED, TrainingController


class PacedControl:
    """What a session shows of its controller: the latest snapshot, the state and the pace.
    Needs ``self.controller`` (a TrainingController) and ``self._speed``."""

    def snapshot(self):
        return self.controller.snapshot()

    @property
    def running(self) -> bool:
        return self.controller.running

    @property
    def finished(self) -> bool:
        """Training stopped at the end of the epoch budget."""
        return self.controller.state == FINISHED

    @property
    def budget_end(self) -> int:
        """The epoch at which continuous training pauses next."""
        return self.controller.max_epochs

    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, value: float | None) -> None:
        self.controller.rate = value  # validates; the worker re-times its next step at once
        self._speed = value


class Session(PacedControl):
    """``speed``: training steps per second while running, None for as fast as possible.
    Continuous training pauses at the end of the run's epoch budget (``config.epochs``)."""

    def __init__(self, run: cfg.Run, publish_interval: float = 0.05, speed: float | None = None):
        self.publish_interval = publish_interval
        self._speed = speed
        self._attach(run)

    def _attach(self, run: cfg.Run) -> None:
        self.run = run
        self._new_snapshots()
        self.controller = TrainingController(run.trainer, self.publish_interval, rate=self._speed,
                                             max_epochs=_budget_end(run.trainer.epoch, run.config.epochs),
                                             after_step=self._record)
        self.revision = getattr(self, "revision", 0) + 1  # bumps whenever the network is replaced
        self.data_seed = run.config.seed  # the seed of the data in use (new data: a new seed)

    def _new_snapshots(self) -> None:
        """Kept steps to rewind to, from the run's starting point on."""
        self.snapshots = SnapshotStore()
        self.snapshots.record(self.run.trainer)

    def _record(self, trainer) -> None:
        self.snapshots.record(trainer)

    # ----- read-only views ---------------------------------------------------------------------
    @property
    def config(self) -> cfg.RunConfig:
        return self.run.config

    @property
    def trainer(self):
        return self.run.trainer

    @property
    def net(self):
        return self.run.net

    @property
    def data(self):
        return self.run.data

    # ----- training commands --------------------------------------------------------------------
    def toggle(self) -> bool:
        """Start or pause; returns True when training is now running. At or past the end of the
        epoch budget, starting again continues for another budget's worth of epochs."""
        if self.controller.running:
            self.controller.pause()
            return False
        self.controller.max_epochs = _budget_end(self.trainer.epoch, self.config.epochs,
                                                 self.controller.max_epochs)
        self.controller.resume()
        return True

    def pause(self) -> None:
        self.controller.pause()

    def step(self, count: int = 1) -> None:
        """Take ``count`` ordinary mini-batch steps (pausing first) and publish the result."""
        self.controller.pause()
        with self.controller.lock:
            for _ in range(count):
                self.trainer.step()
                self._record(self.trainer)
                if self.trainer.divergence is not None:
                    break
        self.controller.publish()

    def traced_step(self, sample: int | None = None) -> Trace:
        """Pause and take ONE real step recorded as a trace. The snapshot is not republished
        here: the inspector publishes when its walk reaches the update stage."""
        self.controller.pause()
        with self.controller.lock:
            trace = self.trainer.step_traced(sample)
            self._record(self.trainer)
            return trace

    def publish(self):
        return self.controller.publish()

    def reset(self) -> None:
        """Re-initialise the network from its seed and restart the run's progress."""
        self.controller.pause()
        with self.controller.lock:
            self.net.reset(self.config.seed)
            self.trainer.reset_progress()
            self._new_snapshots()
        self.controller.publish()

    def rewind(self, step: int) -> None:
        """Pause and go back to kept step ``step``: training continues from there as it went
        the first time (with the current hyperparameters); the later snapshots are dropped."""
        self.controller.pause()
        with self.controller.lock:
            restore(self.trainer, self.snapshots.get(step))
            self.snapshots.truncate_after(step)
            self.controller.mark_paused()
        self.controller.publish()

    def kept_states(self) -> list:
        """The kept snapshots, oldest first (read under the lock: the worker adds and thins them)."""
        with self.controller.lock:
            return [self.snapshots.get(step) for step in self.snapshots.steps]

    def apply_live(self, changes: dict) -> None:
        """Change learning rate, batch size, regularisation, clipping or schedule while training."""
        new_config = self.config.replace(**changes)
        engine_changes = cfg.trainer_changes(new_config, changes)
        with self.controller.lock:
            self.trainer.set_hyperparameters(**engine_changes)
            self.run.config = new_config
        self.controller.publish()

    def edit_param(self, layer: int, kind: str, index: tuple, value) -> dict:
        """Set one weight or bias by hand, running or paused (under the worker's lock, between two
        steps), and publish at once; returns the history's event (``Trainer.edit_param``). A bad
        value raises ValueError and changes nothing."""
        with self.controller.lock:
            event = self.trainer.edit_param(layer, kind, index, value)
        self.controller.publish()
        return event

    def rebuild(self, config: cfg.RunConfig) -> None:
        """Build a new run from ``config`` (loading its data); the old one stays if this fails."""
        keep = cfg.same_data(config, self.config)  # the data in use stays, drawn or made anew
        run = fields.build(config, data=self.data if keep else None)
        data_seed = self.data_seed
        self.shutdown()
        self._attach(run)
        if keep:
            self.data_seed = data_seed
        self.controller.publish()

    # ----- the data ----------------------------------------------------------------------------------
    def change_data(self, data) -> None:
        """Train on ``data`` from the next step on, keeping the network and its progress (while
        training, too); data that does not fit the network raises and nothing changes."""
        with self.controller.lock:
            self.trainer.set_data(data, self.config.batch_size)
            self.run.data = data
            self._new_snapshots()  # the kept steps trained on the old data: the timeline starts here
        self.controller.publish()

    def add_point(self, point, label: int, extent) -> None:
        self.change_data(drawing.add_point(self.data, point, label, extent))

    def remove_point(self, point):
        """Remove the point nearest to ``point``; returns where it was."""
        data, removed = drawing.remove_nearest(self.data, point)
        self.change_data(data)
        return removed

    def regenerate_data(self, noise) -> int:
        """New data of the same kind with the next seed and ``noise``; returns that seed."""
        seed = self.data_seed + 1
        self.change_data(cfg.load_data(self.config.replace(seed=seed, noise=noise)))
        self.data_seed = seed
        return seed

    # ----- files -------------------------------------------------------------------------------------
    def export(self, target: str) -> list[Path]:
        """Write the data (a .csv ``target``) or every export (a folder); see mlp_tui.export."""
        from .export import export_all, export_targets, run_copy

        targets = export_targets(target)
        with self.controller.lock:
            copy = run_copy(self.run)
        return export_all(copy, targets)

    def save(self, path) -> Path:
        self.controller.pause()
        with self.controller.lock:
            return checkpoint.save(path, self.trainer, config=self.config)

    def load(self, path, vet=None) -> None:
        """Load a checkpoint into a new run, as ``mlp-tui --load`` does; nothing changes if the
        file is bad or ``vet`` (called with the checkpoint's settings) raises."""
        from .resume import build_run, checkpoint_config

        ckpt = fields.load_checkpoint(path)
        config = checkpoint_config(ckpt, self.config)
        if vet is not None:
            vet(config)
        run = build_run(config, ckpt)
        self.shutdown()
        self._attach(run)
        self.controller.publish()

    def write_settings(self, path) -> Path:
        from .settings_file import write_config

        write_config(path, self.config, {"speed": self.speed})
        return Path(path)

    def shutdown(self, timeout: float = 1.0) -> bool:
        return self.controller.stop(timeout)


def _budget_end(epoch: int, epochs: int, end: int | None = None) -> int:
    """Where the budget ends for a run at ``epoch``: ``end`` while it lies ahead, else another
    ``epochs`` epochs from here."""
    if end is None:
        end = epochs
    return end if epoch < end else epoch + epochs

