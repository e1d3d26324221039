"""The inspector's keys e (edit the weight or bias at the cursor) and g (the gradient check of a
stepped dW/db cell), driven through the dashboard."""
import os
import re

import numpy as np
import pytest

from helpers import screen_text, widget_text
from mlp_tui.screens.gradcheck import GradcheckScreen
from mlp_tui.screens.param_prompt import ParamPrompt
from mlp_tui.widgets.matrix_view import MatrixView
from test_queued_keys import burst


def flat(text: str) -> str:
    return " ".join(text.split())


async def open_prompt(app, pilot, *moves):
    """The inspector's weights view, the cursor moved, e pressed: the prompt is open."""
    await pilot.press("4", *moves, "e")
    assert isinstance(app.screen, ParamPrompt)


@pytest.mark.parametrize("typed, problem", [
    ("abc", "W1[0,2]: must be a number from -1000 to 1000; got 'abc'"),
    ("nan", "W1[0,2]: must be a number from -1000 to 1000; got 'nan'"),
    ("inf", "W1[0,2]: must be a number from -1000 to 1000; got 'inf'"),
    ("1e9", "W1[0,2]: must be a number from -1000 to 1000; got '1e9'"),
    ("1,5", "W1[0,2]: must be a number from -1000 to 1000; got '1,5'"),
    ("", "W1[0,2]: type a number from -1000 to 1000 (Escape cancels)"),
])
async def test_a_bad_value_is_named_in_the_prompt_and_changes_nothing(app_factory, typed, problem):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.session.net.params.copy()
        await open_prompt(app, pilot, "right", "right")
        await pilot.press(*typed, "enter")
        assert isinstance(app.screen, ParamPrompt), "the prompt stays open to be corrected"
        assert problem in flat(screen_text(app))
        await pilot.press("escape")
        assert len(app.screen_stack) == 1
        assert np.array_equal(app.session.net.params, before)
        assert app.session.trainer.history.events == []
        assert "edit cancelled: the network is unchanged" in app.status_text


