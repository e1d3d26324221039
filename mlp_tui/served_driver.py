"""The Textual driver of a dashboard served to a browser by ``mlp-tui serve``.

Textual's WebDriver talks to the server over stdin/stdout. When the server goes away its input
thread simply ends, and the app trains on, unseen, for ever. This driver makes the end of stdin
mean "quit", and makes sure the process really ends even if the app cannot: its event loop may
be stuck writing a frame to a pipe nobody reads any more, where no signal handler gets to run.
"""
from __future__ import annotations

import os
import threading

from textual import messages
from textual.drivers.web_driver import WebDriver

# Seconds a session whose server has gone is given to close cleanly before it is ended at once.
ORPHAN_GRACE = 3.0


class ServedDriver(WebDriver):
    def run_input_thread(self) -> None:
        super().run_input_thread()
        if self.exit_event.is_set():  # the app is stopping on its own
            return
        self._app.post_message(messages.ExitApp())
        # Nothing is left to save or show: the browser and the server are gone.
        timer = threading.Timer(ORPHAN_GRACE, os._exit, args=(1,))
        timer.daemon = True
        timer.start()
