"""Rewind (the ``t`` timeline) and the warped hidden space (``h``) in the dashboard."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from engine import config as cfg
from engine import presets
from engine.rewind import capture
from helpers import screen_text, widget_text
from mlp_tui.screens.timeline import TimelineScreen
from mlp_tui.warp import neuron_pairs
from test_queued_keys import burst
from test_terminal import quit_and_close, read_until, screen_showing, spawn_dashboard


def params_after(steps: int, preset: str = "moons") -> np.ndarray:
    """The parameters of an uninterrupted run of ``preset`` after ``steps`` steps."""
    run = cfg.build(presets.get(preset).config)
    run.trainer.train(steps=steps)
    return run.net.params.copy()


async def test_the_timeline_goes_back_to_a_kept_step_and_training_continues_as_it_went(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(12)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TimelineScreen)
        text = screen_text(app)
        assert "13 kept steps, one every 1" in text and "KB of 16.0 MB" in text
        assert "step 12 (epoch" in text  # the newest is chosen first
        for _ in range(6):
            await pilot.press("left")
        await pilot.pause()
        assert "step 6 (epoch" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, TimelineScreen)
        assert app.session.trainer.step_count == 6 and not app.session.running
        assert "rewound to step 6" in widget_text(app, "#status")
        assert np.array_equal(app.session.snapshot().params, params_after(6))
        for _ in range(4):
            await pilot.press("s")
        assert np.array_equal(app.session.net.params, params_after(10))
        await pilot.press("t")
        await pilot.pause()
        assert "11 kept steps" in screen_text(app)  # 7..12 were forgotten, 7..10 kept again


async def test_escape_closes_the_timeline_without_going_back(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(5)
        await pilot.press("t", "home", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, TimelineScreen)
        assert app.session.trainer.step_count == 5


async def test_the_timeline_pauses_training_and_a_rewind_clears_the_inspector(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")  # a traced step, recorded as step 1
        assert app.inspector.trace is not None
        await pilot.press("space")
        await pilot.pause(0.2)
        await pilot.press("t")
        assert not app.session.running
        assert len(app.session.snapshots) > 2  # the worker's steps were kept too
        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.session.trainer.step_count == 0 and app.inspector.trace is None
        assert np.array_equal(app.session.net.params, params_after(0))


async def test_a_finished_run_rewound_is_paused_and_trains_to_its_budget_again(app_factory):
    app = app_factory(epochs=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        for _ in range(200):
            if app.session.finished:
                break
            await pilot.pause(0.05)
        assert app.session.finished and app.session.trainer.epoch == 2
        await pilot.press("t", "home", "enter")
        await pilot.pause()
        assert app.session.snapshot().state == "paused" and app.session.trainer.epoch == 0
        assert "[paused]" in screen_text(app)
        await pilot.press("space")
        for _ in range(200):
            if app.session.finished:
                break
            await pilot.pause(0.05)
        assert app.session.trainer.epoch == 2  # the budget's end again, not two more epochs


async def test_keys_queued_in_the_timeline_act_in_order(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.step(8)
        await burst(app, pilot, "t", "left", "left", "enter", "t", "escape", "s", "t", "enter", "enter", "s")
        await pilot.pause()
        assert not isinstance(app.screen, TimelineScreen)
        assert app.session.trainer.step_count == 8  # back to 6, one step, a rewind to 7, one step
        assert np.array_equal(app.session.net.params, params_after(8))


async def test_a_snapshot_that_no_longer_fits_is_refused_with_one_line(app_factory):
    """E.g. the training set changed since it was kept: the run stays as it was."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(3)
        foreign = capture(cfg.build(presets.get("xor-2-3-2").config).trainer)
        app.session.snapshots.get = lambda step: foreign
        before = app.session.net.params.copy()
        await pilot.press("t", "home", "enter")
        await pilot.pause()
        assert "not rewound: the snapshot of step 0 does not fit" in widget_text(app, "#status")
        assert app.session.trainer.step_count == 3 and np.array_equal(app.session.net.params, before)