async def test_an_edit_reaches_the_network_the_metrics_the_boundary_and_the_history(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(5)
        old = float(app.session.net.layers[0].W[1, 3])
        await open_prompt(app, pilot, "down", "right", "right", "right")
        assert f"New value of W1[1,3] (now {old:.6g}):" in screen_text(app)
        await pilot.press(*"abc", "enter")  # refused first, then corrected in the same prompt
        await pilot.press("backspace", "backspace", "backspace", *"-1.5", "enter")
        assert len(app.screen_stack) == 1
        net = app.session.net
        assert net.layers[0].W[1, 3] == -1.5
        trainer = app.session.trainer
        loss_after = float(net.loss_value(trainer.X_train, trainer.y_train))
        event, = trainer.history.events
        assert (event["param"], event["old"], event["new"], event["step"]) == ("W1[1,3]", old, -1.5, 5)
        assert event["train_loss_after"] == pytest.approx(loss_after)
        text = flat(screen_text(app))
        assert f"W1[1,3]: {old:.6g} -> -1.5 at step 5" in text
        assert f"training loss {event['train_loss_before']:.4g} -> {loss_after:.4g}" in text
        assert f"{loss_after:.4f}" in text  # the metrics' train loss: evaluated at once
        assert app.picture.params[1 * 5 + 3] == -1.5  # the boundary drew the edited network
        assert app.weights.params[1 * 5 + 3] == -1.5  # and so did the inspector's weights
        assert "[1,3] = -1.5" in text


async def test_a_bias_is_edited_and_the_network_view_follows(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_prompt(app, pilot, "w", "right")  # b1, the second unit's bias
        await pilot.press(*"0.75", "enter")
        assert app.session.net.layers[0].b[1] == 0.75
        assert "b1[1]: 0 -> 0.75" in flat(screen_text(app))
        await pilot.press("5")
        assert app.network_state.params[app.session.net.n_weights + 1] == 0.75


async def test_an_edit_while_training_runs_is_applied_between_two_steps(app_factory):
    app = app_factory(preset="moons-2-5-2", speed=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "space")
        await pilot.pause(0.3)
        await pilot.press("e", *"2", "enter")
        assert app.session.running, "training went on"
        event, = app.session.trainer.history.events
        assert event["param"] == "W1[0,0]" and event["new"] == 2.0 and event["step"] > 0
        await pilot.press("space")
        # Training went on from the edited value: the weight moved by gradient steps, not back.
        assert abs(app.session.net.layers[0].W[0, 0] - 2.0) < 0.5


async def test_e_in_a_stepped_trace_says_where_editing_applies(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.session.net.params.copy()
        await pilot.press("n", "e")
        assert len(app.screen_stack) == 1
        assert "press x for the weights view" in app.status_text
        assert "e: edit" not in widget_text(app, "#pipeline")
        await pilot.press("x")
        assert "(w: next matrix, e: edit)" in widget_text(app, "#pipeline")  # the weights view names e
        assert np.array_equal(app.session.trainer.history.events, [])
        assert not np.array_equal(app.session.net.params, before)  # n took a real step, nothing more


async def test_typed_ahead_keys_go_to_the_prompt_not_the_dashboard(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await burst(app, pilot, "e", "1", "full_stop", "5", "enter")
        assert app._exception is None, app._exception
        assert len(app.screen_stack) == 1
        assert app.session.net.layers[0].W[0, 0] == 1.5
        assert app.active_panel == 3 and app.inspector.trace is None, "1 and . did not act beneath"
        assert app.session.snapshot().step == 0


# ----- g: the gradient check ------------------------------------------------------------------------
def loss_by_hand(X, Y, W1, b1, W2, b2):
    """moons-2-5-2: sigmoid hidden layer, softmax output, mean cross-entropy, written out here."""
    a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    z2 = a1 @ W2 + b2
    z2 = z2 - z2.max(axis=1, keepdims=True)
    return -(Y * (z2 - np.log(np.exp(z2).sum(axis=1, keepdims=True)))).sum() / X.shape[0]


def central_difference(trace, name, index, h=1e-5):
    params = {k: trace[k].astype(np.float64) for k in ("W1", "b1", "W2", "b2")}
    keep = params[name][index]
    params[name][index] = keep + h
    up = loss_by_hand(trace["a0"], trace["Y"], **params)
    params[name][index] = keep - h
    down = loss_by_hand(trace["a0"], trace["Y"], **params)
    return (up - down) / (2 * h)


NUMBER = r"(-?\d[\d.]*(?:e[-+]\d+)?)"
ROW = re.compile(rf"(>?)\s+d([Wb]\d)\[([\d,]+)\]\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}(?![\d.e])")


async def test_g_shows_backprop_beside_a_central_difference_for_every_layer(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(20)
        app.inspector.use_batch = True  # the whole training set: a full-batch preset
        await pilot.press("n")
        trace = app.inspector.trace
        for _ in range(trace.names.index("dW1")):
            await pilot.press("n")
        app.query_one(MatrixView).focus()
        await pilot.press("down", "right", "right", "right", "g")
        await app.workers.wait_for_complete()  # the check runs in a thread
        await pilot.pause()
        assert isinstance(app.screen, GradcheckScreen)
        rows = [ROW.search(line) for line in screen_text(app).splitlines()]
        rows = [m.groups() for m in rows if m]
        shown = {f"{name}[{index}]": (mark, float(a), float(n), err) for mark, name, index, a, n, err in rows}
        # Every layer's W and b, the cell at the cursor's position (clamped to each shape).
        assert list(shown) == ["W1[1,3]", "b1[3]", "W2[1,1]", "b2[1]"]
        assert [k for k, v in shown.items() if v[0] == ">"] == ["W1[1,3]"]
        for label, (_, analytic, numeric, err) in shown.items():
            name, index = label[:2], tuple(int(k) for k in label[3:-1].split(","))
            assert analytic == pytest.approx(trace[f"d{name}"][index], rel=1e-11)  # the dW1 stage's value
            assert numeric == pytest.approx(central_difference(trace, name, index), rel=1e-7)
            assert float(err) < 1e-7  # the shown numbers agree to 12 digits: the error is below them
        await pilot.press("escape")
        assert len(app.screen_stack) == 1 and app.inspector.current.name == "dW1"


async def test_g_off_a_gradient_stage_says_where_it_applies(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        assert "press n, then walk to a dW or db stage" in app.status_text
        await pilot.press("n")  # z1
        assert "Gradcheck" not in screen_text(app)
        await pilot.press("g")
        assert len(app.screen_stack) == 1 and "walk to a dW or db stage with n/p" in app.status_text
        while app.inspector.current.name != "dW2":
            await pilot.press("n")
        assert " g Gradcheck " in screen_text(app)


async def test_g_on_a_perceptron_step_explains_there_is_no_gradient(app_factory):
    app = app_factory(preset="perceptron")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        for stage in range(len(app.inspector.trace.steps)):
            if stage:
                await pilot.press("n")
            await pilot.press("g")
            assert len(app.screen_stack) == 1
            assert "the perceptron rule is not a loss gradient" in app.status_text


def test_e_and_a_value_typed_at_once_in_a_real_terminal(tmp_path):
    """"e1.5 Enter" written in one go to a pty, as a fast typist or a paste sends it: the value
    reaches the prompt (none of 1 . 5 acts on the dashboard beneath); then a bad value is named."""
    from test_terminal import quit_and_close, screen_showing, spawn_dashboard

    size = (120, 40)
    proc, master = spawn_dashboard(tmp_path, "--preset", "moons-2-5-2", size=size)
    seen = bytearray()
    try:
        assert "Hyperparameters" in screen_showing(master, seen, size, ["Hyperparameters"])
        os.write(master, b"4")
        assert "weights: [W1]" in screen_showing(master, seen, size, ["weights: [W1]"], 20)
        os.write(master, b"e1.5\r")
        screen = screen_showing(master, seen, size, ["-> 1.5 at step 0"], 20)
        assert "W1[0,0]: 0.4504 -> 1.5 at step 0" in screen
        assert "[0,0] = 1.5" in screen and "[1/" not in screen  # "." took no step
        os.write(master, b"eabc\r")
        screen = screen_showing(master, seen, size, ["got 'abc'"], 20)
        assert "W1[0,0]: must be a number from -1000 to 1000; got 'abc'" in screen
        os.write(master, b"\x1b")
        screen = screen_showing(master, seen, size, ["edit cancelled"], 20)
        assert "[0,0] = 1.5" in screen
    finally:
        quit_and_close(proc, master, seen)
    assert b"Traceback" not in seen


async def test_an_edit_saved_in_a_checkpoint_reaches_the_headless_json(app_factory, tmp_path, monkeypatch):
    import json

    from mlp_tui.cli import main

    monkeypatch.chdir(tmp_path)
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_prompt(app, pilot, "right")
        await pilot.press(*"0.5", "enter")
        await pilot.press("ctrl+s", "enter")  # the default name
    saved = tmp_path / "mlp-tui-checkpoint.npz"
    assert main(["train", "--load", str(saved), "--epochs", "1", "--json", "out.json", "--progress", "none"]) == 0
    events = json.loads((tmp_path / "out.json").read_text())["events"]
    assert [(e["event"], e["param"], e["new"], e["step"]) for e in events] == [("edit", "W1[0,1]", 0.5, 0)]


async def test_the_check_runs_in_a_thread_and_never_stacks_on_another_window(app_factory, monkeypatch):
    import threading

    from mlp_tui import app as app_module
    from mlp_tui.screens.help import HelpScreen

    release = threading.Event()
    real_check = app_module.check_trace

    def slow_check(*args, **kw):  # a large network's check: seconds in extended precision
        release.wait(10)
        return real_check(*args, **kw)

    monkeypatch.setattr(app_module, "check_trace", slow_check)
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        while app.inspector.current.name != "db2":
            await pilot.press("n")
        await pilot.press("g")
        assert "checking db2: 8 losses on 1 sample(s)" in app.status_text
        await pilot.press("question_mark")  # the dashboard answers while the check runs
        assert isinstance(app.screen, HelpScreen)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and len(app.screen_stack) == 2
        assert "gradient check of db2 done while another window was open" in app.status_text
