"""Dropout and early stopping on the dashboard: the inspector's dropout stage with its real
numbers, the form's fields, and the status line of a run that stopped early."""
import numpy as np

from helpers import screen_text
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.matrix_view import MatrixView


async def test_the_inspector_shows_the_dropout_stage_after_a_equals_f_of_z(app_factory):
    app = app_factory(preset="xor-2-3-2", dropout=(0.5,))
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await pilot.press("n")
        trace = inspector.trace
        for _ in range(trace.names.index("a1_drop")):
            await pilot.press("n")
        assert inspector.current.name == "a1_drop"
        matrix = app.query_one(MatrixView)
        matrix.focus()
        await pilot.press("right")
        await pilot.pause()
        text = screen_text(app)
        assert "forward: a1_drop = a1 * mask1 / keep,  keep =" in text  # the formula, wrapped in the panel
        expected = trace.explain("a1_drop", (0, 1))
        assert inspector.explanation() == expected
        assert expected.startswith("a1_drop[0,1] = a1[0,1] * mask1[0,1] / keep = ")
        assert "a1_drop[0,1] = a1[0,1] * mask1[0,1] / keep" in text
        kept = trace["mask1"][0, 1] == 1
        assert trace["a1_drop"][0, 1] == (trace["a1"][0, 1] / 0.5 if kept else 0.0)
        await pilot.press("n")  # z2 reads the dropped activations
        assert "z2 = a1_drop @ W2 + b2" in screen_text(app)


async def test_the_form_has_the_dropout_and_early_stop_fields(app_factory):
    app = app_factory(preset="moons", hidden=(8, 8), dropout=(0.2, 0.0), early_stop=7)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        assert app.query_one("#field-dropout").value == "0.2,0"
        assert app.query_one("#field-early_stop").value == "7"
        app.query_one("#field-dropout").value = "0.2,0.3,0.4"
        await pilot.pause()
        assert "Dropout: give one rate for every hidden layer" in str(app.query_one("#form-problem").render())
        assert app.query_one("#apply").disabled


async def test_an_early_stop_finishes_the_run_and_says_which_epoch_was_kept(app_factory):
    app = app_factory(preset="moons", n_samples=60, noise=0.35, test_fraction=0.5, hidden=(64, 64), lr=0.03,
                      batch_size=10, early_stop=5, epochs=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        assert app.session.controller.wait(20)
        await pilot.pause(0.3)
        report = app.session.trainer.stopped_early
        assert app.session.finished and report is not None and app.session.trainer.epoch < 300
        assert app.status_text == (f"stopped at epoch {report.stopped_epoch}: best test loss {report.best_loss:.4g} "
                                   f"at epoch {report.best_epoch}, kept; space: train on from there")
        np.testing.assert_array_equal(app.session.snapshot().params, app.session.trainer.early_stopping.best_params)