def test_a_key_burst_in_a_real_terminal_rewinds(tmp_path):
    proc, master = spawn_dashboard(tmp_path, "--preset", "moons", size=(100, 30))
    seen = bytearray()
    try:
        assert read_until(master, b"Hyperparameters", seen, 60), seen[-2000:].decode(errors="replace")
        time.sleep(0.5)
        os.write(master, b"sssss" + b"t" + b"\x1b[D" * 3 + b"\r")
        screen = screen_showing(master, seen, (100, 30), ["rewound to step 2"], timeout=20)
        assert "rewound to step 2" in screen, screen
    finally:
        quit_and_close(proc, master, seen)
    assert b"Traceback" not in seen


# ----- the warped hidden space --------------------------------------------------------------------
async def test_h_places_the_data_by_two_hidden_neurons_activations(app_factory):
    app = app_factory("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(30)
        for _ in range(200):  # the worker takes the steps: the picture must show the network after them
            if app.session.trainer.step_count == 30:
                break
            await pilot.pause(0.02)
        assert app.session.trainer.step_count == 30
        await pilot.press("h")
        await pilot.pause()
        boundary = app.boundary
        assert boundary.warp_pair == (1, 0, 1)
        assert "hidden space: x = a1[:, 0], y = a1[:, 1]" in screen_text(app)
        view = boundary.warp_view
        # Independently: layer 1 is tanh(X W1 + b1), with the parameters of the snapshot the panel
        # drew (the published one, which can trail the trainer by a step on a busy machine).
        net, data = boundary._twin, app.session.data
        a = np.tanh(data.X_train @ net.layers[0].W + net.layers[0].b)[:, [0, 1]]
        xmin, xmax, ymin, ymax = view.extent
        assert xmin < a[:, 0].min() and a[:, 0].max() < xmax and ymin < a[:, 1].min() and a[:, 1].max() < ymax
        H, W = view.image.shape
        cols = np.rint((a[:, 0] - xmin) / (xmax - xmin) * (W - 1))
        rows = np.rint((ymax - a[:, 1]) / (ymax - ymin) * (H - 1))
        assert np.array_equal(view.train[0], rows) and np.array_equal(view.train[1], cols)
        assert np.array_equal(view.train[2], data.y_train)
        # A corner of the input plane lies on the grid drawn: the grid went through the network too.
        corner = np.tanh(np.array([[data.extent[0], data.extent[2]]]) @ net.layers[0].W + net.layers[0].b)[0]
        r = int(np.rint((ymax - corner[1]) / (ymax - ymin) * (H - 1)))
        c = int(np.rint((corner[0] - xmin) / (xmax - xmin) * (W - 1)))
        assert view.image[r, c] > 0 and view.image[0, 0] == 0  # the picture's corner is margin


async def test_brackets_cycle_neuron_pairs_and_layers_and_h_goes_back(app_factory):
    app = app_factory("moons")  # 2-16-16-2: neurons 0-1, 1-2 ... 14-15 of each hidden layer
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h", "right_square_bracket")
        assert app.boundary.warp_pair == (1, 1, 2)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.boundary.warp_pair == (2, 14, 15)  # back past the first pair: the last layer's last
        await pilot.pause()
        assert "hidden space: x = a2[:, 14], y = a2[:, 15]" in screen_text(app)
        for _ in range(16):  # round to the first layer's 15 pairs, then on to the second layer
            await pilot.press("right_square_bracket")
        assert app.boundary.warp_pair == (2, 0, 1)
        await pilot.press("h")
        assert app.boundary.warp_pair is None and "predicted class" in screen_text(app)


def test_neuron_pairs_walk_each_hidden_layer_of_two_or_more_neurons():
    assert neuron_pairs((2, 1, 3, 2)) == [(2, 0, 1), (2, 1, 2)]
    assert neuron_pairs((2, 2)) == []


async def test_reset_forgets_the_kept_steps(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(5)
        await pilot.press("r", "t")
        await pilot.pause()
        assert "1 kept step, one every 1" in screen_text(app)
        await pilot.press("enter")
        assert app.session.trainer.step_count == 0


@pytest.mark.parametrize("preset, changes", [("digits", {}), ("moons", {"hidden": (1,)})])
async def test_h_says_why_there_is_no_hidden_space(app_factory, preset, changes):
    app = app_factory(preset, **changes)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h")
        assert app.boundary.warp_pair is None
        assert "needs 2-D data and a hidden layer of two neurons" in widget_text(app, "#status")
