"""The network view in the dashboard: key 5 opens it with the live network, choosing a neuron
shows its map large in the boundary panel, and the inspector's stage marks its layer."""
from helpers import screen_text


async def test_key_5_shows_the_live_network_and_a_chosen_neuron_fills_the_boundary(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        view = app.network
        assert view.has_class("-side-shown") and not app.form.has_class("-side-shown")
        assert view.sizes == tuple(app.session.net.sizes) or list(view.sizes) == list(app.session.net.sizes)
        text = screen_text(app)
        assert "5 Network" in text and "x0" in text and "x1" in text and "more" in text
        first = view.maps[0].copy() if hasattr(view, "maps") else None
        app.session.step(50)
        app.poll(force=True)
        await pilot.pause()
        if first is not None:  # the maps follow training
            assert not (view.maps[0] == first).all()
        await pilot.press("right")  # select the first hidden neuron
        await pilot.pause()
        assert view.selected == (1, 0) and app.boundary.neuron == (1, 0)
        assert "neuron a1[:, 0]" in screen_text(app)
        await pilot.press("backspace")  # back to the output
        await pilot.pause()
        assert app.boundary.neuron is None and "predicted class" in screen_text(app)


async def test_the_inspector_stage_marks_its_layer_in_the_network_view(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")  # z1: layer 1
        assert app.network.highlight_layer == 1
        await pilot.press("n", "n")  # a1, z2
        assert app.network.highlight_layer == 2
        await pilot.press("5")
        await pilot.pause()
        assert app.network.has_class("-side-shown")


async def test_at_80x24_the_network_view_is_one_key_away(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        assert app.network.display and app.network.region.width > 0 and not app.boundary.region.width
        assert "x0" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.boundary.region.width > 0 and app.metrics.region.width > 0
