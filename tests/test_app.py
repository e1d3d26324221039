"""The dashboard, driven as a user would with Textual's Pilot: keys, widgets and what is shown."""
import asyncio
import re
import threading

import numpy as np
import pytest
from textual.widgets import Button, Input

from engine import config as cfg
from helpers import screen_text
from mlp_tui.widgets.heatmap import DecisionHeatmap
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.matrix_view import MatrixView


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_layouts_mount_and_show_the_panels(app_factory, size):
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Hyperparameters" in text
        if size == (120, 40):  # boundary, metrics and the form at once; the inspector one key away
            for title in ("2 Metrics", "3 Decision boundary"):
                assert title in text
            assert not app.screen.has_class("-compact")
            await pilot.press("4")
            assert "4 Inspector" in screen_text(app) and "weights:" in screen_text(app)
        else:  # one view at a time, every panel reachable by its number
            assert app.screen.has_class("-compact")
            for key, title in (("2", "train loss"), ("3", "moons"), ("4", "weights:")):
                await pilot.press(key)
                assert title in screen_text(app)


async def test_terminal_too_small_message_and_recovery(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.screen.has_class("-tiny")
        assert "terminal too small" in screen_text(app)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-tiny")
        assert "3 Decision boundary" in screen_text(app) and "Learning rate" in screen_text(app)


async def test_bad_learning_rate_shows_message_and_blocks_apply(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        lr = app.query_one("#field-lr", Input)
        lr.focus()
        lr.value = ""
        await pilot.press(*"abc")
        await pilot.pause()
        error = app.query_one("#error-lr")
        assert "Learning rate: must be a number from 1e-06 to 1000" in str(error.render())
        assert app.query_one("#apply", Button).disabled
        assert app.session.trainer.lr == 0.01  # nothing reached the trainer
        lr.value = ""
        await pilot.press(*"0.05")
        await pilot.pause()
        assert not app.query_one("#apply", Button).disabled
        assert app.session.trainer.lr == 0.05  # a live field: applied without a rebuild
        assert "applied live" in app.status_text


async def test_bad_layer_list_blocks_apply_and_a_good_one_rebuilds(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        hidden = app.query_one("#field-hidden", Input)
        hidden.focus()
        hidden.value = ""
        await pilot.press(*"8,,8")
        await pilot.pause()
        assert "Hidden layers: layer 2 is empty" in str(app.query_one("#error-hidden").render())
        assert app.query_one("#apply", Button).disabled
        old_net = app.session.net
        hidden.value = ""
        await pilot.press(*"4,3")
        await pilot.pause()
        assert not app.query_one("#apply", Button).disabled
        await pilot.press("enter")  # Enter in a field applies, like the Apply button
        await pilot.pause()
        assert app.session.net is not old_net
        assert app.session.net.sizes == (2, 4, 3, 2)


async def test_incompatible_output_and_loss_block_apply(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        from textual.widgets import Select

        app.query_one("#field-output", Select).value = "linear"
        await pilot.pause()
        assert "needs output softmax or sigmoid" in str(app.query_one("#form-problem").render())
        assert app.query_one("#apply", Button).disabled


async def test_space_starts_and_pauses_training(app_factory):
    app = app_factory(epochs=100_000)  # flat out, the default budget of 100 epochs is over in 0.1 s
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.snapshot().step == 0
        await pilot.press("space")
        await asyncio.sleep(0.3)
        assert app.session.running
        await pilot.press("space")  # may wait for Pilot's idle check while training runs
        await pilot.pause()
        assert not app.session.running
        step = app.session.snapshot().step
        assert step > 0 and step == app.session.trainer.step_count
        app.poll(force=True)
        await pilot.pause()
        assert f"step {step:,}" in screen_text(app)


async def test_s_changes_the_weights_by_exactly_the_engines_update(app_factory):
    app = app_factory(optimizer="sgd", lr=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        twin = cfg.build(app.session.config)  # the same seeded run, driven directly
        before = app.session.net.params.copy()
        np.testing.assert_array_equal(before, twin.net.params)
        await pilot.press("s")
        await pilot.pause()
        twin.trainer.step()
        np.testing.assert_array_equal(app.session.net.params, twin.net.params)
        assert not np.array_equal(app.session.net.params, before)
        assert app.session.snapshot().step == 1


async def test_inspector_walks_one_step_forward_and_back(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        params_before = app.session.net.params.copy()
        await pilot.press("n")  # takes ONE real step, shows its first stage
        trace = inspector.trace
        assert trace is not None and inspector.current.name == "z1"
        assert "z1 = a0 @ W1 + b1" in screen_text(app)
        await pilot.press("n", "n")
        assert inspector.current.name == "z2"
        assert "z2 = a1 @ W2 + b2" in screen_text(app)
        await pilot.press("p")
        assert inspector.current.name == "a1" and "a1 = sigmoid(z1)" in screen_text(app)
        await pilot.press("comma", "comma", "comma")  # past the start: stays on the first stage
        assert inspector.current.name == "z1"
        # Walk to the update stage: then the dashboard shows the new weights.
        shown_before = app.session.snapshot().params.copy()
        np.testing.assert_array_equal(shown_before, params_before)
        for _ in range(len(trace.steps) - 1):  # at the last stage, n would take a new step
            await pilot.press("full_stop")
        assert inspector.current.phase == "update"
        assert "W1_new = W1 - lr * dW1" in screen_text(app) or "_new" in inspector.current.name
        np.testing.assert_array_equal(app.session.snapshot().params, app.session.net.params)
        assert not np.array_equal(app.session.snapshot().params, params_before)


async def test_cell_explanation_matches_trace_explain(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")  # ignored unless the inspector has focus: use the mini-batch below
        inspector = app.query_one(InspectorPanel)
        inspector.use_batch = True
        await pilot.press("n", "n", "n")  # z1, a1, z2
        matrix = app.query_one(MatrixView)
        matrix.focus()
        await pilot.press("down", "right")
        await pilot.pause()
        assert matrix.cursor == (1, 1)
        expected = inspector.trace.explain("z2", (1, 1))
        assert inspector.explanation() == expected
        assert expected.startswith("z2[1,1] = a1[1,0]*W2[0,1]")
        assert "z2[1,1] = a1[1,0]*W2[0,1]" in screen_text(app)


@pytest.mark.parametrize("color", ["color", "ascii"])
async def test_heatmap_renders_in_colour_and_in_ascii(app_factory, color):
    app = app_factory(color=color)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(30)
        app.poll(force=True)
        await pilot.pause()
        heatmap = app.query_one(DecisionHeatmap)
        lines = [heatmap.render_line(y).text for y in range(heatmap.size.height - 1)]
        body = "".join(lines)
        if color == "color":
            assert "\u2580" in body  # half blocks: two pixels per cell
            assert "\u25cf" in body  # training points
        else:
            assert "\u2580" not in body
            assert set("aA") & set(body) and set("bB") & set(body)  # class letters
            assert "0" in body and "1" in body  # training points as class digits


async def test_neuron_activation_map(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.press("right_square_bracket")
        assert "neuron a1[:, 0] (tanh)" in screen_text(app)
        await pilot.press("left_square_bracket")
        assert "moons: predicted class" in screen_text(app)


async def test_digits_show_a_confusion_matrix(app_factory):
    app = app_factory(preset="digits")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(20)
        app.poll(force=True)
        await pilot.pause()
        text = screen_text(app)
        assert "confusion matrix" in text and "true 9" in text


async def test_reset_restores_the_seeded_weights(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        initial = app.session.net.params.copy()
        await pilot.press("s", "s", "s")
        assert not np.array_equal(app.session.net.params, initial)
        await pilot.press("r")
        np.testing.assert_array_equal(app.session.net.params, initial)
        assert app.session.snapshot().step == 0


async def test_help_screen_lists_the_keys(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        text = screen_text(app)
        assert "start / pause training" in text and "ctrl+s" in text
        await pilot.press("escape")
        assert "start / pause training" not in screen_text(app)


async def test_save_and_load_a_checkpoint_from_the_dashboard(app_factory, tmp_path):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s", "s")
        saved = app.session.net.params.copy()
        path = tmp_path / "run.npz"
        await pilot.press("ctrl+s")
        prompt = app.screen.query_one("#path", Input)
        prompt.value = str(path)
        await pilot.press("enter")
        assert path.exists() and "checkpoint saved" in app.status_text
        await pilot.press("r")
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        np.testing.assert_array_equal(app.session.net.params, saved)
        assert app.session.trainer.step_count == 2


async def test_loading_a_bad_file_keeps_the_current_model(app_factory, tmp_path):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        bad = tmp_path / "broken.npz"
        bad.write_bytes(b"not a zip file at all")
        before = app.session.net.params.copy()
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = str(bad)
        await pilot.press("enter")
        assert str(bad) in app.status_text and "unchanged" in app.status_text
        np.testing.assert_array_equal(app.session.net.params, before)


async def test_divergence_pauses_and_shows_the_layer(app_factory):
    app = app_factory(preset="lr-too-high")
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.controller.resume()
        app.session.controller.wait(5)
        app.poll(force=True)
        await pilot.pause()
        assert app.session.snapshot().state == "diverged"
        assert "Diverged" in app.status_text and "layer" in app.status_text
        assert np.all(np.isfinite(app.session.net.params))
        assert np.all(np.isfinite(app.session.snapshot().params))


async def test_quitting_while_training_stops_the_worker(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)):
        app.session.controller.resume()
        await asyncio.sleep(0.2)
        assert any(t.name == "mlp-tui-trainer" for t in threading.enumerate())
        await app.action_quit()
    assert not app.session.controller.alive
    assert not any(t.name == "mlp-tui-trainer" for t in threading.enumerate())


async def test_inspector_sample_choice_is_used_by_the_traced_step(app_factory):
    app = app_factory(preset="moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")  # focus the inspector's matrix
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        inspector = app.query_one(InspectorPanel)
        assert inspector.sample == 3 and "sample 3" in screen_text(app)
        await pilot.press("n")
        np.testing.assert_array_equal(inspector.trace["a0"], app.session.trainer.X_train[3:4])


async def test_full_chart_and_log_scale_toggle(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(200)
        app.poll(force=True)
        await pilot.press("c")
        metrics = app.metrics
        assert metrics.chart_shown
        assert "loss and accuracy" in screen_text(app)
        await pilot.press("l")
        assert metrics.log_scale and "loss (log)" in screen_text(app)
        await pilot.press("c")
        assert not metrics.chart_shown and "train loss" in screen_text(app)


async def test_log_chart_survives_repeated_renders(app_factory):
    """plotext's own log scale rewrites its data on each build; a resize re-render used to raise."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(400)
        app.poll(force=True)
        await pilot.press("c", "l")
        await pilot.pause()
        for size in [(130, 44), (121, 41), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        text = screen_text(app)
        assert "loss (log)" in text
        assert re.search(r"1e-?\d", text), "the log axis is labelled in powers of ten"


async def test_the_footer_is_not_rebuilt_on_every_focus_change(app_factory):
    """Textual's Footer remounts every key on each focus change (~100 ms of restyling per key
    press); ours keeps its keys while the keys it shows stay the same."""
    from textual.widgets import Footer

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        keys = list(footer.children)
        assert len(keys) >= 8
        for key in "34343":
            await pilot.press(key)
            await pilot.pause()
        assert list(footer.children) == keys
        assert all(key.is_attached for key in keys)
        text = screen_text(app)
        for shown in ("Start/Pause", "Step", "Save", "Quit"):
            assert shown in text


def test_low_bandwidth_refreshes_less_often_and_draws_ascii():
    from engine import presets
    from mlp_tui.app import MlpApp
    from mlp_tui.options import DashboardOptions
    from mlp_tui.session import Session

    def rates(options):
        app = MlpApp(Session(cfg.build(presets.get("moons").config)), options)
        fps = 1 / app.interval
        return app.mode, fps, fps / app.series_every, fps / app.heatmap_every

    assert rates(DashboardOptions(color="color")) == ("color", 10, 5, 2)
    assert rates(DashboardOptions(color="color", low_bandwidth=True)) == ("ascii", 2, 1, 1)


async def test_worked_example_steps_in_the_inspector_without_biases(app_factory):
    app = app_factory(preset="xor-article")
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await pilot.press("n")
        assert inspector.current.name == "z1"
        text = screen_text(app)
        assert "z1 = a0 @ W1" in text and "+ b1" not in text
        for _ in range(len(inspector.trace.steps) - 1):
            await pilot.press("full_stop")
        assert inspector.current.name == "W2_new"  # no b2_new: the network has no biases
        np.testing.assert_allclose(app.session.net.layers[1].W[0], [-0.41488852, -0.30995026], atol=3e-8)


async def test_choosing_a_worked_example_in_the_form_builds_it(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        from textual.widgets import Select

        app.query_one("#preset", Select).value = "mazur-2-2-2"
        await pilot.pause()
        assert not app.query_one("#apply", Button).disabled
        assert app.form.request_apply()
        await pilot.pause()
        assert app.session.config.points == ((0.05, 0.10),)
        assert app.session.net.sizes == (2, 2, 2) and app.session.net.layers[1].W[0, 0] == 0.40


async def test_no_test_split_shows_the_training_confusion_matrix(app_factory):
    app = app_factory(preset="digits", test_fraction=0.0, n_samples=200)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(5)
        app.poll(force=True)
        await pilot.pause()
        assert app._exception is None
        assert "confusion matrix (train" in screen_text(app)
