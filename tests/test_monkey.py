"""Monkey test: a seeded stream of random key presses, typing and clicks on the dashboard, with
bounded training runs in between, at 80x24 and 120x40. Nothing may raise, and the run must end
in a consistent state (finite parameters, snapshot == trainer, inspector stage in range, no
trainer thread left behind).

Every key binding is in the mix (space, s, n, p, ., ,, r, 1-4, c, l, w, b, x, +, -, [, ], tab,
shift+tab, arrows, home/end, page up/down, enter, ?, escape, ctrl+s, ctrl+o) plus random
characters typed into whatever has focus. Quitting (q, ctrl+c, ctrl+q) is left out: it is tested
in test_terminal.py. Training never runs unbounded between presses: whenever a key (space, or a
click on the footer's Start/Pause) has started the controller, the test pauses it in code before
the next action, and the only other training is ``session.step(k)`` with k <= 30.

Speed: ``pilot.press`` waits twice per key for the process to look idle (>= 2 x 20 ms), which
would make 1,000+ presses take well over a minute. Keys are therefore sent exactly as
``Pilot.press`` sends them (the same ``events.Key`` through the driver) but settled with Pilot's
``_wait_for_screen`` (every pending message of the app and the screen processed), and clicks
are sent as Pilot's MouseDown/MouseUp/Click sequence the same way. Every 50th key still goes
through the real ``pilot.press``.

Counts: PRESSES_PER_SIZE (below) key presses and clicks per terminal size, 2 sizes, so 1,200 in
all, plus about 50 bounded training runs; each press costs the app 30-40 ms of real style, layout
and render work on the 2-core CI machine, about 20 s per size (see the README "Robustness"
section). Raise PRESSES_PER_SIZE for a longer soak; the seed makes every run the same sequence.
"""
from __future__ import annotations

import asyncio
import collections
import random
import threading
import time
import unicodedata

import numpy as np
import pytest
from textual import events
from textual.geometry import Offset
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import _get_mouse_message_arguments
from textual.widgets import Input

from mlp_tui.screens.file_prompt import FilePrompt

SEED = 20_261_123
PRESSES_PER_SIZE = 600  # key presses + clicks per terminal size: 1,200 in all
SIZES = [(80, 24), (120, 40)]

BINDING_KEYS = ["space", "s", "n", "p", "full_stop", "comma", "r", "1", "2", "3", "4", "c", "l", "w", "b",
                "x", "plus", "minus", "less_than_sign", "greater_than_sign", "left_square_bracket", "right_square_bracket", "tab", "shift+tab", "up",
                "down", "left", "right", "home", "end", "pageup", "pagedown", "enter", "question_mark",
                "escape", "ctrl+s", "ctrl+o", "backspace", "delete"]
# Characters typed into focused fields; no 'q' (quits when no field has focus).
TYPED = "0123456789.,-+e abcfilnrstuwx:;/_"
TRAINER_THREAD = "mlp-tui-trainer"


def key_event(key: str) -> events.Key:
    """The very event ``Pilot.press(key)`` would send (see textual.app.App._press_keys)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def _drain(app, nodes) -> None:
    """Wait until each node has handled everything queued on it before this call (Pilot's
    ``_wait_for_screen`` does this for every widget on the screen, about 20 ms a round here)."""
    pending = 0
    done = asyncio.Event()

    def decrement() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            done.set()

    for node in dict.fromkeys(nodes):  # unique, in order
        if node.call_later(decrement):
            pending += 1
    if pending:
        waits = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(app._exception_event.wait())]
        _, unfinished = await asyncio.wait(waits, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        for task in unfinished:
            task.cancel()


async def settle(pilot, rounds: int = 1) -> None:
    """Let the app, the screen and the focus chain process what is pending, round after round
    while any widget on the screen still has queued messages (a key hops from the app to the
    focused widget and bubbles up; handlers post messages of their own), and while a screen is
    being pushed or popped (a prompt composing, a dismissed one unmounting)."""
    app = pilot.app
    for i in range(rounds + 30):
        screen = app.screen
        chain = [app, screen]
        if app.focused is not None:
            chain += list(app.focused.ancestors_with_self)
        await _drain(app, chain)
        if app._exception is not None:
            return
        busy = any(node._message_queue.qsize() for node in screen.walk_children(with_self=True))
        if i + 1 >= rounds and not busy and app.screen is screen and screen.is_mounted and screen.is_current:
            return
    await pilot._wait_for_screen()


async def press(pilot, key: str) -> None:
    event = key_event(key)
    event.set_sender(pilot.app)
    pilot.app._driver.send_message(event)
    await settle(pilot)


async def click(pilot, x: int, y: int) -> None:
    """Pilot.click's MouseDown/MouseUp/Click at screen offset (x, y), settled without idle waits."""
    app = pilot.app
    screen = app.screen
    arguments = _get_mouse_message_arguments(screen, (x, y), button=1)
    for cls in (events.MouseDown, events.MouseUp, events.Click):
        kwargs = dict(arguments, chain=1) if cls is events.Click else arguments
        app.mouse_position = Offset(x, y)
        screen._forward_event(cls(**kwargs))
        await settle(pilot, 1)
    await settle(pilot)


