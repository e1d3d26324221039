"""The dashboard's Apply with a dataset path that is a pipe nobody writes to, a device, or a
file too large for the memory budget: a message naming it, the UI responsive, the model kept."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from textual.widgets import Button, Input

from engine import memory


def unblock_later(fifo, seconds=30.0) -> threading.Timer:
    """If opening the FIFO ever blocks again, open its other end after a while so that the test
    fails instead of hanging the suite."""
    def open_writer():
        os.close(os.open(fifo, os.O_RDWR))  # O_RDWR never blocks on Linux
    timer = threading.Timer(seconds, open_writer)
    timer.daemon = True
    timer.start()
    return timer


async def apply_dataset(app, pilot, path) -> None:
    field = app.query_one("#field-dataset", Input)
    field.focus()
    field.value = str(path)
    await pilot.pause()
    assert not app.query_one("#apply", Button).disabled
    await pilot.press("enter")  # Enter in a field = Apply
    await pilot.pause()


@pytest.mark.parametrize("what", ["fifo", "device", "over-budget"])
async def test_apply_with_a_dataset_that_cannot_be_read_names_it(what, app_factory, tmp_path, monkeypatch):
    timer = None
    if what == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
        timer = unblock_later(path)
        words = "a pipe with nothing written to it"
    elif what == "device":
        path, words = "/dev/zero", "cannot read a device"
    else:
        path = tmp_path / "big.csv"
        path.write_text("".join(f"{i},{i % 5},{i % 2}\n" for i in range(2000)))
        words = "allowed"
    app = app_factory()
    if what == "over-budget":  # once the app is built: the file is about 20 KB, more than 40K / 4
        monkeypatch.setenv(memory.ENV_VAR, "40K")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            net, params = app.session.net, app.session.net.params.copy()
            await apply_dataset(app, pilot, path)
            assert app.status_text.startswith("not applied, the current network is unchanged")
            assert str(path) in app.status_text and words in app.status_text
            assert app.session.net is net
            np.testing.assert_array_equal(app.session.net.params, params)
        assert app._exception is None
    finally:
        if timer is not None:
            timer.cancel()
