"""The inspector's operand strip (the row, column and cells behind the selected cell) and the
position of a matrix cut by the panel."""
import re

import pytest

from helpers import screen_text
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.matrix_view import MatrixView, format_value
from mlp_tui.widgets.operands import VALUE_WIDTH, OperandStrip


async def walk_to(pilot, inspector, name):
    await pilot.press("n")
    for _ in range(inspector.trace.names.index(name)):
        await pilot.press("n")
    assert inspector.current.name == name


async def select(pilot, app, row, col):
    matrix = app.query_one(MatrixView)
    matrix.focus()
    for _ in range(row):
        await pilot.press("down")
    for _ in range(col):
        await pilot.press("right")
    await pilot.pause()
    assert matrix.cursor == (row, col)


def squeeze(text):
    """Runs of blanks as one: the screenshot export does not keep every blank."""
    return " ".join(text.split())


def no_blanks(text):
    """A label and a single cell's value: the export drops the blank between them."""
    return "".join(text.split())


def shown(values, marks=""):
    """The numbers as the strip prints them (blanks squeezed), each between its marks (ASCII: brackets)."""
    return " ".join(f"{marks[:1]}{format_value(float(v), VALUE_WIDTH)}{marks[1:]}" for v in values)


def line_with(text, label):
    return squeeze(next(line for line in text.splitlines() if label in line))


def reversed_spans(app):
    """The parts of the strip drawn in reverse video (the marks in colour mode)."""
    strip = app.query_one(OperandStrip)
    rendered = strip.render()
    return [rendered.plain[s.start:s.end] for s in rendered.spans if "reverse" in str(s.style)]