class Monkey:
    def __init__(self, app, pilot, rng: random.Random, tmp_path, size):
        self.app, self.pilot, self.rng, self.size = app, pilot, rng, size
        self.counts = collections.Counter()
        self.log: collections.deque = collections.deque(maxlen=40)
        garbage = tmp_path / "garbage.npz"
        garbage.write_bytes(bytes(rng.randrange(256) for _ in range(300)))
        (tmp_path / "empty.npz").write_bytes(b"")
        self.paths = [tmp_path / "run.npz", tmp_path / "run.npz", tmp_path / "settings.toml", garbage,
                      tmp_path / "empty.npz", tmp_path / "missing.npz", tmp_path / "no-such-folder" / "x.npz",
                      tmp_path]

    def _stop_training(self) -> None:
        """The paused-safe rule: a key that started training is followed by a pause in code."""
        controller = self.app.session.controller
        if controller.running:
            controller.pause()
            self.counts["paused after start"] += 1

    async def _key(self, key: str) -> None:
        if key == "enter" and isinstance(self.app.screen, FilePrompt):
            await self._answer_prompt(escape=False)
            return
        self.log.append(key)
        self.counts["key " + key] += 1
        if self.counts["keys"] % 50 == 0:
            await self.pilot.press(key)  # now and then the real thing, idle waits included
        else:
            await press(self.pilot, key)
        self.counts["keys"] += 1
        self._stop_training()

    async def _answer_prompt(self, escape: bool) -> None:
        if escape:
            self.log.append("prompt: escape")
            await press(self.pilot, "escape")
        else:
            path = self.rng.choice(self.paths)
            self.log.append(f"prompt: enter {path.name}")
            self.app.screen.query_one("#path", Input).value = str(path)
            await settle(self.pilot, 1)
            await press(self.pilot, "enter")
        self.counts["prompt answered"] += 1

    async def step(self) -> None:
        rng, app = self.rng, self.app
        r = rng.random()
        if r < 0.62:
            key = rng.choice(BINDING_KEYS)
            await self._key(key)
            if key in ("ctrl+s", "ctrl+o") and isinstance(app.screen, FilePrompt) and rng.random() < 0.85:
                await self._answer_prompt(escape=rng.random() < 0.4)
        elif r < 0.84:
            for ch in rng.choices(TYPED, k=rng.randint(1, 4)):
                await self._key(ch)
            self.counts["typed runs"] += 1
        elif r < 0.95:
            width, height = app.size
            x, y = rng.randrange(width), rng.randrange(height - 1)  # not the footer: its Quit would quit
            self.log.append(f"click {x},{y}")
            await click(self.pilot, x, y)
            self.counts["clicks"] += 1
            self._stop_training()
        else:
            k = rng.randint(1, 30)
            self.log.append(f"session.step({k})")
            app.session.step(k)
            app.poll(force=True)
            await settle(self.pilot, 1)
            self.counts["bounded runs"] += 1
        if app._exception is not None:
            raise AssertionError(f"the app raised at {self.size} after: {list(self.log)}") from app._exception


def check_consistent(app) -> None:
    session = app.session
    session.pause()
    assert not session.running
    snap = session.publish()
    assert snap.step == session.trainer.step_count
    assert np.all(np.isfinite(session.net.params))
    assert np.all(np.isfinite(snap.params))
    inspector = app.inspector
    if inspector.trace is not None:
        assert 0 <= inspector.stage < len(inspector.trace.steps)
    matrix = app.query_one("#matrix")
    r, c = matrix.cursor
    rows, cols = matrix.values.shape if matrix.values.ndim == 2 else (1, matrix.values.size)
    assert 0 <= r < max(rows, 1) and 0 <= c < max(cols, 1)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_monkey(app_factory, tmp_path, monkeypatch, size):
    monkeypatch.chdir(tmp_path)  # a stray save can only land here
    rng = random.Random(f"{SEED}-{size}")
    app = app_factory()
    started = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        monkey = Monkey(app, pilot, rng, tmp_path, size)
        while monkey.counts["keys"] + monkey.counts["clicks"] < PRESSES_PER_SIZE:
            await monkey.step()
        while not isinstance(app.screen, type(app.get_default_screen())) and len(app.screen_stack) > 1:
            await press(pilot, "escape")  # close a prompt, the help or a dropdown left open
        check_consistent(app)
    elapsed = time.perf_counter() - started
    assert not any(t.name == TRAINER_THREAD and t.is_alive() for t in threading.enumerate())
    counts = monkey.counts
    print(f"\nmonkey {size[0]}x{size[1]}: {counts['keys'] + counts['clicks']} presses ({counts['keys']} keys, "
          f"{counts['clicks']} clicks, {counts['bounded runs']} bounded runs, "
          f"{counts['prompt answered']} prompts answered, {counts['paused after start']} starts paused) "
          f"in {elapsed:.1f} s; step {app.session.trainer.step_count}")
