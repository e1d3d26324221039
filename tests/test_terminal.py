"""The terminal around the dashboard: resizing while training, quitting with q / ctrl+c, the SSH
connection dropping (SIGHUP), ``kill`` (SIGTERM), and ctrl+c in headless mode. The real-process tests run
``mlp-tui`` on a pseudo-terminal, exactly as a user's shell would."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import numpy as np
import pytest

from helpers import screen_text
from mlp_tui.widgets.boundary import BoundaryPanel
from mlp_tui.widgets.metrics import MetricsPanel

TRAINER_THREAD = "mlp-tui-trainer"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # run this checkout's code
LEAVE_ALT_SCREEN = b"\x1b[?1049l"  # Textual's last word to the terminal: the shell's screen is back
MOUSE_OFF = b"\x1b[?1000l"  # mouse reporting off: clicks go to the shell's terminal again


def trainer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == TRAINER_THREAD and t.is_alive()]


async def test_resizing_while_training_never_crashes_and_the_layout_comes_back(app_factory):
    app = app_factory(epochs=100_000)  # flat out: the default budget would end before the resizes
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.controller.resume()
        steps = []
        for size in [(40, 12), (20, 5), (79, 23), (80, 24), (20, 5), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.15)
            app.poll(force=True)
            await pilot.pause()
            steps.append(app.session.snapshot().step)
            small = size[0] < 80 or size[1] < 24
            assert app.screen.has_class("-tiny") == small
            if small:
                assert "terminal too small: need at least 80x24" in " ".join(screen_text(app).split())
        assert steps[-1] > steps[0], "training went on throughout"
        app.session.controller.pause()
        app.poll(force=True)
        await pilot.pause()
        shot = screen_text(app)
        for title in ("Hyperparameters", "2 Metrics", "3 Decision boundary"):
            assert title in shot
        assert app.query_one(MetricsPanel).region.width > 0
        assert app.query_one(BoundaryPanel).region.height > 0
        assert np.all(np.isfinite(app.session.snapshot().params))


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_keys_stop_training_within_a_second(app_factory, key):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.controller.resume()
        await pilot.pause(0.2)
        assert trainer_threads(), "training is running before the key"
        started = time.perf_counter()
        await pilot.press(key)
        while trainer_threads() and time.perf_counter() - started < 5:
            await pilot.pause(0.01)
        stopped_after = time.perf_counter() - started
    assert not trainer_threads()
    assert stopped_after < 1.0, f"the trainer thread took {stopped_after:.2f} s to stop"
    assert app.return_code in (0, None)


# Real processes on a pseudo-terminal --------------------------------------------------------------

def spawn_dashboard(tmp_path, *args: str, size=(120, 40)) -> tuple[subprocess.Popen, int]:
    """``mlp-tui`` on a fresh pty of ``size`` (columns, lines); returns the process and the pty's
    controlling end."""
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), "PYTHONPATH": REPO}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=tmp_path, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


def read_until(master: int, needle: bytes, seen: bytearray, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # the child closed the pty
                return needle in seen
    return needle in seen


def terminal_screen(output: bytes, size) -> str:
    """What a terminal of ``size`` shows after ``output``: pyte plays the terminal."""
    import pyte

    screen = pyte.Screen(*size)
    pyte.ByteStream(screen).feed(bytes(output))
    return "\n".join(screen.display)


def screen_showing(master: int, seen: bytearray, size, wanted, timeout: float = 60) -> str:
    """Read until the terminal's screen shows every text in ``wanted`` (or the time is up)."""
    deadline = time.monotonic() + timeout
    screen = ""
    while not all(w in screen for w in wanted) and time.monotonic() < deadline:
        read_until(master, b"\x00never\x00", seen, 0.5)
        screen = terminal_screen(seen, size)
    return screen


def quit_and_close(proc: subprocess.Popen, master: int, seen: bytearray) -> None:
    """q, read until the program ends (killed if it does not), close the pty."""
    try:
        if proc.poll() is None:
            os.write(master, b"q")
            drain(master, seen, proc, 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def drain(master: int, seen: bytearray, proc: subprocess.Popen, timeout: float) -> None:
    """Read the child's output until it exits (a full pty would block its last writes)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        read_until(master, b"\x00never\x00", seen, 0.05)
    read_until(master, b"\x00never\x00", seen, 0.2)


@pytest.mark.parametrize("how", ["q", "ctrl+c", "SIGHUP", "SIGTERM"])
def test_a_real_terminal_session_ends_cleanly_while_training(tmp_path, how):
    proc, master = spawn_dashboard(tmp_path, "--preset", "moons")
    seen = bytearray()
    try:
        assert read_until(master, b"Hyperparameters", seen, 60), seen[-2000:].decode(errors="replace")
        time.sleep(0.5)
        os.write(master, b" ")  # start training
        assert read_until(master, b"running", seen, 10), "training started"
        time.sleep(1.0)
        started = time.monotonic()
        if how.startswith("SIG"):
            proc.send_signal(getattr(signal, how))
        else:
            os.write(master, b"q" if how == "q" else b"\x03")
        drain(master, seen, proc, 10)
        exited_after = time.monotonic() - started
        assert proc.poll() is not None, f"mlp-tui still running 10 s after {how}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0, seen[-3000:].decode(errors="replace")
    assert b"Traceback" not in seen
    assert LEAVE_ALT_SCREEN in seen[-4000:] and MOUSE_OFF in seen[-4000:], "the terminal was restored"
    # The worker stops within a second; the rest is the interpreter unloading numpy and friends.
    assert exited_after < 5.0


def test_without_a_terminal_the_dashboard_says_so_and_exits_2(tmp_path):
    """``mlp-tui </dev/null >file`` (a cron job, a pipe) used to wait for ever."""
    with open(tmp_path / "out.txt", "wb") as out:
        proc = subprocess.run([sys.executable, "-m", "mlp_tui", "--preset", "moons"], stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.PIPE, cwd=tmp_path, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert err.splitlines() == ["mlp-tui: error: the dashboard needs a terminal; to train without one use "
                                "`mlp-tui train`"]
    assert (tmp_path / "out.txt").read_bytes() == b""


def test_ctrl_c_in_headless_mode_stops_cleanly_and_writes_outputs(tmp_path):
    out = tmp_path / "run.json"
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "train", "--preset", "moons", "--epochs", "5000",
                             "--progress", "plain", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        lines = []
        while len(lines) < 2:  # some epochs done
            line = proc.stdout.readline()
            assert line, proc.stderr.read().decode()
            lines.append(line)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err.decode()
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "interrupted at epoch" in err
    data = json.loads(out.read_text())
    assert data["final"]["status"] == "interrupted"
    assert len(data["history"]) >= 2
    assert all(np.isfinite(row["train_loss"]) for row in data["history"])


async def test_a_poll_tick_during_shutdown_is_harmless(app_factory):
    """The poll timer can fire while the app tears its widgets down (seen when a benchmark left
    a training dashboard); such a tick must do nothing rather than look for missing widgets."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step(5)
        await pilot.pause()
        for child in list(app.metrics.children):  # what the shutdown does, one panel at a time
            await child.remove()
        app._running = False
        app.poll()
        app.poll(force=True)
        app._running = True
    assert app._exception is None
