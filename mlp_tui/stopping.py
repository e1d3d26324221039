"""Stopping ``mlp-tui train`` cleanly: SIGINT (ctrl+c), SIGTERM, SIGHUP and a broken stdout pipe
all end the run the same way: the current step finishes, the epochs completed so far (and the
position inside the current epoch) are written to the outputs, then the exit status is 130 for
SIGINT and 128 + the signal number for the others (143 SIGTERM, 129 SIGHUP, 141 broken pipe).

Signals only set a flag; training checks it between two steps, so a signal can never land in
the middle of an update or between "epoch += 1" and that epoch's history row. Further signals
are ignored until the outputs are written: pressing ctrl+c twice cannot lose them.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_BROKEN_PIPE = getattr(signal, "SIGPIPE", 13)


class StopRequested(Exception):
    """Raised between two training steps once a stop was asked for."""


class StopSignals:
    """``with StopSignals() as stop:`` catches the signals above (main thread only) until exit."""

    def __init__(self):
        self.signum: int | None = None
        self._previous = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():  # signal.signal's own rule
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:  # None: exceptions propagate
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        if self.signum is None:  # the first one decides the exit status; later ones are ignored
            self.signum = signum

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def broken_pipe(self, stream) -> None:
        """The reader of ``stream`` went away: stop, and send the rest of stdout nowhere so that
        the interpreter's last flush does not print an error."""
        self._handle(_BROKEN_PIPE, None)
        if stream is sys.stdout:
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass

    def cause(self) -> str:
        """'' for ctrl+c, else ' by SIGTERM', ' by SIGHUP', ' (broken pipe)'."""
        if self.signum in (None, signal.SIGINT):
            return ""
        if self.signum == _BROKEN_PIPE:
            return " (broken pipe)"
        return f" by {signal.Signals(self.signum).name}"

    def exit_status(self) -> int:
        return 128 + (self.signum if self.signum is not None else signal.SIGINT)

    @contextmanager
    def between_steps(self, trainer):
        """Make ``trainer.step`` raise StopRequested, before doing anything, once stopped: the
        trainer's own loops (run_epoch) then stop at a step boundary, even mid-epoch."""
        real = trainer.step

        def step():
            if self.requested:
                raise StopRequested
            return real()

        trainer.step = step
        try:
            yield
        finally:
            del trainer.step


def quietly(action) -> None:
    """Run ``action`` (a print), ignoring a terminal or pipe that is gone (SIGHUP, broken pipe)."""
    try:
        action()
    except OSError:
        pass