async def test_z_shows_the_row_of_a_the_column_of_W_and_the_bias_marked(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        inspector.use_batch = True
        await walk_to(pilot, inspector, "z1")
        await select(pilot, app, 3, 2)
        trace, text = inspector.trace, screen_text(app)
        assert shown(trace["a0"][3]) in line_with(text, "a0[3,:]")
        assert shown(trace["W1"][:, 2]) in line_with(text, "W1[:,2]")
        assert "b1[2]" + shown(trace["b1"][2:3]) in no_blanks(text)
        marked = reversed_spans(app)
        expected = [*trace["a0"][3], *trace["W1"][:, 2], trace["b1"][2]]
        assert [float(m) for m in marked] == pytest.approx([float(format_value(v, VALUE_WIDTH)) for v in expected])
        await pilot.press("left")  # another column of W1, the same row of a0
        assert shown(trace["W1"][:, 1]) in line_with(screen_text(app), "W1[:,1]")


async def test_dW_shows_a_column_of_a_and_a_column_of_dz(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        inspector.use_batch = True
        await walk_to(pilot, inspector, "dW2")
        await select(pilot, app, 2, 1)
        trace, text = inspector.trace, screen_text(app)
        a_line, dz_line = line_with(text, "a1[:,2]"), line_with(text, "dz2[:,1]")
        assert shown(trace["a1"][:, 2]) in a_line and shown(trace["dz2"][:, 1]) in dz_line
        # the product's terms stand one above the other: sample r's a1 over sample r's dz2
        a_row, dz_row = app.query_one(OperandStrip).render().plain.splitlines()[:2]
        a_words, dz_words = (list(re.finditer(r"\S+", row))[1:] for row in (a_row, dz_row))
        assert [m.end() for m in a_words] == [m.end() for m in dz_words]
        assert [m.group() for m in a_words] == [format_value(float(v), VALUE_WIDTH) for v in trace["a1"][:, 2]]
        assert "W2[2,1]" in text  # the preset's l2 penalty uses the weight too


async def test_da_and_elementwise_stages(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "da1")
        await select(pilot, app, 0, 2)
        trace, text = inspector.trace, screen_text(app)
        assert shown(trace["dz2"][0]) in line_with(text, "dz2[0,:]")
        assert shown(trace["W2"][2]) in line_with(text, "W2[2,:]")
        await pilot.press("n")  # dz1 = da1 * sigmoid'(z1): the same cell of each operand
        text = screen_text(app)
        for name in ("da1", "z1", "a1"):
            assert f"{name}[0,2]" + shown(trace[name][0, 2:3]) in no_blanks(text)


async def test_a_wide_matrix_scrolls_and_says_which_columns_show(app_factory):
    app = app_factory(preset="moons")  # 16 hidden units: z1 is 1x16, wider than the panel
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "z1")
        text = screen_text(app)
        assert re.search(r"cols 0-\d+ of 16 \u2192", text) and "\u2190" not in text
        await select(pilot, app, 0, 12)
        text = screen_text(app)
        first, last = map(int, re.search(r"cols (\d+)-(\d+) of 16", text).groups())
        assert first <= 12 <= last and first > 0
        assert format_value(float(inspector.trace["z1"][0, 12]), 8) in text
        await pilot.press("n", "n")  # z2 = a1 @ W2 + b2: a1's row of 16 is cut too, and says so
        assert re.search(r"a1\[0,:\].*cols 0-\d+ of 16 \u2192", screen_text(app))


async def test_a_tall_matrix_says_which_rows_show(app_factory):
    app = app_factory(preset="moons")  # a mini-batch of 32: z1 is 32x16
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        inspector.use_batch = True
        await walk_to(pilot, inspector, "z1")
        assert re.search(r"cols 0-\d+ of 16 \u2192  rows 0-\d+ of 32 \u2193", screen_text(app))
        await select(pilot, app, 25, 0)
        first, last = map(int, re.search(r"rows (\d+)-(\d+) of 32 \u2191 \u2193", screen_text(app)).groups())
        assert 0 < first <= 25 <= last < 31
        assert "a0[25,:] " + shown(inspector.trace["a0"][25]) in squeeze(screen_text(app))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_ascii_marks_the_operands_with_brackets(app_factory, size):
    app = app_factory(preset="moons", color="ascii")
    async with app.run_test(size=size) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "z2")
        await select(pilot, app, 0, 5)
        trace, text = inspector.trace, screen_text(app)
        assert shown(trace["W2"][:2, 5], "[]") in line_with(text, "W2[:,5]")
        assert "b2[5]" + shown(trace["b2"][5:6], "[]") in no_blanks(text)
        assert re.search(r"W2\[:,5\].*rows 0-\d+ of 16 ->", text)
        assert reversed_spans(app) == []  # legible without colour: no reverse video
        for _ in range(10):
            await pilot.press("right")
        assert re.search(r"cols \d+-15 of 16 <-", screen_text(app))


async def test_no_operands_in_weights_mode_or_on_the_loss(app_factory):
    app = app_factory(preset="xor-2-3-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        strip = app.query_one(OperandStrip)
        assert not strip.has_class("-shown")
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "loss")
        assert not strip.has_class("-shown")
        await pilot.press("n")
        assert strip.has_class("-shown") and "a2[0,0]" in screen_text(app)


async def test_brackets_scroll_a_cut_operand_row(app_factory):
    app = app_factory(preset="moons")
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "z2")
        await select(pilot, app, 0, 3)
        first_page = re.search(r"a1\[0,:\].*cols 0-(\d+) of 16 \u2192", screen_text(app))
        last = int(first_page.group(1))
        await pilot.press("right_square_bracket")
        text = screen_text(app)
        assert re.search(rf"a1\[0,:\].*cols {last + 1}-\d+ of 16 \u2190", text)
        a1, W2 = inspector.trace["a1"][0], inspector.trace["W2"][:, 3]
        assert shown(a1[last + 1:last + 3]) in line_with(text, "a1[0,:]")
        assert shown(W2[last + 1:last + 3]) in line_with(text, "W2[:,3]")  # still term by term
        for _ in range(5):  # past the end: the last entries stay on screen
            await pilot.press("right_square_bracket")
        assert re.search(r"a1\[0,:\].*cols \d+-15 of 16 \u2190(?! \u2192)", screen_text(app))
        await pilot.press(*["left_square_bracket"] * 3)
        assert re.search(r"a1\[0,:\].*cols 0-\d+ of 16 \u2192", screen_text(app))
