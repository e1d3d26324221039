"""The decision-boundary panel is given a network, its data and snapshots (no session), and the
pixel grids it evaluates the network on."""
import numpy as np
from textual.app import App

from engine import config as cfg
from helpers import screen_text
from mlp_tui.plot_grid import grid_points, to_pixels
from mlp_tui.widgets.boundary import BoundaryPanel


class PanelApp(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self):
        yield self.panel


def test_grid_points_cover_the_extent_top_row_first_and_land_on_their_pixels():
    pts = grid_points((0.0, 1.0, 0.0, 2.0), (3, 2))
    assert pts.tolist() == [[0, 2], [1, 2], [0, 1], [1, 1], [0, 0], [1, 0]]
    rows, cols = to_pixels(pts, (0.0, 1.0, 0.0, 2.0), (3, 2))
    assert rows.tolist() == [0, 0, 1, 1, 2, 2] and cols.tolist() == [0, 1, 0, 1, 0, 1]


async def test_the_panel_draws_a_snapshot_of_the_network_it_was_given():
    run = cfg.build(cfg.RunConfig())
    panel = BoundaryPanel("ascii")
    app = PanelApp(panel)
    async with app.run_test(size=(60, 30)) as pilot:
        panel.attach(run.net, run.data)
        await pilot.pause()
        panel.show(run.trainer.snapshot())
        await pilot.pause()
        assert "moons: predicted class" in screen_text(app)
        panel.focus()
        await pilot.press("right_square_bracket")  # the first hidden neuron, drawn from the same snapshot
        assert panel.neuron == (1, 0) and "neuron a1[:, 0] (tanh)" in screen_text(app)


async def test_the_boundary_shows_the_snapshot_not_the_network_training_on():
    """The panel evaluates its own copy loaded with the snapshot's weights: weights changed
    after the snapshot (the worker keeps training) do not reach the picture."""
    run = cfg.build(cfg.RunConfig())
    panel = BoundaryPanel("ascii")
    app = PanelApp(panel)
    async with app.run_test(size=(60, 30)) as pilot:
        panel.attach(run.net, run.data)
        await pilot.pause()
        panel.show(run.trainer.snapshot())
        await pilot.pause()
        before = screen_text(app)
        run.net.params[...] = np.random.default_rng(0).normal(scale=5.0, size=run.net.params.shape)
        panel.show(run.trainer.snapshot(), force=True)
        await pilot.pause()
        after = screen_text(app)
        assert after != before  # the new snapshot is drawn ...
        run.net.params[...] = 0.0
        panel.action_neuron(0)  # ... and drawn again from that snapshot, not the zeroed network
        await pilot.pause()
        assert screen_text(app) == after


async def test_reset_while_walking_a_step_returns_the_inspector_to_the_weights(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "n")
        assert app.inspector.trace is not None and "forward: z1 = a0 @ W1 + b1" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert app.inspector.trace is None and "weights: [W1]" in screen_text(app)
