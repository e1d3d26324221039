"""A training step that raises (out of memory, a bug) in the worker thread: the controller records
the error instead of dying silently, the dashboard says so in its status line and stays usable."""
from __future__ import annotations

import time

from engine import config
from engine.config import RunConfig
from mlp_tui.controller import FAILED, TrainingController
from helpers import screen_text

SMALL = RunConfig(dataset="moons", n_samples=200, hidden=(8,), batch_size=16, seed=0)


def fail_after(trainer, good_steps: int) -> list[int]:
    """Make ``trainer.step`` raise MemoryError after ``good_steps`` real steps (until cleared)."""
    real_step = trainer.step
    calls = []

    def step():
        calls.append(1)
        if len(calls) > good_steps and trainer.step is step:
            raise MemoryError("cannot allocate 1.2 GiB for an array")
        return real_step()

    trainer.step = step
    return calls


def test_a_failing_step_ends_the_worker_with_its_error_recorded():
    run = config.build(SMALL)
    fail_after(run.trainer, 5)
    ctl = TrainingController(run.trainer, publish_interval=0.01)
    try:
        ctl.start()
        deadline = time.monotonic() + 10
        while ctl.alive and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not ctl.alive
        assert isinstance(ctl.error, MemoryError)
        assert ctl.state == FAILED and not ctl.running
        snap = ctl.snapshot()
        assert snap.state == FAILED and snap.step == 5
        del run.trainer.step  # the cause is gone: a new start trains again and forgets the error
        ctl.start()
        ctl.pause()
        assert ctl.error is None and ctl.snapshot().step > 5
    finally:
        ctl.stop(2.0)


async def test_the_dashboard_reports_a_dead_worker_and_stays_usable(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        fail_after(app.session.trainer, 3)
        await pilot.press("space")
        deadline = time.monotonic() + 10
        while app.session.controller.alive and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.3)  # a poll tick
        shown = " ".join(screen_text(app).split())
        assert "training stopped, a step failed: MemoryError: cannot allocate 1.2 GiB" in shown
        assert app.status.has_class("-error")
        await pilot.press("s")  # the step fails in the UI thread now: reported, not a crash
        assert app._exception is None
        assert "a step failed: MemoryError" in app.status_text
        app.session.trainer.step_traced = lambda sample=None: [][0]  # the inspector's traced step
        await pilot.press("n")
        assert app._exception is None
        assert app.status_text.startswith("training stopped, a step failed: IndexError: list index")
        del app.session.trainer.step, app.session.trainer.step_traced
        await pilot.press("s")
        assert app.session.snapshot().step == 4
        assert app.status_text.startswith("one step: step 4")
