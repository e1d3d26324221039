"""The background training thread: commands from one thread while another reads snapshots,
pause/step/stop semantics, and the finished and diverged states."""
import sys
import threading
import time

import numpy as np
import pytest

from engine import config
from engine.config import RunConfig
from mlp_tui.controller import TrainingController
from mlp_tui.divergence import divergence_message

THREAD_NAME = "mlp-tui-trainer"
SMALL = RunConfig(dataset="moons", n_samples=200, noise=0.2, hidden=(8,), activation="tanh",
                  optimizer="adam", lr=0.01, batch_size=16, seed=0)
STEPS_PER_EPOCH = 9  # 140 training samples: 8 batches of 16 and one of 12


def small_run(**changes):
    run = config.build(SMALL.replace(**changes))
    assert run.trainer.n == 140
    return run


def new_trainer_threads(before):
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t not in before and t.is_alive()]


@pytest.fixture
def controllers():
    made = []
    yield made
    for ctl in made:  # never leave a thread behind, even when a test fails
        ctl.stop(2.0)


def check_consistent(snap, n=140, batch=16):
    """A snapshot's fields describe one and the same moment."""
    epoch, within = divmod(snap.step, STEPS_PER_EPOCH)
    assert snap.epoch == epoch
    assert snap.epoch_progress == pytest.approx(epoch + within * batch / n)
    steps = snap.step_history["step"]
    assert len(steps) == snap.step and (snap.step == 0 or steps[-1] == snap.step)
    assert len(snap.history["epoch"]) == epoch
    if epoch:
        assert snap.last["epoch"] == epoch and snap.last["step"] == epoch * STEPS_PER_EPOCH
    else:
        assert snap.last is None


def test_commands_from_one_thread_while_another_reads_snapshots(controllers):
    run = small_run()
    trainer = run.trainer
    published = {0: trainer.net.params.copy()}  # step -> the worker's own copy when it published
    mismatches = []

    def on_publish(snap):
        live = trainer.net.params.copy()  # the worker thread: no step can be running now
        if not np.array_equal(live, snap.params):
            mismatches.append(snap.step)
        published.setdefault(snap.step, live)

    before = set(threading.enumerate())
    ctl = TrainingController(trainer, publish_interval=0.0, on_publish=on_publish)
    controllers.append(ctl)
    failures, log = [], []

    def driver():
        try:
            ctl.start()
            for _ in range(4):
                time.sleep(0.03)
                ctl.pause()
                log.append(("pause", ctl.state, ctl.snapshot().step, trainer.step_count))
                s0 = trainer.step_count
                ctl.step_once(5)
                assert ctl.wait(2.0)
                log.append(("step5", ctl.state, ctl.snapshot().step, trainer.step_count, s0))
                ctl.step_once()
                ctl.step_once()
                assert ctl.wait(2.0)
                log.append(("step2", ctl.state, ctl.snapshot().step, trainer.step_count, s0 + 5))
                ctl.resume()
            time.sleep(0.03)
            t0 = time.monotonic()
            stopped = ctl.stop(1.0)
            log.append(("stop", stopped, time.monotonic() - t0))
        except BaseException as e:  # reported by the main thread
            failures.append(e)

    thread = threading.Thread(target=driver)
    thread.start()
    reads = []
    last_step = -1
    while thread.is_alive() or not reads:
        snap = ctl.snapshot()
        assert snap.step >= last_step, "snapshot steps went backwards"
        last_step = snap.step
        if not reads or reads[-1][0] is not snap:
            reads.append((snap, snap.params.copy()))
    thread.join()
    assert not failures, failures
    assert not mismatches

    # Each command did what it says, seen from the commanding thread.
    pauses = [e for e in log if e[0] == "pause"]
    assert len(pauses) == 4
    for _, state, snap_step, step in pauses:
        assert state == "paused" and snap_step == step
    for _, state, snap_step, step, expected in (e for e in log if e[0] in ("step5", "step2")):
        assert state == "paused" and snap_step == step == expected + (5 if _ == "step5" else 2)
    (_, stopped, seconds), = [e for e in log if e[0] == "stop"]
    assert stopped and seconds < 1.0
    assert ctl.state == "stopped" and not ctl.alive
    assert new_trainer_threads(before) == []

    # No torn reads: every snapshot is self-consistent, unchanged since it was read, and holds
    # exactly the parameters the worker had at that step, which a replay reproduces.
    assert len(reads) > 1  # how many distinct snapshots the reader sees depends on the machine's load
    for snap, params_when_read in reads:
        np.testing.assert_array_equal(snap.params, params_when_read)
        check_consistent(snap)
        np.testing.assert_array_equal(snap.params, published[snap.step])
    replay = small_run().trainer
    for step in sorted(published):
        replay.train(steps=step - replay.step_count)
        np.testing.assert_array_equal(replay.net.params, published[step])
    assert ctl.snapshot().step == trainer.step_count
    assert ctl.snapshot().state == "stopped"


