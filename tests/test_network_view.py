"""The network view: boxes per neuron, edges by weight sign, selection, highlight, ASCII mode,
non-2-D data, and the maps it is fed (mlp_tui.network_maps).

Like tests/test_widgets_render.py: the widget is mounted alone in a tiny App and read back
through ``render_line``; the colour mode is always explicit.
"""
import numpy as np
import pytest
from textual.app import App

import engine
from engine import datasets
from engine.datasets import Dataset
from mlp_tui import palette as pal
from mlp_tui.network_maps import network_view_args
from mlp_tui.widgets.heatmap import HALF
from mlp_tui.widgets.network_view import EDGE_GLYPHS, NetworkView


class ViewApp(App):
    """Composes one NetworkView and records the neurons it reports."""

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.selected = []

    def compose(self):
        yield self.view

    def on_network_view_neuron_selected(self, message):
        self.selected.append(message.neuron)


def lines(view):
    return [view.render_line(y).text for y in range(view.size.height)]


def cells(view, y):
    """(x, character, style) of every cell of row y."""
    out, x = [], 0
    for seg in view.render_line(y):
        for ch in seg.text:
            out.append((x, ch, seg.style))
            x += 1
    return out


def boxes(text):
    """Top-left corners (x, y) of the half-block boxes on screen, by column then row."""
    found = [(x, y) for y, row in enumerate(text) for x, ch in enumerate(row)
             if ch == HALF and (x == 0 or row[x - 1] != HALF) and (y == 0 or text[y - 1][x] != HALF)]
    return sorted(found)


def columns_of(corners):
    by_x = {}
    for x, y in corners:
        by_x.setdefault(x, []).append(y)
    return [by_x[x] for x in sorted(by_x)]


def moons_view_args(sizes, seed=0):
    data = datasets.load("moons", n_samples=100, seed=0)
    net = engine.Network(sizes, activation="tanh", output="softmax", seed=seed)
    return net, data, network_view_args(net, data)


def signed_args(sign1, sign2):
    """A 2-3-2 network whose first layer's weights all have sign1 and second layer's sign2."""
    net = engine.Network([2, 3, 2], seed=0)
    net.layers[0].W[...] = sign1 * np.abs(net.layers[0].W) + sign1 * 0.5
    net.layers[1].W[...] = sign2 * np.abs(net.layers[1].W) + sign2 * 0.5
    return network_view_args(net, datasets.load("moons", n_samples=50, seed=0))


def gap_cells(view, left, right):
    """Edge cells strictly between two columns of the current plan."""
    layout = view.plan()
    lo = layout.columns[left].x + layout.columns[left].width
    hi = layout.columns[right].x - 1
    return [(ch, style) for y in range(1, view.size.height) for x, ch, style in cells(view, y) if lo <= x < hi]


# --------------------------------------------------------------------------- boxes and labels
async def test_small_net_draws_a_box_per_neuron_and_labels():
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        _, _, args = moons_view_args([2, 3, 2])
        assert view.show(**args)
        await pilot.pause()
        text = lines(view)
        assert [len(c) for c in columns_of(boxes(text))] == [3, 2]
        screen = "\n".join(text)
        for word in ("x0", "x1", "h1 tanh", "out softmax"):
            assert word in screen
        assert "more" not in screen


async def test_wide_layers_are_summarised_with_plus_n_more():
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(120, 40)) as pilot:
        _, _, args = moons_view_args([2, 16, 16, 2])
        view.show(**args)
        await pilot.pause()
        text = lines(view)
        # 39 rows under the header hold 8 slots of a 4-row box and a blank row:
        # 7 boxes and the label of the 9 others, in both hidden layers.
        assert [len(c) for c in columns_of(boxes(text))] == [7, 7, 2]
        assert "\n".join(text).count("+9 more") == 2


async def test_tiny_widget_does_not_crash():
    view = NetworkView(mode="color")
    view.styles.min_height = 0
    async with ViewApp(view).run_test(size=(10, 3)) as pilot:
        _, _, args = moons_view_args([2, 16, 16, 2])
        view.show(**args)
        await pilot.pause()
        assert [len(t) for t in lines(view)] == [10, 10, 10]


