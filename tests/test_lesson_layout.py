"""The lesson comes first: what the opening screen shows at the sizes terminals open with, and
how the form and the inspector are one key away."""

import pytest

from helpers import screen_text
from mlp_tui.pace import DEFAULT_SPEED
from test_terminal import quit_and_close, screen_showing, spawn_dashboard


def shown(app, panel_id: str) -> bool:
    panel = app.query_one(f"#{panel_id}")
    return panel.display and panel.region.width > 0 and panel.region.height > 0


async def test_at_80x24_the_opening_view_is_the_boundary_beside_the_metrics(app_factory):
    app = app_factory(speed=DEFAULT_SPEED)
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.step(30)
        app.poll(force=True)
        await pilot.pause()
        assert shown(app, "boundary-panel") and shown(app, "metrics-panel")
        assert not shown(app, "form-panel") and not shown(app, "inspector-panel")
        text = screen_text(app)
        for words in ("train loss", "test loss", "train acc", "test acc", "predicted class", "20 steps/s"):
            assert words in text
        assert app.focused is app.boundary
        await pilot.press("1")  # the form is one key away ...
        assert shown(app, "form-panel") and not shown(app, "boundary-panel")
        await pilot.press("3")  # typed into the focused form field, not a panel key ...
        assert not shown(app, "boundary-panel")
        await pilot.press("escape")  # ... so Escape leads back to the lesson
        assert shown(app, "boundary-panel") and shown(app, "metrics-panel")
        await pilot.press("n")  # stepping the inspector brings it into view
        assert shown(app, "inspector-panel") and "forward: z1 = a0 @ W1 + b1" in screen_text(app)


async def test_at_120x40_the_boundary_has_the_largest_panel_and_a_square_plot(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = {p.id: p.region for p in app.panels if p.display and p.region.width}
        assert set(panels) == {"boundary-panel", "metrics-panel", "form-panel"}
        area = {k: r.width * r.height for k, r in panels.items()}
        assert max(area, key=area.get) == "boundary-panel"
        assert panels["metrics-panel"].height <= 10  # compact
        heatmap = app.boundary.query_one("#heatmap")
        h, w = heatmap.pixel_shape
        assert h == w >= 50  # square, in pixels two to a cell
        await pilot.press("4")  # the inspector takes the form's place
        assert shown(app, "inspector-panel") and not shown(app, "form-panel")
        await pilot.press("1")
        assert shown(app, "form-panel") and not shown(app, "inspector-panel")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_real_terminal_shows_loss_and_accuracy_on_the_first_screen(tmp_path, size):
    proc, master = spawn_dashboard(tmp_path, size=size)
    seen = bytearray()
    try:
        wanted = ("train loss", "test loss", "train acc", "test acc", "predicted class", "20 steps/s")
        screen = screen_showing(master, seen, size, wanted)
        assert all(w in screen for w in wanted), screen
        assert "Learning rate" not in screen if size == (80, 24) else "Learning rate" in screen
    finally:
        quit_and_close(proc, master, seen)
    assert proc.returncode == 0 and b"Traceback" not in seen
