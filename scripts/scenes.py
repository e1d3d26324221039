"""The dashboard scenes shown in screenshots/*.svg and checked by tests/test_snapshots.py.

Each scene is defined once, here: ``scripts/make_screenshots.py`` saves them as pictures and the
snapshot tests compare them with the committed baselines. Every scene uses fixed seeds, a paused
app stepped a fixed number of times, and hides the timing-dependent samples/s figure, so the same
code gives the same pictures.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's code, also when run as a script

from textual.widgets import Input  # noqa: E402

from engine import config as cfg  # noqa: E402
from engine import presets  # noqa: E402
from mlp_tui.app import MlpApp  # noqa: E402
from mlp_tui.compare_app import CompareApp  # noqa: E402
from mlp_tui.compare_session import CompareSession, build_pair  # noqa: E402
from mlp_tui.options import DashboardOptions  # noqa: E402
from mlp_tui.session import Session  # noqa: E402
from mlp_tui.widgets.matrix_view import MatrixView  # noqa: E402


def make_app(preset: str, color: str = "color") -> MlpApp:
    run = cfg.build(presets.get(preset).config)
    return MlpApp(Session(run), DashboardOptions(color=color, show_rate=False))


def make_compare_app(preset: str, color: str = "color") -> CompareApp:
    """The XOR walk-through's 3 against 50 hidden neurons."""
    base = presets.get(preset).config
    runs = build_pair(base.replace(hidden=(3,)), base.replace(hidden=(50,)))
    return CompareApp(CompareSession(runs), DashboardOptions(color=color, show_rate=False))


async def train(app, pilot, steps: int) -> None:
    app.session.step(steps)
    app.poll(force=True)
    await pilot.pause()


async def dashboard(app, pilot):
    await train(app, pilot, 600)
    app.set_status("training moons: 2-16-16-2 tanh, Adam, lr 0.01 (space pauses)")


async def inspector_backward(app, pilot):
    await train(app, pilot, 300)
    app.inspector.use_batch = True
    await pilot.press("n")
    names = app.inspector.trace.names
    for _ in range(names.index("dW2")):
        await pilot.press("n")
    matrix = app.query_one(MatrixView)
    matrix.focus()
    await pilot.press("down", "right", "right")
    await pilot.pause()


async def derivation(app, pilot):
    await train(app, pilot, 300)
    await pilot.press("n")
    for _ in range(app.inspector.trace.names.index("dz2")):
        await pilot.press("n")
    await pilot.press("d")


async def gradcheck(app, pilot):
    await train(app, pilot, 300)
    await pilot.press("n")
    for _ in range(app.inspector.trace.names.index("dW1")):
        await pilot.press("n")
    app.query_one(MatrixView).focus()
    await pilot.press("down", "right", "right", "g")
    await app.workers.wait_for_complete()  # the check runs in a thread
    await pilot.pause()


async def network(app, pilot):
    await train(app, pilot, 600)
    await pilot.press("5", "right", "down", "down")  # the network view, the third neuron of h1 chosen
    await pilot.pause()


async def features(app, pilot):
    await train(app, pilot, 300)
    await pilot.press("5")  # the inputs x1^2, x2^2 feed the output directly; the boundary is a ring
    await pilot.pause()


async def compact(app, pilot):
    await train(app, pilot, 400)
    await pilot.press("3")


async def monochrome(app, pilot):
    await train(app, pilot, 600)


async def digits(app, pilot):
    await train(app, pilot, 600)
    await pilot.press("3")


async def regression(app, pilot):
    await train(app, pilot, 3000)
    app.set_status("regression on reg-gauss: the predicted value as colour, each point its target")


async def hidden_space(app, pilot):
    await train(app, pilot, 600)
    await pilot.press("h")  # the first hidden layer's neurons 0 and 1 as x and y
    await pilot.pause()


async def timeline(app, pilot):
    await train(app, pilot, 40)
    await pilot.press("t", "left", "left")
    await pilot.pause()


async def compare(app, pilot):
    await train(app, pilot, 400)
    await pilot.press("tab", "l")  # the inspector on B; the losses on a log scale
    app.set_status("A: 3 hidden sigmoid units, B: 50, trained in lockstep on XOR (space pauses)")


async def drawn(app, pilot):
    """Draw mode: a row of class-1 points drawn into class 0's moon, then trained on."""
    await train(app, pilot, 300)
    await pilot.press("m", "c", *["up"] * 6)
    for _ in range(5):
        await pilot.press("left", "left", "a")
    await train(app, pilot, 300)


@dataclass(frozen=True)
class Scene:
    name: str
    preset: str
    color: str
    size: tuple[int, int]
    setup: Callable[..., Awaitable[None]]
    build: Callable[[str, str], MlpApp | CompareApp] = make_app

    def app(self) -> MlpApp | CompareApp:
        return self.build(self.preset, self.color)

    async def play(self, pilot) -> None:
        """Drive a running app (``pilot.app``, built by ``app()``) to the scene."""
        await pilot.pause()
        await self.setup(pilot.app, pilot)
        # A blinking cursor would show or not depending on when the picture is taken.
        for field in pilot.app.query(Input):
            field.cursor_blink = False


SCENES = [
    Scene("dashboard-120x40", "moons", "color", (120, 40), dashboard),
    Scene("inspector-backward-120x40", "xor-2-3-2", "color", (120, 40), inspector_backward),
    Scene("derivation-120x40", "moons-2-5-2", "color", (120, 40), derivation),
    Scene("gradcheck-120x40", "moons-2-5-2", "color", (120, 40), gradcheck),
    Scene("network-120x40", "moons", "color", (120, 40), network),
    Scene("compact-80x24", "moons", "color", (80, 24), compact),
    Scene("features-120x40", "circles-features", "color", (120, 40), features),
    Scene("monochrome-120x40", "spiral", "ascii", (120, 40), monochrome),
    Scene("digits-confusion-80x24", "digits", "color", (80, 24), digits),
    Scene("drawn-120x40", "moons", "color", (120, 40), drawn),
    Scene("hidden-space-120x40", "moons", "color", (120, 40), hidden_space),
    Scene("timeline-80x24", "moons", "color", (80, 24), timeline),
    Scene("compare-120x40", "xor-2-3-2", "color", (120, 40), compare, make_compare_app),
    Scene("regression-120x40", "reg-gauss", "color", (120, 40), regression),
]
