"""Training pace: speed levels, the paced worker, the epoch budget, and the keys, flag and TOML
key that set them."""
import time

import pytest

from engine import config
from engine.config import RunConfig
from mlp_tui.controller import FINISHED
from mlp_tui.cli import main
from mlp_tui.pace import DEFAULT_SPEED, SPEED_LEVELS, faster, format_speed, parse_speed, slower
from mlp_tui.session import Session
from helpers import screen_text
from mlp_tui.app import MlpApp
from mlp_tui.options import DashboardOptions
from test_cli import fake_dashboard

SMALL = RunConfig(dataset="moons", n_samples=200, noise=0.2, hidden=(8,), activation="tanh",
                  optimizer="adam", lr=0.01, batch_size=16, seed=0, epochs=3)
STEPS_PER_EPOCH = 9  # 140 training samples in batches of 16


@pytest.fixture
def sessions():
    made = []
    yield made
    for s in made:
        s.shutdown(2.0)


# ----- levels -------------------------------------------------------------------------------
def test_plus_and_minus_walk_every_level_and_stop_at_the_ends():
    seen, speed = [1], 1
    while speed is not None:
        speed = faster(speed)
        seen.append(speed)
    assert tuple(seen) == SPEED_LEVELS and faster(None) is None
    down, speed = [None], None
    while speed != 1:
        speed = slower(speed)
        down.append(speed)
    assert tuple(reversed(down)) == SPEED_LEVELS and slower(1) == 1
    assert (faster(3), slower(3)) == (5, 2)  # a speed between levels moves to its neighbours


@pytest.mark.parametrize("text, value", [("max", None), ("MAX", None), ("20", 20.0), ("0.5", 0.5), (7, 7.0)])
def test_parse_speed(text, value):
    assert parse_speed(text) == value


@pytest.mark.parametrize("text", ["0", "-5", "nan", "inf", "fast", "", "1e9", True])
def test_parse_speed_refuses_with_the_range(text):
    with pytest.raises(ValueError, match="from 0.1 to 100000, or max"):
        parse_speed(text)


def test_format_speed():
    assert (format_speed(20), format_speed(0.5), format_speed(None)) == ("20 steps/s", "0.5 steps/s", "max speed")


# ----- the paced worker ----------------------------------------------------------------------
def steps_in(session, seconds):
    start = session.trainer.step_count
    session.toggle()
    time.sleep(seconds)
    session.pause()
    return session.trainer.step_count - start


def test_the_pace_limits_steps_per_second_and_max_is_flat_out(sessions):
    slow = Session(config.build(SMALL.replace(epochs=1000)), speed=5)
    fast = Session(config.build(SMALL.replace(epochs=1000)), speed=None)
    sessions += [slow, fast]
    paced, flat_out = steps_in(slow, 1.0), steps_in(fast, 1.0)
    assert 1 <= paced <= 7  # 5 steps/s for one second, one more at the start at most
    assert flat_out > 20 * paced


def test_a_new_speed_or_a_pause_wakes_a_waiting_worker(sessions):
    s = Session(config.build(SMALL.replace(epochs=1000)), speed=0.1)  # one step per 10 s
    sessions.append(s)
    s.toggle()
    time.sleep(0.3)
    assert s.trainer.step_count == 1
    s.speed = None  # max: the worker must not sit out the rest of its 10 s wait
    deadline = time.monotonic() + 5
    while s.trainer.step_count < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert s.trainer.step_count >= 50
    s.speed = 0.1
    time.sleep(0.1)
    s.controller.pause(wait=False)
    assert s.controller.wait(2.0)  # pausing does not wait for the 10 s step either


def test_a_bad_rate_is_refused_and_the_old_one_kept(sessions):
    s = Session(config.build(SMALL), speed=10)
    sessions.append(s)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive"):
            s.speed = bad
    assert s.speed == 10 and s.controller.rate == 10.0


# ----- the epoch budget ----------------------------------------------------------------------
def test_training_pauses_at_the_epoch_budget_and_space_continues_for_another(sessions):
    s = Session(config.build(SMALL), speed=None)
    sessions.append(s)
    assert s.toggle()
    assert s.controller.wait(10)
    assert s.finished and s.snapshot().state == FINISHED
    assert s.trainer.epoch == 3 and s.trainer.step_count == 3 * STEPS_PER_EPOCH
    assert s.toggle()  # continues past the budget ...
    assert s.controller.wait(10)
    assert s.finished and s.trainer.epoch == 6 and s.budget_end == 6  # ... for another 3 epochs


