"""Compare mode: two networks trained side by side on the same data, seed and batches."""
import os
import time

import numpy as np
import pytest

from engine.presets import get
from helpers import screen_text
from mlp_tui.cli import build_parser, main
from mlp_tui.compare_app import CompareApp
from mlp_tui.compare_cli import side_configs, split_spec
from mlp_tui.compare_session import CompareSession, build_pair
from mlp_tui.options import DashboardOptions
from test_terminal import quit_and_close, read_until, screen_showing, spawn_dashboard

XOR_3_50 = ["compare", "--preset", "xor-2-3-2", "--a", "hidden=3", "--b", "hidden=50"]


def configs(*argv):
    return side_configs(build_parser().parse_args(list(argv)))


# ----- the command line -----------------------------------------------------------------------------

def test_the_sides_differ_only_in_what_a_and_b_say():
    a, b = configs(*XOR_3_50)
    base = get("xor-2-3-2").config
    assert a == base.replace(hidden=(3,)) and b == base.replace(hidden=(50,))


def test_several_fields_by_commas_or_repeated_flags_and_the_shared_flags_apply_to_both():
    a, b = configs("compare", "--lr", "0.2", "--a", "hidden=16,16,activation=relu", "--a", "batch_size=full",
                   "--b", "preset:xor-2-3-2")
    assert (a.hidden, a.activation, a.batch_size, a.lr) == ((16, 16), "relu", "full", 0.2)
    assert (b.dataset, b.hidden, b.lr) == ("xor", (3,), 0.2)  # the preset, then the shared --lr
    assert split_spec("hidden=16,16,lr=0.1") == ["hidden=16,16", "lr=0.1"]


def test_a_settings_file_for_one_side(tmp_path):
    path = tmp_path / "lesson.toml"
    path.write_text("hidden = [4]\nlr = 0.5\n")
    a, b = configs("compare", "--a", f"{path},seed=3", "--b", "lr=0.1")
    assert (a.hidden, a.lr, a.seed) == ((4,), 0.5, 3) and b.lr == 0.1


