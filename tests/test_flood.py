"""Key floods in a real pseudo-terminal: the dashboard must survive anything typed at it.

The Pilot monkey test (test_monkey.py) lets the app go idle between keys; a real terminal does
not, and events queued behind a key that opens a modal are then handled with the modal on top.
Here ``python -m mlp_tui`` runs on a pty while training, and seeded floods of keys arrive in
bursts without waiting for the app: Tab, digits, ``?``, ``ctrl+s``/``ctrl+o`` with Enter and
Escape, Select dropdowns with PageUp/PageDown, arrows, typed text, mouse clicks and resizes
(TIOCSWINSZ + SIGWINCH). The pty is read all the time so the app never blocks on its output.
Any exit before the end, or a traceback, fails the run; at the end ctrl+c must exit 0 (a hang
fails too, with every thread's stack from faulthandler).

Files saved by ``ctrl+s`` land in ``tmp_path`` (the working directory and HOME); the typed text
has no ``/`` or ``~``, so no path can leave it.
"""
from __future__ import annotations

import fcntl
import os
import pty
import random
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEYS_PER_FLOOD = 500
# (seed, columns, rows): 3 floods per size.
FLOODS = [(seed, *size) for seed in (1, 2, 3) for size in ((80, 24), (120, 40))]

ESC = "\x1b"
# Weighted so modals, panels and dropdowns come up often; no q, ctrl+c or ctrl+q (they quit).
KEYS = {
    "\t": 8, ESC + "[Z": 2,                      # tab, shift+tab
    "1": 3, "2": 3, "3": 3, "4": 3, "?": 4,
    "\x13": 4, "\x0f": 3,                        # ctrl+s, ctrl+o
    "\r": 8, ESC: 5,                             # enter, escape
    ESC + "[5~": 5, ESC + "[6~": 5,              # page up / down
    ESC + "[A": 3, ESC + "[B": 3, ESC + "[C": 2, ESC + "[D": 2,
    ESC + "[H": 1, ESC + "[F": 1,                # home / end
    " ": 3, "s": 2, "n": 2, "p": 1, "r": 1, "c": 1, "l": 1, "w": 1, "b": 1, "x": 1,
    "+": 1, "-": 1, "[": 1, "]": 1, "\x7f": 2,   # backspace
}
TYPED = "0123456789.,-e abcdfghijkmotuvyz_"


def set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def spawn(tmp_path: Path, columns: int, rows: int) -> tuple[subprocess.Popen, int]:
    """This repo's ``python -m mlp_tui`` on a fresh pty, in ``tmp_path``."""
    master, slave = pty.openpty()
    set_size(slave, columns, rows)
    env = {**os.environ, "PYTHONFAULTHANDLER": "1", "TERM": "xterm-256color", "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}
    for name in ("NO_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "--preset", "moons"], stdin=slave, stdout=slave,
                            stderr=slave, cwd=tmp_path, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


def read_for(master: int, seen: bytearray, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            try:
                seen += os.read(master, 1 << 16)
            except OSError:  # the child closed the pty
                return
        if time.monotonic() >= deadline:
            return


def click(columns: int, rows: int, rng: random.Random) -> str:
    """A left click (SGR mouse report) anywhere but the footer row, whose keys include Quit."""
    x, y = rng.randint(1, columns), rng.randint(1, rows - 1)
    return f"{ESC}[<0;{x};{y}M{ESC}[<0;{x};{y}m"


def burst(rng: random.Random, columns: int, rows: int) -> list[str]:
    keys = list(KEYS)
    weights = list(KEYS.values())
    out = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.08:
            out.append("".join(rng.choice(TYPED) for _ in range(rng.randint(1, 6))))
        elif roll < 0.14:
            out.append(click(columns, rows, rng))
        else:
            out.append(rng.choices(keys, weights)[0])
    return out


def tail(seen: bytearray) -> str:
    """The end of the output as text, escape sequences removed: where a traceback or a hung
    thread's stack shows."""
    return re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]", "", seen[-30000:].decode(errors="replace"))[-5000:]


@pytest.mark.parametrize("seed,columns,rows", FLOODS)
def test_a_flood_of_keys_in_a_real_terminal_never_crashes(tmp_path, seed, columns, rows):
    rng = random.Random(seed)
    proc, master = spawn(tmp_path, columns, rows)
    seen = bytearray()
    try:
        deadline = time.monotonic() + 60
        while b"Hyperparameters" not in seen and proc.poll() is None and time.monotonic() < deadline:
            read_for(master, seen, 0.1)
        assert b"Hyperparameters" in seen, tail(seen)
        os.write(master, b" ")  # start training
        sent = 0
        while sent < KEYS_PER_FLOOD:
            keys = burst(rng, columns, rows)
            os.write(master, "".join(keys).encode())
            sent += len(keys)
            if rng.random() < 0.04:
                set_size(master, *rng.choice([(80, 24), (120, 40), (100, 30), (60, 20)]))
                proc.send_signal(signal.SIGWINCH)
            if rng.random() < 0.1:
                os.write(master, b" ")  # keep training going now and then
            read_for(master, seen, rng.uniform(0.01, 0.08))  # ~100 keys/s: a burst lands mid-work
            assert proc.poll() is None, f"mlp-tui exited after {sent} keys (seed {seed}):\n{tail(seen)}"
        read_for(master, seen, 0.5)
        for _ in range(3):  # close any modal or dropdown, then quit
            os.write(master, ESC.encode())
            read_for(master, seen, 0.2)
        os.write(master, b"\x03")
        deadline = time.monotonic() + 60  # only a hang takes this long; a busy machine may lag
        while proc.poll() is None and time.monotonic() < deadline:
            read_for(master, seen, 0.05)
        read_for(master, seen, 0.2)
    finally:
        if proc.poll() is None:  # hung: faulthandler prints every thread's stack on SIGABRT
            proc.send_signal(signal.SIGABRT)
            read_for(master, seen, 2.0)
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0, f"exit status {proc.returncode} (seed {seed}):\n{tail(seen)}"
    assert b"Traceback" not in seen, tail(seen)
