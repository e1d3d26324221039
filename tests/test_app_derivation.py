"""The key d on the inspector's output-delta stage: the chain-rule derivation on screen."""
from engine.derivation import derive_output_delta
from helpers import screen_text
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.matrix_view import MatrixView


async def walk_to(pilot, inspector, name):
    await pilot.press("n")
    for _ in range(inspector.trace.names.index(name)):
        await pilot.press("n")
    assert inspector.current.name == name


async def test_d_derives_the_selected_output_delta_cell(app_factory):
    app = app_factory(preset="moons-2-5-2")  # sigmoid hidden layer, softmax + cross-entropy
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await pilot.press("d")  # nothing to derive yet: the status line says where d applies
        assert "output layer's delta" in app.status_text and inspector.trace is None
        await walk_to(pilot, inspector, "loss")
        assert "Derive" not in screen_text(app)  # the footer offers d on dz2 only
        await pilot.press("d")
        assert "walk to dz2" in app.status_text and not inspector.derive

        await pilot.press("n")
        assert inspector.current.name == "dz2" and "Derive" in screen_text(app)
        await pilot.press("d")
        text = screen_text(app)
        lines = derive_output_delta(inspector.trace, (0, 0))
        assert "dz2[0,0] by the chain rule" in text
        for line in lines[:4]:  # dL/da2[0,k] and da2[0,k]/dz2[0,0]: each fits on one screen row
            assert line in text
        assert lines[-1].startswith("dz2[0,0] = (a2[0,0] - Y[0,0]) / n") and lines[-1] in text
        assert "3 Decision boundary" not in text  # the inspector took the boundary's place

        matrix = app.query_one(MatrixView)
        matrix.focus()
        await pilot.press("right")  # the other output unit: the derivation follows the cursor
        text = screen_text(app)
        assert "dz2[0,1] by the chain rule" in text
        assert derive_output_delta(inspector.trace, (0, 1))[2] in text

        await pilot.press("n")  # another stage: its one-line explanation, the layout restored
        text = screen_text(app)
        assert "dz2[0,1] by the chain rule" not in text and "3 Decision boundary" in text
        assert inspector.explanation() == inspector.trace.explain("dW2", matrix.cursor)
        await pilot.press("p")  # back on dz2 the derivation returns; d folds it again
        assert "dz2[0,1] by the chain rule" in screen_text(app)
        await pilot.press("d")
        assert "dz2[0,1] by the chain rule" not in screen_text(app)
        assert inspector.explanation() == inspector.trace.explain("dz2", (0, 1))


async def test_squared_error_derivation_says_there_is_no_shortcut(app_factory):
    app = app_factory(preset="xor-2-3-2")  # sigmoid output, squared error
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "dz2")
        await pilot.press("d")
        text = screen_text(app)
        product = derive_output_delta(inspector.trace, (0, 0))[-1]
        assert product.startswith("dz2[0,0] = dL/da2[0,0] * da2[0,0]/dz2[0,0] = ") and product in text
        assert "it does not reduce to (a2 - Y)/n" in text


async def test_compact_layout_keeps_every_panel_reachable_while_deriving(app_factory):
    app = app_factory(preset="moons-2-5-2")
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = app.query_one(InspectorPanel)
        await walk_to(pilot, inspector, "dz2")  # the first n brings the inspector into view
        await pilot.press("d")
        product = derive_output_delta(inspector.trace, (0, 0))[-1]
        assert "dz2[0,0] by the chain rule" in screen_text(app) and product in screen_text(app)
        await pilot.press("3")  # the boundary panel yields its place only in the wide layout
        assert "moons: predicted class" in screen_text(app)
        await pilot.press("4")
        assert "dz2[0,0] by the chain rule" in screen_text(app)