@pytest.mark.parametrize("argv, words", [
    (["--a", "hiden=3"], "--a: unknown setting 'hiden' (did you mean hidden?)"),
    (["--a", "hidden=3", "--b", "lr=abc"], "--b: Learning rate: must be a number"),
    (["--b", "hidden"], "--b: 'hidden' is not field=value"),
    (["--a", "preset:nope"], "--a: preset: must be one of moons"),
    (["--a", "single_output=true,output=softmax"], "--a: Single output"),
    ([], "compare needs --a or --b"),
])
def test_a_bad_side_is_one_line_naming_the_flag_and_the_field(capsys, argv, words):
    assert main(["compare", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlp-tui: error: ") and words in err and err.count("\n") == 1


def test_a_missing_side_file_names_the_flag_and_the_file(capsys, tmp_path):
    assert main(["compare", "--a", str(tmp_path / "nope.toml")]) == 1
    assert f"mlp-tui: error: --a: {tmp_path / 'nope.toml'}: no such file" in capsys.readouterr().err


def test_compare_help_documents_the_sides_with_examples(capsys):
    assert main(["compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--a SPEC" in out and "mlp-tui compare --preset xor-2-3-2 --a hidden=3 --b hidden=50" in out


# ----- same data, same batches, lockstep -----------------------------------------------------------

def test_both_trainers_consume_identical_batches():
    run_a, run_b = build_pair(*configs("compare", "--samples", "100", "--batch-size", "16",
                                       "--a", "hidden=3", "--b", "hidden=50"))
    assert run_a.data is run_b.data
    seen = {0: [], 1: []}
    for i, trainer in enumerate((run_a.trainer, run_b.trainer)):
        original = trainer._forward_backward
        trainer._forward_backward = lambda xb, Yb, i=i, f=original: (seen[i].append(xb.copy()), f(xb, Yb))[1]
    session = CompareSession((run_a, run_b))
    session.step(12)  # more than one epoch of 80 training rows: the reshuffle too
    assert len(seen[0]) == len(seen[1]) == 12
    assert all(np.array_equal(x, y) for x, y in zip(seen[0], seen[1]))
    assert not all(np.array_equal(x, y) for x, y in zip(seen[0][:5], seen[0][5:10]))  # truly shuffled


def test_a_diverged_network_drops_out_while_the_other_trains_on():
    a, b = configs("compare", "--preset", "lr-too-high", "--b", "lr=0.5")
    session = CompareSession(build_pair(a, b))
    session.step(5)
    snap_a, snap_b = session.snapshot()
    assert snap_a.divergence is not None and snap_a.step < 5
    assert snap_b.divergence is None and snap_b.step == 5


@pytest.fixture
def compare_app():
    apps = []

    def factory(*argv):
        app = CompareApp(CompareSession(build_pair(*configs(*argv))), DashboardOptions(color="color"))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.session.shutdown()


async def test_s_steps_both_networks_once(compare_app):
    app = compare_app(*XOR_3_50)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        assert [s.step for s in app.session.snapshot()] == [1, 1]
        await pilot.press("s", "s")
        assert [s.step for s in app.session.snapshot()] == [3, 3]
        assert "one step of both: A step 3, B step 3" in screen_text(app)
        await pilot.press("plus")  # one shared pace: the single worker's rate
        assert app.session.controller.rate == 50 and "50 steps/s" in screen_text(app)


# ----- the screen --------------------------------------------------------------------------------

def visible(widget) -> bool:
    return widget.display and widget.region.width > 0 and widget.region.height > 0


async def test_at_120x40_both_boundaries_the_shared_chart_and_the_settings_show(compare_app):
    app = compare_app(*XOR_3_50)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(3)
        app.poll(force=True)
        await pilot.pause()
        assert all(visible(b) for b in app.boundaries) and visible(app.chart) and visible(app.inspector)
        text = screen_text(app)
        for words in ("A: 2-3-2 sigmoid", "B: 2-50-2 sigmoid", "A train loss", "B train loss",
                      "A: hidden 3  B: hidden 50", "20 steps/s"):
            assert words in text, words
        left, right = (b.region for b in app.boundaries)
        assert left.y == right.y and left.right <= right.x  # side by side


async def test_at_80x24_one_boundary_beside_the_chart_and_tab_shows_the_other(compare_app):
    app = compare_app(*XOR_3_50)
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.step(3)
        app.poll(force=True)
        await pilot.pause()
        a, b = app.boundaries
        assert visible(a) and not visible(b) and visible(app.chart) and not visible(app.inspector)
        assert "A train loss" in screen_text(app) and "A: 2-3-2" in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        assert visible(b) and not visible(a) and "B: 2-50-2" in screen_text(app)
        await pilot.press("n")  # the inspector takes the chart's place
        assert visible(app.inspector) and not visible(app.chart)
        await pilot.press("escape")
        assert visible(app.chart) and not visible(app.inspector)


async def test_the_inspector_on_b_shows_bs_sizes_and_walks_bs_step(compare_app):
    app = compare_app(*XOR_3_50)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "W1: 2x3" in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        assert "W1: 2x50" in screen_text(app) and "Inspector: B (2-50-2)" in screen_text(app)
        await pilot.press("n", "n")  # one traced step of both; B's walk at a1
        assert app.inspector.trace is app.traces[1] and app.inspector.current.value.shape == (1, 50)
        assert [t.step_count for t in app.session.lockstep.trainers] == [1, 1]  # both took it
        await pilot.press("tab")  # the same step, A's trace, at the same stage
        assert app.inspector.trace is app.traces[0] and app.inspector.current.value.shape == (1, 3)
        app.set_focus(None)  # with the inspector focused, [ ] page its operands instead
        await pilot.press("right_square_bracket")  # A's first hidden neuron's map
        assert "neuron a1[:, 0]" in screen_text(app) and app.boundaries[1].neuron is None


# ----- a real terminal -----------------------------------------------------------------------------

@pytest.mark.parametrize("size, wanted", [((120, 40), ("A train loss", "B train loss", "Inspector: B (2-50-2)")),
                                          ((80, 24), ("B: 2-50-2", "Inspector: B (2-50-2)"))])
def test_a_real_terminal_compare_session_starts_trains_and_quits_cleanly(tmp_path, size, wanted):
    proc, master = spawn_dashboard(tmp_path, *XOR_3_50, size=size)
    seen = bytearray()
    try:
        assert read_until(master, b"B: hidden 50", seen, 60), seen[-2000:].decode(errors="replace")
        for key in (b" ", b"+", b" ", b"s", b"\t", b"n"):
            os.write(master, key)
            time.sleep(0.3)
        screen = screen_showing(master, seen, size, wanted, timeout=20)
        assert all(w in screen for w in wanted), screen
    finally:
        quit_and_close(proc, master, seen)
    assert proc.returncode == 0 and b"Traceback" not in seen