# --------------------------------------------------------------------------- edges
@pytest.mark.parametrize("signs", [(1, -1), (-1, 1)])
async def test_edge_colour_follows_weight_sign(signs):
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        view.show(**signed_args(*signs))
        await pilot.pause()
        for (left, right), sign in zip(((0, 1), (1, 2)), signs):
            edges = [style.color.get_truecolor() for ch, style in gap_cells(view, left, right) if ch in EDGE_GLYPHS]
            assert edges
            # orange (red > blue) for positive weights, blue for negative, as in the matrix view
            assert all((c.red > c.blue) == (sign > 0) for c in edges)


async def test_ascii_edges_use_plus_and_minus_by_sign():
    view = NetworkView(mode="ascii")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        view.show(**signed_args(1, -1))
        await pilot.pause()
        first = {ch for ch, _ in gap_cells(view, 0, 1)}
        second = {ch for ch, _ in gap_cells(view, 1, 2)}
        assert "+" in first and "-" not in first
        assert "-" in second and "+" not in second


# --------------------------------------------------------------------------- selection and highlight
async def test_arrow_keys_select_neurons_and_enter_backspace_return_to_output():
    view = NetworkView(mode="color")
    app = ViewApp(view)
    async with app.run_test(size=(80, 20)) as pilot:
        _, _, args = moons_view_args([2, 3, 2])
        view.show(**args)
        view.focus()
        await pilot.press("down", "down", "right", "right", "down")
        await pilot.pause()
        assert app.selected == [(1, 0), (1, 1), (2, 1)]  # right and down at the edges: no move
        assert view.selected == (2, 1)
        x, y = columns_of_corner(view, layer=2, unit=1)
        assert cells(view, y)[x - 1][1] == "▶"
        await pilot.press("enter", "enter", "backspace")
        await pilot.pause()
        assert app.selected[3:] == [None, (2, 1), None]
        assert view.selected is None
        assert "▶" not in "".join(lines(view))


def columns_of_corner(view, layer, unit):
    """Screen corner of a neuron's box, found on screen (layer 1 is the first box column)."""
    cols = columns_of(boxes(lines(view)))
    x = sorted({x for x, _ in boxes(lines(view))})[layer - 1]
    return x, cols[layer - 1][unit]


async def test_click_selects_a_box_and_clicking_it_again_returns_to_output():
    view = NetworkView(mode="color")
    app = ViewApp(view)
    async with app.run_test(size=(80, 20)) as pilot:
        _, _, args = moons_view_args([2, 3, 2])
        view.show(**args)
        await pilot.pause()
        x, y = columns_of_corner(view, layer=1, unit=2)
        await pilot.click(NetworkView, offset=(x + 3, y + 1))
        await pilot.pause()
        assert app.selected == [(1, 2)] and view.selected == (1, 2)
        await pilot.click(NetworkView, offset=(x + 3, y + 1))
        await pilot.click(NetworkView, offset=(0, 0))  # the header: nothing there
        await pilot.pause()
        assert app.selected == [(1, 2), None]


async def test_highlight_layer_marks_its_header():
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        _, _, args = moons_view_args([2, 3, 2])
        view.show(**args)
        await pilot.pause()
        assert "[" not in view.render_line(0).text
        view.highlight_layer = 2
        await pilot.pause()
        header = cells(view, 0)
        text = "".join(ch for _, ch, _ in header)
        assert "[out softmax]" in text and "h1 tanh" in text and "[h1" not in text
        at = text.index("[out")
        assert header[at + 1][2].reverse and not header[text.index("h1")][2].reverse


