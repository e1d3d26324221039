"""Keys that arrive faster than the dashboard answers them, as in a real terminal: each test
queues its keys in one go (no waiting for the app in between, unlike ``pilot.press``), then lets
the app catch up. Each reproduces a crash found by the pty flood (test_flood.py)."""
from __future__ import annotations

from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from helpers import screen_text
from mlp_tui.screens.file_prompt import FilePrompt
from mlp_tui.screens.help import HelpScreen
from test_monkey import key_event


async def burst(app, pilot, *keys: str) -> None:
    """Send ``keys`` the way the terminal driver does, all queued before the app handles one."""
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await pilot.pause(0.1)
    await pilot.pause()


async def test_enter_enter_in_the_save_prompt_saves_once_and_keeps_the_dashboard(app_factory, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_factory()
    saves = []
    async with app.run_test(size=(120, 40)) as pilot:
        real_save = app.session.save
        app.session.save = lambda path: saves.append(path) or real_save(path)
        await burst(app, pilot, "ctrl+s", "enter", "enter")
        assert app._exception is None, app._exception
        assert len(app.screen_stack) == 1 and not isinstance(app.screen, FilePrompt)
        assert saves == ["mlp-tui-checkpoint.npz"]
        assert (tmp_path / "mlp-tui-checkpoint.npz").is_file()
        assert "checkpoint saved to mlp-tui-checkpoint.npz" in " ".join(screen_text(app).split())


async def test_panel_keys_queued_behind_help_neither_crash_nor_act_under_it(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(app, pilot, "tab", "3", "4", "question_mark", "2", "1", "3", "4", "s", "space")
        assert app._exception is None, app._exception
        assert isinstance(app.screen, HelpScreen)
        assert app.active_panel == 3, "the keys typed after ? did nothing"
        assert app.session.snapshot().step == 0 and not app.session.running
        await burst(app, pilot, "escape", "2")
        assert app.active_panel == 1 and app.metrics.has_class("-active")
        assert "Start/Pause" in screen_text(app), "the footer shows the dashboard's keys again"


async def test_ctrl_s_under_an_open_prompt_opens_no_second_prompt(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await burst(app, pilot, "2", "3", "ctrl+s", "ctrl+o", "ctrl+s")
        assert app._exception is None, app._exception
        assert len(app.screen_stack) == 2 and isinstance(app.screen, FilePrompt)
        assert app.active_panel == 2
        await burst(app, pilot, "escape")
        assert len(app.screen_stack) == 1


async def test_resizing_under_help_lays_out_the_dashboard(app_factory):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape")
        assert app.screen.has_class("-compact"), "the dashboard, not the help, got the compact layout"


async def test_page_keys_in_a_dropdown_just_opened(app_factory):
    """PageUp/PageDown handled before a dropdown just opened was laid out found no lines
    (textual 8.2.8 OptionList._move_page: KeyError)."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        select = app.query_one("#field-activation", Select)
        select.focus()
        await pilot.pause()
        overlay = select.query_one(SelectOverlay)
        select.action_show_overlay()  # what Enter does
        overlay.action_page_up()  # what PageUp does, handled before the dropdown's first layout
        overlay.action_page_down()
        await pilot.pause()
        assert app._exception is None, app._exception
        assert select.expanded and overlay.has_focus
        await pilot.press("pagedown", "enter")  # the dropdown, now laid out, works as usual
        assert select.value == select._options[-1][1]
