"""The dashboard on input features and per-layer activations: the boundary is drawn over the
plane, the network view and the inspector name the inputs and each layer's function, and the
form's fields set them."""
import numpy as np
from textual.widgets import Input

from engine.features import transform
from helpers import screen_text, widget_text
from mlp_tui.plot_grid import grid_points


def squeezed(app) -> str:
    """The screen's text without blanks (the network view's labels are drawn cell by cell)."""
    return "".join(screen_text(app).split())


async def test_features_are_named_on_screen_and_the_boundary_evaluates_the_plane(app_factory):
    app = app_factory("circles-features", hidden=(3,))
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(20)
        app.poll(force=True)
        await pilot.pause()
        assert "circles: predicted class from x1^2, x2^2" in screen_text(app)
        shape, pts, _, _ = app.boundary._grid
        np.testing.assert_allclose(pts, transform(grid_points(app.session.data.extent, shape), ("x1^2", "x2^2")))
        await pilot.press("5")
        await pilot.pause()
        assert "x1^2" in squeezed(app) and "x2^2" in squeezed(app)
        await pilot.press("4")
        await pilot.pause()
        assert "rows = inputs x1^2, x2^2" in widget_text(app, "#stage")
        await pilot.press("n")
        await pilot.pause()
        assert widget_text(app, "#pipeline").startswith("x = [x1^2, x2^2] -> z1")


async def test_the_form_sets_features_and_per_layer_activations(app_factory):
    app = app_factory("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        app.query_one("#field-features", Input).value = "x1,x2,x1*x2"
        app.query_one("#field-hidden", Input).value = "6:relu,4"
        await pilot.pause()
        assert app.form.request_apply()
        await pilot.pause()
        await pilot.pause()
        net = app.session.net
        assert net.sizes[:3] == (3, 6, 4) and net.hidden_activations == ("relu", "tanh")
        assert app.session.data.features == ("x1", "x2", "x1*x2")
        app.query_one("#field-features", Input).value = "x1,z"
        await pilot.pause()
        assert "Input features: unknown feature 'z'" in screen_text(app)
        assert app.session.net is net  # the running network stays


async def test_the_network_view_names_each_layers_activation(app_factory):
    app = app_factory("moons", hidden=(4, 4), activations=("relu", "sigmoid"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        assert "h1relu" in squeezed(app) and "h2sigmoid" in squeezed(app)
        await pilot.press("4")
        await pilot.pause()
        assert "(layer 1: relu)" in widget_text(app, "#stage")
