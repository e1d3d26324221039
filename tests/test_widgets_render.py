"""Rendering tests for the palette, DecisionHeatmap and MatrixView.

Widgets are mounted in a tiny App with ``run_test`` and read back through
``render_line(y).text``; the colour mode is always explicit, never taken from TERM.
"""

import subprocess
import sys

import numpy as np
import pytest
from textual.app import App

from mlp_tui import palette as pal
from mlp_tui.widgets.heatmap import DecisionHeatmap
from mlp_tui.widgets.matrix_view import MatrixView, format_value


class WidgetApp(App):
    """Composes one widget and records the messages it posts."""

    def __init__(self, widget):
        super().__init__()
        self.widget = widget
        self.selected = []
        self.shapes = []

    def compose(self):
        yield self.widget

    def on_matrix_view_cell_selected(self, message):
        self.selected.append(message)

    def on_decision_heatmap_pixel_shape_changed(self, message):
        self.shapes.append(message.shape)


def lines(widget):
    return [widget.render_line(y).text for y in range(widget.size.height)]


def two_class_grid(shape):
    """A diagonal boundary: class 1 below-right, confidence rising away from it."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    p1 = 1 / (1 + np.exp(-((xx / max(w, 1) - 0.5) * 12 + (yy / max(h, 1) - 0.5) * 6)))
    return (p1 > 0.5).astype(int), np.maximum(p1, 1 - p1)


def counting_refresh(monkeypatch, widget):
    calls = []
    original = widget.refresh

    def refresh(*args, **kw):
        calls.append(args)
        return original(*args, **kw)

    monkeypatch.setattr(widget, "refresh", refresh)
    return calls


# --------------------------------------------------------------------------- palette
@pytest.mark.parametrize("c", range(len(pal.CLASS_HUES)))
def test_class_colors_luminance_rises_with_level(c):
    lum = [pal.relative_luminance(rgb) for rgb in pal.class_colors(c)]
    assert len(lum) == pal.LEVELS
    assert all(b > a for a, b in zip(lum, lum[1:]))


def test_sequential_luminance_rises_with_level():
    lum = [pal.relative_luminance(rgb) for rgb in pal.sequential_colors()]
    assert len(lum) == pal.LEVELS
    assert all(b > a for a, b in zip(lum, lum[1:]))


def test_diverging_luminance_rises_with_magnitude_on_both_sides():
    colors = pal.diverging_colors()
    top = pal.LEVELS - 1
    assert len(colors) == 2 * pal.LEVELS - 1 and colors[top] == pal.DARK
    for sign in (1, -1):
        lum = [pal.relative_luminance(colors[top + sign * k]) for k in range(pal.LEVELS)]
        assert all(b > a for a, b in zip(lum, lum[1:]))
    assert colors[0][2] > colors[0][0]  # negative end is blue-ish
    assert colors[-1][0] > colors[-1][2]  # positive end is orange/red-ish


def test_class_hues_are_distinct():
    assert len(set(pal.CLASS_HUES)) == 10


def test_quantise_handles_nan_inf_and_degenerate_ranges():
    q = pal.quantise([np.nan, -np.inf, 0.0, 0.5, 1.0, np.inf, 7.0], 0.0, 1.0, 16)
    assert q.tolist() == [0, 0, 0, 8, 15, 15, 15]
    assert pal.quantise([1.0, 2.0], 1.0, 1.0).tolist() == [0, 0]
    assert pal.quantise([1.0], np.nan, 1.0).tolist() == [0]
    s = pal.quantise_signed([-2.0, -1.0, 0.0, np.nan, 0.5, np.inf], 1.0)
    assert s.tolist() == [-15, -15, 0, 0, 8, 15]
    assert pal.finite_absmax([np.nan, -3.0, np.inf]) == 3.0
    assert pal.finite_absmax([np.nan]) == 1.0


def test_style_tables_are_precomputed_lists():
    colors = pal.class_table(2)
    assert len(colors) == 2 * pal.LEVELS
    table = pal.halfblock_table(tuple(colors))
    k = len(colors)
    assert len(table) == k * k
    top, bottom = 5, 20
    style = table[top * k + bottom]
    assert style.color.get_truecolor() == colors[top]
    assert style.bgcolor.get_truecolor() == colors[bottom]
    assert len(pal.bg_styles(colors)) == len(pal.fg_styles(colors)) == len(pal.cell_styles(colors)) == k


def test_palette_does_not_import_textual():
    code = "import sys, mlp_tui.palette; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- heatmap
async def test_heatmap_color_renders_half_blocks_points_and_legend():
    hm = DecisionHeatmap(mode="color")
    async with WidgetApp(hm).run_test(size=(40, 12)) as pilot:
        assert hm.pixel_shape == (22, 40)  # 2 pixels per row, last row is the legend
        pred, conf = two_class_grid(hm.pixel_shape)
        train = (np.array([0, 5, 21]), np.array([1, 30, 39]), np.array([0, 1, 1]))
        test = (np.array([8]), np.array([3]), np.array([0]))
        assert hm.show_classes(pred, conf, 2, train=train, test=test)
        await pilot.pause()
        text = lines(hm)
        assert len(text) == 12
        assert all(len(t) == 40 for t in text)
        assert all("\u2580" in t for t in text[:-1])
        assert text[0][1] == "●" and text[2][30] == "▲" and text[10][39] == "▲"  # a shape per class
        assert text[4][3] == "○"  # a class-0 test point: the class's shape, hollow
        assert "train" in text[-1] and "class 1" in text[-1]


async def test_heatmap_color_point_glyph_sits_on_its_pixel_colour():
    hm = DecisionHeatmap(mode="color")
    async with WidgetApp(hm).run_test(size=(10, 4)) as pilot:
        pred = np.zeros(hm.pixel_shape, int)
        conf = np.ones(hm.pixel_shape)
        hm.show_classes(pred, conf, 2, train=(np.array([3]), np.array([2]), np.array([1])))
        await pilot.pause()
        seg = [s for s in hm.render_line(1) if s.text == "▲"][0]  # class 1's shape
        assert seg.style.bgcolor.get_truecolor() == pal.class_hue(0)  # confident class 0 pixel
        assert seg.style.color.get_truecolor() == pal.point_color(1)


async def test_heatmap_ascii_uses_letters_digits_and_no_half_blocks():
    hm = DecisionHeatmap(mode="ascii")
    async with WidgetApp(hm).run_test(size=(40, 12)) as pilot:
        assert hm.pixel_shape == (11, 40)
        pred, conf = two_class_grid(hm.pixel_shape)
        train = (np.array([0, 10]), np.array([0, 39]), np.array([0, 1]))
        test = (np.array([5]), np.array([5]), np.array([1]))
        hm.show_classes(pred, conf, 2, train=train, test=test)
        await pilot.pause()
        text = lines(hm)
        body = "".join(text[:-1])
        assert "\u2580" not in "".join(text)
        assert {"A", "B", "."} <= set(body)  # sure regions of both classes and the boundary
        assert set(body) <= set("aAbB.01x")
        assert text[0][0] == "0" and text[10][39] == "1" and text[5][5] == "x"  # a class-1 test point
        assert "A=sure" in text[-1] and "01=train +x=test" in text[-1]
        screenshot = pilot.app.export_screenshot()
        assert "\u2580" not in screenshot


async def test_heatmap_skips_refresh_for_identical_quantised_image(monkeypatch):
    hm = DecisionHeatmap(mode="color")
    async with WidgetApp(hm).run_test(size=(30, 8)) as pilot:
        pred, conf = two_class_grid(hm.pixel_shape)
        calls = counting_refresh(monkeypatch, hm)
        assert hm.show_classes(pred, conf, 2)
        assert len(calls) == 1
        assert not hm.show_classes(pred.copy(), conf.copy(), 2)
        assert not hm.show_classes(pred, conf + 1e-6, 2)  # below one quantisation level
        assert len(calls) == 1
        assert hm.show_classes(pred, conf, 2, train=(np.array([0]), np.array([0]), np.array([1])))
        assert hm.show_classes(1 - pred, conf, 2)
        assert len(calls) == 3
        values = np.tile(np.linspace(0, 1, hm.pixel_shape[1]), (hm.pixel_shape[0], 1))
        assert hm.show_values(values, 0.0, 1.0)
        assert not hm.show_values(values, 0.0, 1.00001)  # same quantised image and legend
        assert len(calls) == 4
        await pilot.pause()


async def test_heatmap_survives_nan_inf_and_odd_sizes():
    hm = DecisionHeatmap(mode="color")
    async with WidgetApp(hm).run_test(size=(20, 6)) as pilot:
        h, w = hm.pixel_shape
        pred = np.full((h, w), np.nan)
        conf = np.full((h, w), np.nan)
        conf[0, :] = np.inf
        hm.show_classes(pred, conf, 3)
        await pilot.pause()
        assert all("\u2580" in t for t in lines(hm)[:-1])
        # larger than the widget: cropped; odd pixel rows; points outside: dropped
        big_pred, big_conf = two_class_grid((31, 70))
        hm.show_classes(big_pred, big_conf, 2, train=(np.array([30, 500]), np.array([69, -1]), np.array([0, 1])))
        await pilot.pause()
        assert [len(t) for t in lines(hm)] == [20] * 6
        hm.show_classes(np.zeros((0, 0), int), np.zeros((0, 0)), 2)
        hm.show_values(np.array([[np.nan, np.inf], [-np.inf, 1.0]]), train=None)
        await pilot.pause()
        assert len(lines(hm)) == 6
        hm.mode = "ascii"
        hm.show_values(np.full(hm.pixel_shape, np.nan), np.nan, np.nan)
        await pilot.pause()
        assert len(lines(hm)) == 6


async def test_heatmap_values_maps():
    hm = DecisionHeatmap(mode="ascii")
    async with WidgetApp(hm).run_test(size=(30, 5)) as pilot:
        h, w = hm.pixel_shape
        values = np.tile(np.linspace(-1, 1, w), (h, 1))
        hm.show_values(values, -1.0, 1.0, train=(np.array([1]), np.array([0]), np.array([2])), label="h1[3]")
        await pilot.pause()
        text = lines(hm)
        assert text[0][0] == " " and text[0][-1] == "@"
        assert text[1][0] == "2"
        assert text[-1].startswith("h1[3] -1 [ .:-=+*#%@] 1")
        hm.mode = "color"
        hm.show_values(values, -1.0, 1.0)
        await pilot.pause()
        assert "\u2580" in lines(hm)[0]


async def test_heatmap_reports_pixel_shape_changes():
    hm = DecisionHeatmap(mode="color")
    app = WidgetApp(hm)
    async with app.run_test(size=(30, 10)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.shapes[-1] == (22, 40) == hm.pixel_shape


async def test_square_heatmap_keeps_its_pixels_square_and_centred():
    hm = DecisionHeatmap(mode="color", square=True)
    async with WidgetApp(hm).run_test(size=(40, 12)) as pilot:
        assert hm.pixel_shape == (22, 22)  # 11 rows of two pixels: 22 x 22, centred in 40 columns
        pred, conf = two_class_grid(hm.pixel_shape)
        hm.show_classes(pred, conf, 2, train=(np.array([0]), np.array([0]), np.array([1])))
        await pilot.pause()
        text = lines(hm)
        assert text[0][:9] == " " * 9 and text[0][9] == "▲" and text[0][31:] == " " * 9
        assert all(set(t[9:31]) <= {"\u2580", "▲"} for t in text[:-1])
    hm = DecisionHeatmap(mode="ascii", square=True)
    async with WidgetApp(hm).run_test(size=(40, 12)) as pilot:
        assert hm.pixel_shape == (11, 22)  # an ASCII cell is one pixel, twice as tall as wide
    hm = DecisionHeatmap(mode="ascii", square=True)
    async with WidgetApp(hm).run_test(size=(16, 12)) as pilot:
        assert hm.pixel_shape == (8, 16)  # a narrow widget: as tall as its width allows


async def test_heatmap_smaller_than_legend_does_not_crash():
    hm = DecisionHeatmap(mode="color")
    hm.styles.min_height = 0
    async with WidgetApp(hm).run_test(size=(3, 1)) as pilot:
        assert hm.size == (3, 1) and hm.pixel_shape == (0, 3)  # only the legend row
        hm.show_classes(np.zeros((0, 3), int), np.zeros((0, 3)), 2)
        hm.show_classes(np.zeros((4, 9), int), np.ones((4, 9)), 2)
        await pilot.pause()
        assert lines(hm) == ["●▇ "]


# --------------------------------------------------------------------------- matrix view
def test_format_value_fits_the_cell():
    assert format_value(0.5, 8) == "+0.500"
    assert format_value(-1.25, 8) == "-1.250"
    assert format_value(float("nan"), 8) == "nan"
    assert format_value(float("-inf"), 8) == "-inf"
    for v in (1.234e-5, -98765.4, 1e300, -1e-300, 999.9994):
        assert len(format_value(v, 8)) <= 8


async def test_matrix_view_shows_numbers_and_indices():
    mv = MatrixView(mode="color")
    async with WidgetApp(mv).run_test(size=(60, 8)) as pilot:
        mv.set_matrix(np.array([[0.5, -1.25, 0.0], [2.0, np.nan, np.inf]]), name="W1")
        await pilot.pause()
        text = lines(mv)
        assert "W1 2×3" in text[0] and "min -1.25" in text[0]
        assert text[1].split() == ["0", "1", "2"]
        assert text[2].split() == ["0", "+0.500", "-1.250", "+0.000"]
        assert text[3].split() == ["1", "+2.000", "nan", "+inf"]


async def test_matrix_view_arrow_keys_move_cursor_and_post_cell_selected():
    mv = MatrixView(mode="ascii")
    app = WidgetApp(mv)
    values = np.arange(12, dtype=float).reshape(3, 4) / 10
    async with app.run_test(size=(60, 10)) as pilot:
        mv.set_matrix(values, name="b")
        mv.focus()
        await pilot.press("right", "right", "down")
        await pilot.pause()
        assert mv.cursor == (1, 2)
        got = [(m.name, m.row, m.col, m.value) for m in app.selected]
        assert got == [("b", 0, 1, 0.1), ("b", 0, 2, 0.2), ("b", 1, 2, 0.6)]
        await pilot.press("end", "ctrl+end", "up", "home")
        await pilot.pause()
        assert mv.cursor == (1, 0)
        assert app.selected[-1].value == values[1, 0]
        await pilot.press("left")  # at the edge: no move, no message
        await pilot.pause()
        assert len(app.selected) == 7
        # the cursor cell is drawn reversed
        row = list(mv.render_line(3))
        assert any(seg.style and seg.style.reverse and "+0.400" in seg.text for seg in row)
        assert "[1,0] = 0.4" in mv.render_line(0).text


async def test_matrix_view_click_moves_cursor():
    mv = MatrixView(mode="color")
    app = WidgetApp(mv)
    async with app.run_test(size=(60, 10)) as pilot:
        mv.set_matrix(np.arange(12, dtype=float).reshape(3, 4), name="W")
        await pilot.pause()
        x = mv.gutter_width + 2 * mv.cell_width + 3  # inside column 2
        await pilot.click(MatrixView, offset=(x, 2 + 1))  # data row 1
        await pilot.pause()
        assert mv.cursor == (1, 2)
        assert app.selected[-1].value == 6.0


async def test_matrix_view_large_matrix_scrolls_with_virtual_size():
    mv = MatrixView(mode="color", compact=False)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(784, 256))
    async with WidgetApp(mv).run_test(size=(120, 40)) as pilot:
        mv.set_matrix(values, name="W1")
        mv.focus()
        await pilot.pause()
        assert not mv.compact
        assert mv.virtual_size.width == mv.gutter_width + 256 * mv.CELL_WIDTH
        assert mv.virtual_size.height == 784 + mv.header_rows
        first = lines(mv)
        assert first[2].split()[1] == format_value(values[0, 0], 8)
        assert mv.scroll_offset == (0, 0)

        await pilot.press("end")
        await pilot.pause()
        assert mv.cursor == (0, 255)
        assert mv.scroll_offset.x > 0
        assert first[1].split()[0] == "0"
        assert lines(mv)[1].split()[-1] == "255"  # header follows horizontal scroll

        await pilot.press("pagedown")
        await pilot.pause()
        assert mv.scroll_offset.y > 0 and mv.cursor[0] > 0
        top_row = mv.scroll_offset.y
        text = lines(mv)
        assert text[1].split()[-1] == "255"  # header row stays on top
        assert text[2].split()[0] == str(top_row)  # gutter shows the scrolled row index
        assert text[2].split()[-1] == format_value(values[top_row, 255], 8)

        await pilot.press("ctrl+end")
        await pilot.pause()
        assert mv.cursor == (783, 255)
        assert mv.scroll_offset.y == mv.max_scroll_y
        assert lines(mv)[-2].split()[0] == "783" or lines(mv)[-1].split()[0] == "783"


async def test_matrix_view_compact_mode_summary_and_blocks():
    mv = MatrixView(mode="color")
    values = np.random.default_rng(1).normal(size=(784, 256))
    async with WidgetApp(mv).run_test(size=(120, 40)) as pilot:
        mv.set_matrix(values, name="W1")  # > 100,000 cells: compact automatically
        await pilot.pause()
        assert mv.compact and mv.cell_width == 1
        text = lines(mv)
        for word in ("W1 784×256", "min", "max", "mean", "std"):
            assert word in text[0]
        assert f"max {values.max():.4g}" in text[0]
        assert "10" in text[1].split()
        row = mv.render_line(3)
        assert row.text.split()[0] == "1"
        assert all(seg.style.bgcolor is not None for seg in list(row)[1:] if seg.text.strip() == "")


async def test_matrix_view_compact_ascii_uses_sign_and_ramp():
    mv = MatrixView(mode="ascii", compact=True)
    async with WidgetApp(mv).run_test(size=(40, 8)) as pilot:
        mv.set_matrix(np.array([[-1.0, -0.05, 0.0, 0.5, 1.0, np.nan]]), name="v")
        await pilot.pause()
        text = lines(mv)
        assert "v 1x6" in text[0]
        assert text[2][mv.gutter_width:].startswith("-@-   +*+@  ")
        assert "\u2580" not in "".join(text)


async def test_matrix_view_set_matrix_edge_cases():
    mv = MatrixView(mode="color")
    async with WidgetApp(mv).run_test(size=(40, 8)) as pilot:
        assert mv.set_matrix(np.array([1.0, -2.0]), name="b")
        assert mv.values.shape == (1, 2)
        assert not mv.set_matrix(np.array([1.0, -2.0]), name="b")  # unchanged: no refresh
        unmounted = MatrixView()
        unmounted.set_matrix(np.ones((3, 3)))
        unmounted.move_cursor(2, 2)  # before mount: just remembered
        assert unmounted.cursor == (2, 2)
        mv.set_matrix(np.zeros((0, 5)), name="empty")
        mv.move_cursor(3, 3)  # nothing to select: no crash
        await pilot.pause()
        assert "empty (empty)" in lines(mv)[0]
        mv.set_matrix(np.full((2, 2), np.nan), name="bad")
        mv.highlight_rows([1])
        await pilot.pause()
        assert "no finite values" in lines(mv)[0]
        assert lines(mv)[3].split() == ["1", "nan", "nan"]