def test_a_run_loaded_past_its_budget_gets_a_new_one():
    from mlp_tui.session import _budget_end

    assert _budget_end(0, 100) == 100
    assert _budget_end(38, 100) == 100
    assert _budget_end(100, 100) == 200
    assert _budget_end(250, 100) == 350
    assert _budget_end(150, 100, end=200) == 200


# ----- the dashboard -------------------------------------------------------------------------
async def test_plus_and_minus_change_the_speed_shown_in_the_status_bar(app_factory):
    app = app_factory(preset="moons", speed=DEFAULT_SPEED)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.speed == DEFAULT_SPEED and app.session.speed == DEFAULT_SPEED
        assert f"{DEFAULT_SPEED:g} steps/s" in screen_text(app)
        await pilot.press("plus")
        assert app.speed == 50 and app.session.controller.rate == 50 and "50 steps/s" in screen_text(app)
        await pilot.press(*["plus"] * 10)
        assert app.speed is None and "max speed" in screen_text(app)
        await pilot.press(*["minus"] * 20)
        assert app.speed == 1 and "1 steps/s" in screen_text(app)
        await pilot.press("space")
        assert "at 1 steps/s" in app.status_text and "training to epoch 100" in app.status_text
        await pilot.press("space")


async def test_the_dashboard_stops_at_the_budget_and_says_so(sessions):
    session = Session(config.build(SMALL))
    sessions.append(session)
    app = MlpApp(session, DashboardOptions(color="color", speed=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        assert app.session.controller.wait(10)
        await pilot.pause(0.3)
        assert app.session.trainer.epoch == 3 and app.session.finished
        assert "finished epoch 3 of 3: test acc" in app.status_text
        assert "space: 3 more epochs" in app.status_text
        await pilot.press("space")
        assert app.session.controller.wait(10)
        await pilot.pause(0.3)
        assert app.session.trainer.epoch == 6 and "finished epoch 6 of 6" in app.status_text


# ----- flag and TOML key ---------------------------------------------------------------------
SMALL_ARGS = ["--samples", "100", "--epochs", "3"]


def test_speed_flag_and_toml_key_reach_the_dashboard(monkeypatch, tmp_path):
    launched = fake_dashboard(monkeypatch)
    assert main(SMALL_ARGS) == 0 and launched["options"].speed == DEFAULT_SPEED
    assert main([*SMALL_ARGS, "--speed", "max"]) == 0 and launched["options"].speed is None
    lesson = tmp_path / "lesson.toml"
    lesson.write_text('lr = 0.05\nspeed = 5\n')
    assert main([*SMALL_ARGS, "--config", str(lesson)]) == 0
    assert launched["options"].speed == 5 and launched["config"].lr == 0.05
    assert main([*SMALL_ARGS, "--config", str(lesson), "--speed", "200"]) == 0  # the flag wins
    assert launched["options"].speed == 200
    lesson.write_text('speed = "max"\n')
    assert main([*SMALL_ARGS, "--config", str(lesson)]) == 0 and launched["options"].speed is None


def test_bad_speeds_are_one_line_naming_the_flag_or_the_file(monkeypatch, tmp_path, capsys):
    fake_dashboard(monkeypatch)
    assert main([*SMALL_ARGS, "--speed", "fast"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mlp-tui: error: --speed: must be steps per second"), err
    lesson = tmp_path / "lesson.toml"
    lesson.write_text('speed = -3\n')
    assert main([*SMALL_ARGS, "--config", str(lesson)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{lesson}: speed: must be steps per second" in err[0], err


def test_saved_settings_keep_the_speed(tmp_path, sessions):
    from mlp_tui.settings_file import load_config, load_dashboard_settings

    s = Session(config.build(SMALL), speed=None)
    sessions.append(s)
    path = s.write_settings(tmp_path / "run.toml")
    assert load_dashboard_settings(path) == {"speed": None} and load_config(path) == s.config
    s.speed = 2
    s.write_settings(path)
    assert load_dashboard_settings(path) == {"speed": 2}
