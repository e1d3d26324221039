"""The dashboard on a regression run: the predicted value as a map with each point's target, R²
in the metrics, and a form whose output and loss are those of regression."""
import numpy as np
from textual.app import App
from textual.widgets import Button, Input, Select

from engine import config as cfg
from helpers import screen_text
from mlp_tui.widgets.boundary import BoundaryPanel
from mlp_tui.widgets.heatmap import SIGNED_RAMP, DecisionHeatmap


class OneWidget(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def rows(widget):
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_ascii_map_runs_from_the_most_negative_to_the_most_positive_with_targets_as_digits():
    hm = DecisionHeatmap(mode="ascii")
    async with OneWidget(hm).run_test(size=(22, 4)) as pilot:
        h, w = hm.pixel_shape
        values = np.tile(np.linspace(-2.0, 2.0, w), (h, 1))
        train = (np.array([0]), np.array([0]), np.array([2.0]))  # a high target on a low prediction
        test = (np.array([1]), np.array([w - 1]), np.array([-2.0]))
        assert hm.show_values_signed(values, 2.0, train, test, label="predicted")
        await pilot.pause()
        text = rows(hm)
        assert text[1][0] == SIGNED_RAMP[0] and text[0][w - 1] == SIGNED_RAMP[-1]
        assert text[0][0] == "9" and text[1][w - 1] == "a"  # train: digit, test: letter, low..high
        assert text[-1].startswith("predicted -2 [")


async def test_colour_map_is_blue_below_zero_and_orange_above():
    from mlp_tui import palette as pal

    hm = DecisionHeatmap(mode="color")
    async with OneWidget(hm).run_test(size=(10, 3)) as pilot:
        h, w = hm.pixel_shape
        hm.show_values_signed(np.tile(np.linspace(-1.0, 1.0, w), (h, 1)), 1.0)
        await pilot.pause()
        segments = list(hm.render_line(0))
        left, right = segments[0].style.color.triplet, segments[-1].style.color.triplet
        assert tuple(left) == pal.NEGATIVE and tuple(right) == pal.POSITIVE


async def test_the_panel_shows_the_predicted_value_for_2d_and_a_target_table_otherwise(tmp_path):
    run = cfg.build(cfg.RunConfig(dataset="reg-plane", hidden=(3,)))
    panel = BoundaryPanel("ascii")
    app = OneWidget(panel)
    async with app.run_test(size=(60, 30)) as pilot:
        panel.attach(run.net, run.data)
        panel.show(run.trainer.snapshot())
        await pilot.pause()
        assert "reg-plane: predicted value, points coloured by target" in screen_text(app)
    X = np.random.default_rng(1).normal(size=(40, 3))
    np.savez(tmp_path / "r.npz", X=X, y=X @ [0.5, -1.0, 0.25])
    run = cfg.build(cfg.RunConfig(dataset=str(tmp_path / "r.npz"), hidden=(3,)))
    panel = BoundaryPanel("ascii")
    app = OneWidget(panel)
    async with app.run_test(size=(60, 30)) as pilot:
        panel.attach(run.net, run.data)
        panel.show(run.trainer.snapshot())
        await pilot.pause()
        text = screen_text(app)
        target = f"{run.data.targets_test[0, 0]:.4g}"
        assert "test R\u00b2" in text and "target" in text and target in text and "confusion" not in text


async def test_a_regression_dashboard_shows_r2_and_fixes_output_and_loss(app_factory):
    app = app_factory("reg-gauss", n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(40)
        app.poll(force=True)
        await pilot.pause()
        text = screen_text(app)
        assert "train R\u00b2" in text and "test R\u00b2" in text and "test acc" not in text
        output, loss = app.query_one("#field-output", Select), app.query_one("#field-loss", Select)
        assert (output.value, loss.value, output.disabled, loss.disabled) == ("linear", "mse", True, True)
        # Back to a classifier: the fields are free again, and Apply builds one.
        app.query_one("#field-dataset", Input).value = "moons"
        await pilot.pause()
        assert not output.disabled
        output.value = "softmax"
        loss.value = "cross_entropy"
        await pilot.pause()
        app.query_one("#apply", Button).press()
        await pilot.pause()
        assert not app.session.data.is_regression and app.session.net.output == "softmax"
        assert "test acc" in screen_text(app)


async def test_the_inspector_s_derivation_follows_a_regression(app_factory):
    app = app_factory("reg-gauss", n_samples=100, hidden=(3,))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")  # one traced step
        for _ in range(app.inspector.trace.names.index("dz2")):
            await pilot.press("n")
        await pilot.press("d")
        await pilot.pause()
        text = screen_text(app)
        assert "dL/da2[0,0] = (a2[0,0] - Y[0,0]) / n" in text and "linear + mse" in text
