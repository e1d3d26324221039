"""A locked field under a burst of keys in a real pseudo-terminal (not Textual's Pilot, which
lets the app go idle between keys): ``python -m mlp_tui --lock lr --files DIR`` gets, in one
write, Tabs to where the learning rate is and backspaces, then in another digits and a bracketed
paste; then ctrl+s saves a checkpoint into DIR, whose settings say what the run got.

The same burst without --lock is the control: there it does change the learning rate, so the
locked run's unchanged value is the lock's doing, not a burst that missed."""
from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from mlp_tui.fields import load_checkpoint
from mlp_tui.widgets.hyperparams import ORDER

REPO = Path(__file__).resolve().parents[1]
SAVED = "mlp-tui-checkpoint.npz"  # the name ctrl+s offers
ESC = "\x1b"
# From the opening view (the boundary has the focus) Tab visits the preset chooser, then the
# form's fields in order. Not key 1: its focus lands after keys already queued behind it.
TABS_TO_LR = 1 + ORDER.index("lr") + 1
CLEAR = "\t" * TABS_TO_LR + "\x7f" * 8  # to the field, and empty it
TYPED = "0.05" + f"{ESC}[200~7{ESC}[201~"  # type and paste: 0.057


def read_for(master: int, seen: bytearray, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([master], [], [], left)[0]:
            try:
                seen += os.read(master, 1 << 16)
            except OSError:  # the child closed the pty
                return


def settle(master: int, seen: bytearray, quiet: float = 1.5, seconds: float = 120) -> None:
    """Read until the app has drawn nothing for ``quiet`` seconds (no field has the focus, so no
    cursor blinks)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = len(seen)
        read_for(master, seen, quiet)
        if len(seen) == before:
            return


def wait_for(master: int, seen: bytearray, text: bytes, seconds: float = 120) -> None:
    """Read until ``text`` is on screen (a busy machine can take many seconds to start)."""
    start = len(seen)
    deadline = time.monotonic() + seconds
    while text not in seen[start:] and time.monotonic() < deadline:
        read_for(master, seen, 0.1)
    assert text in seen[start:], f"{text!r} never showed"


def run_burst(tmp_path: Path, *flags: str):
    """The settings of the checkpoint the dashboard saved after the burst."""
    folder = tmp_path / "class"
    folder.mkdir()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # rows, columns: the wide layout
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "mlp_tui", "--preset", "moons", "--files", str(folder), *flags],
                            stdin=slave, stdout=slave, stderr=slave, cwd=tmp_path, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    seen = bytearray()
    try:
        wait_for(master, seen, b"Press space to train")
        settle(master, seen)  # the opening view has the focus
        # Two bursts: Textual runs bound keys (Tab, Backspace) in order, but hands printable
        # keys to the field focused when they are read, possibly before bound keys read with them.
        os.write(master, CLEAR.encode())
        wait_for(master, seen, b"; got ''")  # the emptied field's message
        os.write(master, TYPED.encode())
        wait_for(master, seen, b"= 0.057 (applied live)")  # the whole burst is handled
        os.write(master, b"\x13")  # ctrl+s
        wait_for(master, seen, b"Save to")
        saved = b"checkpoint saved to " + SAVED.encode()
        start = len(seen)
        for _ in range(20):  # Enter (the offered name) does nothing until the prompt's field has the focus
            os.write(master, b"\r")
            read_for(master, seen, 2.0)
            if saved in seen[start:]:
                break
        assert saved in seen[start:], "the checkpoint was not saved"
        os.write(master, b"\x03")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        os.close(master)
    assert proc.returncode == 0
    return load_checkpoint(folder / SAVED).config


@pytest.mark.parametrize("locked", [True, False])
def test_a_key_burst_cannot_change_a_locked_field(tmp_path, locked):
    saved = run_burst(tmp_path, *(["--lock", "lr"] if locked else []))
    if locked:  # the Tabs skip the locked field: the next one, momentum, takes the keys
        assert saved.lr == 0.01 and saved.momentum == 0.057
    else:
        assert saved.lr == 0.057 and saved.momentum == 0.9