def test_pause_publishes_the_current_step(controllers):
    run = small_run()
    ctl = TrainingController(run.trainer, publish_interval=10.0)  # no periodic publishing
    controllers.append(ctl)
    ctl.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    ctl.pause()
    assert time.monotonic() - t0 < 1.0
    assert ctl.state == "paused" and not ctl.running
    step = run.trainer.step_count
    assert step > 0
    snap = ctl.snapshot()
    assert snap.step == step and snap.state == "paused"
    np.testing.assert_array_equal(snap.params, run.net.params)
    time.sleep(0.05)
    assert run.trainer.step_count == step  # really paused


def test_rapid_resume_pause_never_blocks_or_runs_on(controllers):
    run = small_run()
    ctl = TrainingController(run.trainer, publish_interval=0.01)
    controllers.append(ctl)
    ctl.start(paused=True)
    assert ctl.wait(2.0)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: commands land between the worker's checks
    try:
        for i in range(300):
            ctl.resume()
            if i % 3 == 0:
                time.sleep(0.0002)
            t0 = time.monotonic()
            ctl.pause()  # waits for the worker to go idle
            assert time.monotonic() - t0 < 1.0, f"pause {i} waited for its 2 s timeout"
            step = run.trainer.step_count
            assert ctl.snapshot().step == step and ctl.state == "paused"
            if i % 30 == 0:
                time.sleep(0.005)
                assert run.trainer.step_count == step, f"the worker ran on after pause {i}"
    finally:
        sys.setswitchinterval(interval)


def test_step_once_takes_exactly_the_steps_asked(controllers):
    run = small_run()
    ctl = TrainingController(run.trainer)
    controllers.append(ctl)
    ctl.step_once(5)  # starts the thread paused
    assert ctl.wait(2.0)
    assert run.trainer.step_count == 5 and ctl.snapshot().step == 5
    assert ctl.state == "paused" and ctl.alive
    ctl.step_once(4)
    assert ctl.wait(2.0)
    assert run.trainer.step_count == 9 == ctl.snapshot().step
    assert ctl.snapshot().epoch == 1  # 9 steps are one epoch here
    time.sleep(0.05)
    assert run.trainer.step_count == 9


def test_live_change_under_the_lock_applies_to_the_next_steps(controllers):
    run = small_run()
    ctl = TrainingController(run.trainer, publish_interval=0.0)
    controllers.append(ctl)
    ctl.start()
    time.sleep(0.02)
    with ctl.lock:
        changed_at = run.trainer.step_count
        run.trainer.set_hyperparameters(lr=0.003)
    time.sleep(0.02)
    ctl.pause()
    steps = ctl.snapshot().step_history
    assert steps["step"][-1] > changed_at
    np.testing.assert_array_equal(steps["lr"][steps["step"] <= changed_at], 0.01)
    np.testing.assert_array_equal(steps["lr"][steps["step"] > changed_at], 0.003)


@pytest.mark.parametrize("paused", [False, True])
def test_stop_ends_the_thread_within_a_second(controllers, paused):
    before = set(threading.enumerate())
    run = small_run()
    ctl = TrainingController(run.trainer)
    controllers.append(ctl)
    ctl.start(paused=paused)
    time.sleep(0.05)
    assert len(new_trainer_threads(before)) == 1
    t0 = time.monotonic()
    assert ctl.stop(1.0) is True
    assert time.monotonic() - t0 < 1.0
    assert new_trainer_threads(before) == []
    assert ctl.state == "stopped" and ctl.snapshot().state == "stopped"
    assert ctl.snapshot().step == run.trainer.step_count
    assert ctl.wait(0.1)  # nothing left to wait for
    assert ctl.stop() is True  # idempotent


def test_max_steps_and_max_epochs_finish(controllers):
    run = small_run()
    ctl = TrainingController(run.trainer, max_steps=50)
    controllers.append(ctl)
    ctl.start()
    assert ctl.wait(5.0)
    assert ctl.state == "finished" and not ctl.running
    assert run.trainer.step_count == 50
    snap = ctl.snapshot()
    assert snap.state == "finished" and snap.step == 50
    check_consistent(snap)

    run = small_run()
    ctl = TrainingController(run.trainer, max_epochs=3)
    controllers.append(ctl)
    ctl.start()
    assert ctl.wait(5.0)
    assert ctl.state == "finished"
    assert run.trainer.epoch == 3 and run.trainer.step_count == 3 * STEPS_PER_EPOCH
    assert ctl.snapshot().last["epoch"] == 3


def test_divergence_stops_with_state_diverged_and_can_resume(controllers):
    run = small_run(lr=1e3)
    ctl = TrainingController(run.trainer)
    controllers.append(ctl)
    ctl.start()
    assert ctl.wait(5.0)
    assert ctl.state == "diverged" and not ctl.running
    snap = ctl.snapshot()
    assert snap.state == "diverged"
    assert snap.divergence is not None and "layer" in divergence_message(snap.divergence)
    assert np.all(np.isfinite(snap.params))
    steps = run.trainer.step_count
    time.sleep(0.05)
    assert run.trainer.step_count == steps  # the worker waits for the learner

    with ctl.lock:
        run.trainer.set_hyperparameters(lr=0.01)
    ctl.step_once(3)
    assert ctl.wait(2.0)
    assert ctl.state == "paused"
    snap = ctl.snapshot()
    assert snap.divergence is None and snap.step == steps + 3
    assert np.isfinite(snap.step_loss)