# --------------------------------------------------------------------------- modes and data
async def test_ascii_mode_uses_the_ramp_and_no_colours():
    view = NetworkView(mode="ascii")
    async with ViewApp(view).run_test(size=(120, 40)) as pilot:
        _, _, args = moons_view_args([2, 16, 16, 2])
        view.show(**args)
        await pilot.pause()
        text = lines(view)
        assert HALF not in "".join(text)
        base = view.rich_style
        for y in range(len(text)):
            for seg in view.render_line(y):
                assert seg.style.color == base.color and seg.style.bgcolor == base.bgcolor
        layout = view.plan()
        col = layout.columns[1]
        bw, bh = layout.box
        box = [text[y][col.x:col.x + bw] for y in range(col.rows[0], col.rows[0] + bh)]
        assert set("".join(box)) <= set(pal.RAMP) and len(set("".join(box))) > 1
        assert "+9 more" in "\n".join(text)


def digits_like(n_features=64, n_classes=10):
    rng = np.random.default_rng(0)
    X, y = rng.random((40, n_features)), np.arange(40) % n_classes
    return Dataset(X, y, X, y, n_classes, [f"p{i}" for i in range(n_features)], "digits-like")


async def test_non_2d_data_shows_one_shade_per_neuron():
    data = digits_like()
    net = engine.Network([64, 5, 10], activation="sigmoid", output="softmax", seed=2)
    args = network_view_args(net, data)
    assert [m.shape for m in args["maps"]] == [(5, 1, 1), (10, 1, 1)]
    np.testing.assert_allclose(args["maps"][0][:, 0, 0], net.activations(data.X_test)[1].mean(axis=0))
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(100, 30)) as pilot:
        view.show(**args)
        await pilot.pause()
        text = lines(view)
        # 29 rows under the header: 6 slots of 5 rows, so 5 inputs and "+59 more"
        assert "+59 more" in "\n".join(text)
        layout = view.plan()
        bw, bh = layout.box
        for col in layout.columns[1:]:
            for top in col.rows:
                styles = {style for y in range(top, top + bh) for x, _, style in cells(view, y)
                          if col.x <= x < col.x + bw}
                assert len(styles) == 1


def test_maps_for_2d_data_are_activations_over_the_data_extent():
    net, data, args = moons_view_args([2, 4, 2], seed=5)
    xmin, xmax, ymin, ymax = data.extent
    W, b = net.layers[0].W, net.layers[0].b
    maps = args["maps"]
    assert [m.shape for m in maps] == [(4, 8, 8), (2, 8, 8)]
    np.testing.assert_allclose(maps[0][:, 0, 0], np.tanh(np.array([xmin, ymax]) @ W + b))  # top left
    np.testing.assert_allclose(maps[0][:, -1, -1], np.tanh(np.array([xmax, ymin]) @ W + b))  # bottom right
    np.testing.assert_allclose(maps[1].sum(axis=0), 1.0)  # softmax outputs sum to one everywhere
    assert args["activations"] == ["tanh", "softmax"]


async def test_bad_input_names_the_argument_and_keeps_the_picture():
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        _, _, args = moons_view_args([2, 3, 2])
        view.show(**args)
        await pilot.pause()
        before = lines(view)
        bad = dict(args, weights=[args["weights"][0], np.zeros((2, 3))])
        with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(3, 2\)"):
            view.show(**bad)
        with pytest.raises(ValueError, match=r"maps\[0\]"):
            view.show(**dict(args, maps=[np.zeros((2, 8, 8)), args["maps"][1]]))
        with pytest.raises(ValueError, match="activations must have one entry per layer"):
            view.show(**dict(args, activations=["tanh"]))
        with pytest.raises(ValueError, match="sizes must be a list of layer widths"):
            view.show(**dict(args, sizes=None))
        await pilot.pause()
        assert lines(view) == before


async def test_show_repaints_only_when_the_quantised_picture_changes():
    view = NetworkView(mode="color")
    async with ViewApp(view).run_test(size=(80, 20)) as pilot:
        net, data, args = moons_view_args([2, 3, 2])
        assert view.show(**args)
        assert not view.show(**network_view_args(net, data))
        net.layers[0].W[...] += 1e-9  # far below one colour level
        assert not view.show(**network_view_args(net, data))
        net.layers[1].W[0, 0] *= -1
        assert view.show(**network_view_args(net, data))
        await pilot.pause()
