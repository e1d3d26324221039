"""Teacher controls: --lock, --hide, --files DIR and --no-files, on the command line, in a
settings file, and in the dashboard as a student meets them."""

import numpy as np
import pytest
from textual.widgets import Input, Select

from engine import config as cfg
from engine import presets
from helpers import screen_text
from mlp_tui.app import MlpApp
from mlp_tui.cli import build_parser, dashboard_options, main
from mlp_tui.options import DashboardOptions
from mlp_tui.session import Session
from mlp_tui.settings_file import ConfigFileError, load_config, load_dashboard_settings
from mlp_tui.teacher import FileNameError, FilePolicy
from mlp_tui.widgets.locks import LOCK_MARK

SIZE = (120, 40)


def footer(app) -> str:
    """The footer's line of keys."""
    return next(line for line in screen_text(app).splitlines() if "Quit" in line)


@pytest.fixture
def teacher_app():
    apps = []

    def factory(preset="moons", **options):
        config = presets.get(preset).config
        app = MlpApp(Session(cfg.build(config)), DashboardOptions(color="ascii", speed=None, **options))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.session.shutdown()


# ----------------------------------------------------------------------------------- command line


def test_flags_reach_the_dashboard_options(tmp_path):
    args = build_parser().parse_args(["--lock", "lr,batch-size", "--hide", "network,inspector",
                                      "--files", str(tmp_path)])
    options = dashboard_options(args)
    assert options.locked == {"lr", "batch_size"}
    assert options.hidden == {"network", "inspector"}
    assert options.files == str(tmp_path.resolve()) and not options.files_off
    assert dashboard_options(build_parser().parse_args(["--no-files"])).files_off


