"""Drive a Trainer from a background thread: start, pause, resume, single step, stop.

The worker holds ``lock`` while it takes a step, and publishes a ``Snapshot`` (copies of the
parameters, metrics and history) at most every ``publish_interval`` seconds and whenever it
pauses or stops. Readers on other threads call ``snapshot()`` and never see half-updated
parameters; they pay nothing per training step. Code that must touch the trainer directly
(a traced step, a hyperparameter change, loading a checkpoint) does so inside ``with ctl.lock:``.

``rate`` paces continuous training at that many steps per second (None: flat out). The worker
waits between steps on its condition variable, so pause, stop and a new rate take effect at once.
"""
from __future__ import annotations

import threading
import time

from engine.trainer import Snapshot, Trainer

IDLE, RUNNING, PAUSED, FINISHED, DIVERGED, STOPPED = "idle", "running", "paused", "finished", "diverged", "stopped"
FAILED = "failed"  # a step raised (MemoryError, a bug): the worker ended; ``error`` holds why


class TrainingController:
    def __init__(self, trainer: Trainer, publish_interval: float = 0.05, max_epochs: int | None = None,
                 max_steps: int | None = None, on_publish=None, rate: float | None = None, after_step=None):
        self.trainer = trainer
        self.publish_interval = publish_interval
        self.max_epochs, self.max_steps = max_epochs, max_steps
        self.on_publish = on_publish  # called from the worker thread after each publish
        self.after_step = after_step  # called with the trainer after each step, under ``lock``
        self.lock = threading.RLock()
        self._wake = threading.Condition(threading.Lock())
        self._running = False
        self._stop = False
        self._pending_steps = 0
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()  # set by the worker once it has published and gone idle
        self._state = IDLE
        self._snapshot = trainer.snapshot(IDLE)
        self.error: Exception | None = None  # what ended the last worker, if a step raised
        self._rate = self._check_rate(rate)
        self._due: float | None = None  # when the next paced step may start (monotonic seconds)

    # ----- commands (any thread) ---------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        """Start the worker thread (idempotent); it trains at once unless ``paused``."""
        if self.alive:
            if not paused:
                self.resume()
            return
        self._stop = False
        self.error = None
        self._running = not paused
        self._state = RUNNING if self._running else PAUSED
        self._idle.clear()
        self._thread = threading.Thread(target=self._loop, name="mlp-tui-trainer", daemon=True)
        self._thread.start()

    def pause(self, wait: bool = True) -> None:
        """Pause; with ``wait`` block until the worker has finished its step and published."""
        with self._wake:
            self._running = False
            self._wake.notify_all()
        if wait and self.alive:
            self._idle.wait(2.0)

    def resume(self) -> None:
        if not self.alive:
            self.start()
            return
        with self._wake:
            self._running = True
            self._due = None  # pace from now, not from before the pause
            self._idle.clear()
            self._wake.notify_all()

    @property
    def rate(self) -> float | None:
        return self._rate

    @rate.setter
    def rate(self, value: float | None) -> None:
        value = self._check_rate(value)
        with self._wake:
            self._rate, self._due = value, None  # a waiting worker re-times its next step at once
            self._wake.notify_all()

    @staticmethod
    def _check_rate(value):
        if value is not None and not value > 0:
            raise ValueError(f"rate must be a positive number of steps per second or None; got {value!r}")
        return None if value is None else float(value)

    def toggle(self) -> None:
        self.pause() if self._running else self.resume()

    def step_once(self, count: int = 1) -> None:
        """While paused: take ``count`` steps in the worker, then publish."""
        if not self.alive:
            self.start(paused=True)
        with self._wake:
            self._pending_steps += count
            self._idle.clear()
            self._wake.notify_all()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the worker; returns True when the thread has ended within ``timeout`` seconds."""
        with self._wake:
            self._stop = True
            self._running = False
            self._wake.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        return self._running

    @property
    def state(self) -> str:
        return self._state

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> Snapshot:
        """The latest published state: a consistent copy."""
        return self._snapshot

    def mark_paused(self) -> None:
        """The run was moved back under ``lock`` while idle (a rewind): it is paused now, no
        longer finished or diverged."""
        if self._state in (FINISHED, DIVERGED):
            self._state = PAUSED

    def publish(self) -> Snapshot:
        """Publish a fresh snapshot now (e.g. after a change made under ``lock``)."""
        with self.lock:
            self._snapshot = self.trainer.snapshot(self._state)
        if self.on_publish is not None:
            self.on_publish(self._snapshot)
        return self._snapshot

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker is idle (finished, diverged, paused with no steps queued, stopped)."""
        if not self.alive:
            return True
        return self._idle.wait(timeout)

    # ----- the worker -------------------------------------------------------------------------------
    def _done(self) -> bool:
        t = self.trainer
        return ((self.max_epochs is not None and t.epoch >= self.max_epochs)
                or (self.max_steps is not None and t.step_count >= self.max_steps))

    def _idle_now(self) -> bool:
        return not self._stop and not self._running and self._pending_steps == 0

    def _keep_pace(self, now: float) -> None:
        """At a set rate, wait until the next step is due, waking early for pause, stop or a
        new rate. A worker that fell behind (a slow step) does not burst to catch up."""
        with self._wake:
            if self._rate is None:
                self._due = None
                return
            due = max((self._due if self._due is not None else now) + 1.0 / self._rate, now - 0.1)
            self._due = due
            while self._running and not self._stop and self._due == due:
                remaining = due - time.monotonic()
                if remaining <= 0:
                    break
                self._wake.wait(remaining)

    def _loop(self) -> None:
        try:
            self._train()
        except Exception as e:  # whatever ends the thread must reach the UI, not vanish with it
            self.error = e
            self._running, self._pending_steps, self._state = False, 0, FAILED
            try:
                self.publish()
            except Exception:  # no snapshot (out of memory again?): ``error`` still tells
                pass
            self._idle.set()

    def _train(self) -> None:
        trainer = self.trainer
        next_publish = 0.0
        while True:
            with self._wake:
                idle = self._idle_now()
            if idle:
                if self._state == RUNNING:
                    self._state = PAUSED
                self.publish()  # outside _wake: publish takes ``lock``, which commands may hold
                self._idle.set()
                with self._wake:
                    while self._idle_now():
                        # A resume() then pause() before this thread woke cleared _idle: set it
                        # again (nothing has run since the publish) so pause(wait=True) returns.
                        self._idle.set()
                        self._wake.wait(0.25)
            with self._wake:
                if self._stop:
                    break
                if self._idle_now():  # paused between the check above and here: go idle, no step
                    continue
                single = not self._running
                if single:
                    self._pending_steps -= 1
            with self.lock:
                trainer.step()
                if self.after_step is not None:
                    self.after_step(trainer)
            if trainer.divergence is not None:
                self._running, self._pending_steps, self._state = False, 0, DIVERGED
            elif self._done() or trainer.stopped_early is not None:
                self._running, self._pending_steps, self._state = False, 0, FINISHED
            elif single:
                self._state = PAUSED
            else:
                self._state = RUNNING
                now = time.monotonic()
                if now >= next_publish:
                    self.publish()
                    next_publish = now + self.publish_interval
                self._keep_pace(now)
        self._state = STOPPED
        self.publish()
        self._idle.set()
