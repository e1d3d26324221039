"""Draw mode in the boundary panel and the export prompt: keys and clicks change the data the
session trains on, the network keeps its weights, bad input leaves everything as it was."""
import json

import numpy as np

from engine import datasets, drawing
from mlp_tui.plot_grid import to_data
from mlp_tui.widgets.heatmap import DecisionHeatmap
from tests.helpers import screen_text


def drawn_points(app) -> set:
    return {tuple(p) for p in app.session.data.X_train.tolist()}


async def start_drawing(app, pilot):
    await pilot.press("m")
    await pilot.pause()
    assert app.boundary.drawing and app.boundary.has_focus
    return app.query_one(DecisionHeatmap)


async def test_keys_add_a_point_at_the_cursor_and_remove_the_nearest(app_factory):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = await start_drawing(app, pilot)
        assert "a Add point" in screen_text(app) and "x Remove nearest" in screen_text(app)
        params, n = app.session.net.params.copy(), app.session.trainer.n
        await pilot.press("up", "up", "left", "c")
        row, col = heatmap.cursor
        H, W = heatmap.pixel_shape
        assert (row, col) == (H // 2 - 4, W // 2 - 1)  # two text rows of two pixels, one column
        expected = to_data(row, col, app.session.data.extent, heatmap.pixel_shape)
        await pilot.press("a")
        await pilot.pause()
        data = app.session.data
        assert app.session.trainer.n == n + 1 and data.n_train == n + 1
        np.testing.assert_allclose(data.X_train[-1], expected)
        assert data.y_train[-1] == 1  # c chose class 1
        np.testing.assert_array_equal(app.session.net.params, params)  # no reset
        assert "added a class 1 point" in app.status_text
        await pilot.press("x")
        await pilot.pause()
        assert app.session.trainer.n == n and tuple(expected) not in drawn_points(app)
        assert "removed the point at" in app.status_text
        await pilot.press("m")
        assert not app.boundary.drawing and heatmap.cursor is None
        assert "a Add point" not in screen_text(app)


async def test_clicks_add_and_remove_points_and_training_continues_on_them(app_factory):
    app = app_factory(n_samples=100, epochs=100_000)
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = await start_drawing(app, pilot)
        n = app.session.trainer.n
        await pilot.press("space")  # training runs while the data changes
        x, y = heatmap.size.width // 2, 3
        await pilot.click(DecisionHeatmap, offset=(x, y))
        await pilot.pause()
        assert app.session.trainer.n == n + 1
        clicked = app.session.data.X_train[-1].copy()
        np.testing.assert_allclose(clicked, to_data(*heatmap.pixel_at(x, y), app.session.data.extent,
                                                    heatmap.pixel_shape))
        assert tuple(clicked) in {tuple(p) for p in app.session.trainer.X_train.tolist()}
        step = app.session.snapshot().step
        for _ in range(100):  # still training, on the changed data
            await pilot.pause(0.02)
            if app.session.snapshot().step > step:
                break
        assert app.session.snapshot().step > step and app.session.running
        await pilot.click(DecisionHeatmap, offset=(x, y), button=3)
        await pilot.pause()
        assert app.session.trainer.n == n and tuple(clicked) not in drawn_points(app)
        await pilot.press("space")


async def test_a_click_outside_draw_mode_changes_nothing(app_factory):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        n = app.session.trainer.n
        await pilot.click(DecisionHeatmap, offset=(20, 5))
        await pilot.pause()
        assert app.session.trainer.n == n


async def test_a_refused_point_is_one_line_and_the_data_stays(app_factory, monkeypatch):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drawing(app, pilot)
        monkeypatch.setattr(drawing, "MAX_DRAWN_POINTS", app.session.data.n_train)
        before = app.session.data
        await pilot.press("a")
        await pilot.pause()
        assert app.session.data is before
        assert app.status_text.startswith("the data is unchanged: the dataset has")
        assert app.status.has_class("-error")


async def test_g_makes_new_data_with_the_next_seed_and_the_forms_noise(app_factory):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drawing(app, pilot)
        app.form.values["noise"] = 0.05
        params = app.session.net.params.copy()
        await pilot.press("g")
        await pilot.pause()
        want = datasets.load("moons", n_samples=100, noise=0.05, seed=app.session.config.seed + 1)
        np.testing.assert_array_equal(app.session.data.X_train, want.X_train)
        np.testing.assert_array_equal(app.session.net.params, params)
        assert "new data with seed 1 and noise 0.05" in app.status_text


async def test_apply_with_the_same_data_settings_keeps_the_drawn_data_and_its_seed(app_factory):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drawing(app, pilot)
        await pilot.press("g", "a")
        await pilot.pause()
        drawn = app.session.data
        assert app.form.request_apply()  # a rebuild with the same data settings keeps this data ...
        await pilot.pause()
        assert app.session.data is drawn
        assert app.boundary.drawing  # still in draw mode, on the new network
        await pilot.press("g")  # ... and g goes on to the seed after it
        await pilot.pause()
        assert "new data with seed 2" in app.status_text


async def test_draw_mode_needs_two_d_data(app_factory):
    app = app_factory("digits", n_samples=200)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert not app.boundary.drawing
        assert "2-D data only; digits has 64 features" in app.status_text


async def test_the_export_prompt_writes_a_folder_and_a_drawn_csv(app_factory, tmp_path):
    app = app_factory(n_samples=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_drawing(app, pilot)
        await pilot.press("a")
        for target in (tmp_path / "out", tmp_path / "drawn.csv"):
            await pilot.press("ctrl+e", "ctrl+u", *str(target), "enter")
            await pilot.pause()
            assert "exported" in app.status_text, app.status_text
        files = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert files == ["data.csv", "history.csv", "history.json", "weights.json", "weights.npz"]
        record = json.loads((tmp_path / "out" / "weights.json").read_text())
        for layer, got in zip(app.session.net.layers, record["layers"]):
            np.testing.assert_array_equal(np.array(got["W"]), layer.W)
        back = datasets.load(str(tmp_path / "drawn.csv"), test_fraction=0)
        data = app.session.data
        assert back.n_train == data.n_train + data.n_test
        assert tuple(data.X_train[-1]) in {tuple(p) for p in back.X_train.tolist()}
        await pilot.press("ctrl+e", "ctrl+u", *str(tmp_path / "no" / "x"), "enter")
        await pilot.pause()
        assert app.status_text.startswith("not exported:") and "does not exist" in app.status_text


async def test_in_ascii_a_text_row_is_one_pixel_row(app_factory):
    app = app_factory(n_samples=100, color="ascii")
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = await start_drawing(app, pilot)
        H, W = heatmap.pixel_shape
        await pilot.press("up", "right")
        assert heatmap.cursor == (H // 2 - 1, W // 2 + 1)
        indent = (heatmap.size.width - W) // 2
        assert heatmap.pixel_at(indent + 3, 5) == (5, 3)
        assert heatmap.pixel_at(indent - 1, 5) is None  # left of the picture
        assert heatmap.pixel_at(indent, heatmap.size.height - 1) is None  # the legend row