@pytest.mark.parametrize("argv, words", [
    (["--lock", "lr,learning"], ["--lock", "'learning'", "lr", "batch_size", "preset"]),
    (["--hide", "chart"], ["--hide", "'chart'", "form", "metrics", "boundary", "inspector", "network"]),
    (["--hide", "form,metrics,boundary,inspector,network"], ["--hide", "every panel"]),
    (["--files", "no-such-folder"], ["--files", "no such folder"]),
    (["--files", ".", "--no-files"], ["--no-files", "--files"]),
])
def test_bad_teacher_flags_exit_2_with_one_line(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mlp-tui: error: ")
    for word in words:
        assert word in err


def test_a_lesson_file_locks_and_hides_and_the_flags_add_to_it(tmp_path):
    lesson = tmp_path / "lesson.toml"
    lesson.write_text('dataset = "xor"\nlr = 0.5\nlock = ["lr", "hidden"]\nhide = "network"\n')
    assert load_dashboard_settings(lesson) == {"lock": {"lr", "hidden"}, "hide": {"network"}}
    assert load_config(lesson).lr == 0.5  # the run's settings ignore the dashboard keys
    options = dashboard_options(build_parser().parse_args(["--config", str(lesson), "--lock", "seed"]))
    assert options.locked == {"lr", "hidden", "seed"} and options.hidden == {"network"}


def test_a_lesson_file_with_an_unknown_field_names_file_key_and_field(tmp_path):
    lesson = tmp_path / "lesson.toml"
    lesson.write_text('lock = ["lr", "speed"]\n')
    with pytest.raises(ConfigFileError) as e:
        load_dashboard_settings(lesson)
    assert str(lesson) in str(e.value) and "lock" in str(e.value) and "'speed'" in str(e.value)


# ----------------------------------------------------------------------------------- file names


@pytest.fixture
def folder(tmp_path):
    inside = tmp_path / "class"
    inside.mkdir()
    return inside


@pytest.mark.parametrize("typed", ["../x.npz", "/etc/x", "sub/x.npz", "..", ".hidden.npz", "~root", "a\\b"])
def test_confined_files_take_names_only(folder, typed):
    with pytest.raises(FileNameError) as e:
        FilePolicy(str(folder)).path(typed)
    assert str(folder) not in str(e.value) and typed[:40] in str(e.value)


def test_confined_files_refuse_a_link_out_of_the_folder_and_keep_one_inside(folder, tmp_path):
    (tmp_path / "secret.npz").write_bytes(b"x")
    (folder / "out.npz").symlink_to(tmp_path / "secret.npz")
    (folder / "real.npz").write_bytes(b"x")
    (folder / "in.npz").symlink_to(folder / "real.npz")
    policy = FilePolicy(str(folder))
    with pytest.raises(FileNameError, match="links outside"):
        policy.path("out.npz")
    assert policy.path("in.npz") == str(folder / "in.npz")
    assert policy.path("run.npz") == str(folder / "run.npz")


# ----------------------------------------------------------------------------------- locked fields


async def test_a_locked_field_takes_no_focus_no_keys_and_shows_the_mark(teacher_app):
    app = teacher_app(locked=frozenset({"lr", "hidden"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        lr = app.form.query_one("#field-lr", Input)
        lr.focus()
        await pilot.click(lr)
        await pilot.press(*"0.5", "enter")
        await pilot.pause()
        assert app.focused is not lr and lr.value == "0.01" and app.session.config.lr == 0.01
        assert screen_text(app).count(LOCK_MARK) == 2
        assert app.focused is app.form.query_one("#field-dataset", Input)  # key 1: the first free field


async def test_a_locked_preset_chooser_is_disabled(teacher_app):
    app = teacher_app(locked=frozenset({"preset"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        assert app.form.query_one("#preset", Select).disabled
        assert LOCK_MARK in screen_text(app)


async def test_a_preset_keeps_the_locked_fields_at_the_teachers_values(teacher_app):
    app = teacher_app(locked=frozenset({"lr"}))
    async with app.run_test(size=SIZE) as pilot:
        app.form.query_one("#preset", Select).value = "xor-2-3-2"  # lr 5.0, hidden 3
        await pilot.pause()
        assert app.form.query_one("#field-lr", Input).value == "0.01"
        assert app.form.query_one("#field-hidden", Input).value == "3"
        assert "Learning rate" in app.status_text and "teacher" in app.status_text
        assert app.session.config.lr == 0.01  # not sent live either
        await pilot.press("1", "enter")  # Enter in a field applies the form
        await pilot.pause()
        assert app.session.config.lr == 0.01 and app.session.config.hidden == (3,)


async def test_a_checkpoint_that_changes_a_locked_field_is_not_loaded(teacher_app, tmp_path):
    other = cfg.build(presets.get("moons").config.replace(lr=0.2))
    from engine import checkpoint

    checkpoint.save(tmp_path / "other.npz", other.trainer, config=other.config)
    app = teacher_app(locked=frozenset({"lr"}))
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.net.params.copy()
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = str(tmp_path / "other.npz")
        await pilot.press("enter")
        assert "not loaded" in app.status_text and "Learning rate" in app.status_text
        assert app.session.config.lr == 0.01
        np.testing.assert_array_equal(app.session.net.params, before)


# ----------------------------------------------------------------------------------- hidden panels


async def test_hidden_panels_are_gone_with_their_keys(teacher_app):
    app = teacher_app(hidden=frozenset({"inspector", "network"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "4 Inspector" not in text and "5 Network" not in text and "Next stage" not in footer(app)
        assert "3 Decision boundary" in text
        await pilot.press("5")
        assert app.active_panel == 2 and "network panel is hidden" in app.status_text
        await pilot.press("n")
        assert app.inspector.trace is None and app.session.trainer.step_count == 0


async def test_hiding_the_form_shows_the_next_side_panel_and_hiding_the_boundary_opens_another(teacher_app):
    app = teacher_app(hidden=frozenset({"form", "boundary"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "1 Hyperparameters" not in text and "3 Decision boundary" not in text
        assert "4 Inspector" in text and app.active_panel != 2


async def test_a_hidden_boundary_leaves_the_metrics_the_whole_width_of_a_small_terminal(teacher_app):
    app = teacher_app(hidden=frozenset({"boundary"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.active_panel == 1 and app.metrics.region.width == 80


# ----------------------------------------------------------------------------------- files


async def save_as(pilot, typed: str) -> str:
    await pilot.press("ctrl+s")
    pilot.app.screen.query_one("#path", Input).value = typed
    await pilot.press("enter")
    return pilot.app.status_text


async def test_confined_save_and_load_by_name_inside_the_folder(teacher_app, folder, tmp_path):
    (tmp_path / "secret.npz").write_bytes(b"x")
    (folder / "link.npz").symlink_to(tmp_path / "secret.npz")
    app = teacher_app(files=str(folder))
    async with app.run_test(size=SIZE) as pilot:
        for typed in ("../x.npz", "/tmp/x.npz", "link.npz"):
            status = await save_as(pilot, typed)
            assert status.startswith("not saved: ") and str(tmp_path) not in status and "\n" not in status
        assert (tmp_path / "secret.npz").read_bytes() == b"x" and not (tmp_path / "x.npz").exists()
        await pilot.press("s")
        status = await save_as(pilot, "run.npz")
        assert status.startswith("checkpoint saved to run.npz") and str(tmp_path) not in status
        assert (folder / "run.npz").exists()
        status = await save_as(pilot, "lesson.toml")
        assert status == "settings written to lesson.toml" and (folder / "lesson.toml").exists()
        await pilot.press("r")
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = "run.npz"
        await pilot.press("enter")
        assert app.session.trainer.step_count == 1 and app.status_text.startswith("loaded run.npz")
        (folder / "broken.npz").write_bytes(b"not a checkpoint")
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = "broken.npz"
        await pilot.press("enter")
        assert "broken.npz" in app.status_text and str(tmp_path) not in app.status_text
        assert app.session.trainer.step_count == 1


async def test_confined_files_keep_dataset_and_weights_files_out_of_the_form(teacher_app, folder, tmp_path):
    (tmp_path / "data.csv").write_text("x,y,label\n0,0,0\n1,1,1\n0,1,1\n1,0,0\n")
    app = teacher_app(files=str(folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        app.form.query_one("#field-dataset", Input).value = str(tmp_path / "data.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "not applied" in app.status_text and "built-in datasets" in app.status_text
        assert app.session.config.dataset == "moons"


async def test_no_files_turns_save_and_load_off(teacher_app):
    app = teacher_app(files_off=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Save" not in footer(app) and "Load" not in footer(app)
        for key in ("ctrl+s", "ctrl+o"):
            await pilot.press(key)
            assert len(app.screen_stack) == 1 and "saving and loading are off" in app.status_text


async def test_the_ordinary_dashboard_still_saves_anywhere(teacher_app, tmp_path):
    app = teacher_app()
    async with app.run_test(size=SIZE) as pilot:
        status = await save_as(pilot, str(tmp_path / "run.npz"))
        assert status.startswith(f"checkpoint saved to {tmp_path / 'run.npz'}")
        assert "Save" in footer(app) and "Next stage" in footer(app)


async def test_help_and_the_first_status_line_say_what_the_class_turned_off(teacher_app):
    app = teacher_app(hidden=frozenset({"inspector"}), locked=frozenset({"lr", "preset"}), files_off=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "n to walk one step" not in app.status_text
        await pilot.press("question_mark")
        await pilot.pause()
        assert "In this class" in screen_text(app)
        text = str(app.screen.query_one("#class-rules").render())
        assert "hidden panels: inspector" in text
        assert "locked fields: Learning rate, preset" in text
        assert "ctrl+s, ctrl+o and ctrl+e are off" in text


async def test_outside_a_class_the_help_has_no_class_rules(teacher_app):
    app = teacher_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "n to walk one step" in app.status_text
        await pilot.press("question_mark")
        await pilot.pause()
        assert "In this class" not in screen_text(app)


async def test_export_follows_the_class_file_rules(teacher_app, folder, tmp_path):
    app = teacher_app(files=str(folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app._export_to("../escape")
        assert "not exported" in app.status_text and str(folder) not in app.status_text
        assert not (tmp_path / "escape").exists()
        app._export_to("lesson1")
        assert (folder / "lesson1" / "weights.json").is_file()
        assert str(folder) not in app.status_text and "weights.json" in app.status_text
    off = teacher_app(files_off=True)
    async with off.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "exporting is off in this class" in off.status_text


async def test_with_the_boundary_hidden_draw_and_hidden_space_keys_do_nothing(teacher_app):
    app = teacher_app(hidden=frozenset({"boundary"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m", "a", "h")
        await pilot.pause()
        assert not app.boundary.drawing and app.boundary.warp_pair is None
        assert app.session.trainer.n == app.session.data.n_train  # no point was added
