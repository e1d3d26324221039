"""Regenerate screenshots/*.svg: the dashboard rendering itself, headless and deterministic.

    python scripts/make_screenshots.py                      # every scene
    python scripts/make_screenshots.py derivation-120x40    # only the scenes named

Every scene uses fixed seeds and a bounded number of training steps, and hides the
timing-dependent samples/s figure, so the same code gives the same pictures.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import config as cfg  # noqa: E402
from engine import presets  # noqa: E402
from mlp_tui.app import MlpApp  # noqa: E402
from mlp_tui.compare_app import CompareApp  # noqa: E402
from mlp_tui.compare_session import CompareSession, build_pair  # noqa: E402
from mlp_tui.options import DashboardOptions  # noqa: E402
from mlp_tui.session import Session  # noqa: E402
from mlp_tui.widgets.matrix_view import MatrixView  # noqa: E402

OUT = ROOT / "screenshots"


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


async def network(app, pilot):
    await train(app, pilot, 600)
    await pilot.press("5", "right", "down", "down")  # the network view, the third neuron of h1 chosen
    await pilot.pause()


async def compact(app, pilot):
    await train(app, pilot, 400)
    await pilot.press("3")


async def monochrome(app, pilot):
    await train(app, pilot, 600)


async def digits(app, pilot):
    await train(app, pilot, 600)
    await pilot.press("3")


async def compare(app, pilot):
    await train(app, pilot, 400)
    await pilot.press("tab", "l")  # the inspector on B; the losses on a log scale
    app.set_status("A: 3 hidden sigmoid units, B: 50, trained in lockstep on XOR (space pauses)")


SCENES = [
    ("dashboard-120x40", "moons", "color", (120, 40), dashboard),
    ("inspector-backward-120x40", "xor-2-3-2", "color", (120, 40), inspector_backward),
    ("derivation-120x40", "moons-2-5-2", "color", (120, 40), derivation),
    ("network-120x40", "moons", "color", (120, 40), network),
    ("compact-80x24", "moons", "color", (80, 24), compact),
    ("monochrome-120x40", "spiral", "ascii", (120, 40), monochrome),
    ("digits-confusion-80x24", "digits", "color", (80, 24), digits),
    ("compare-120x40", "xor-2-3-2", "color", (120, 40), compare, make_compare_app),
]


async def shoot(name, preset, color, size, setup, build=make_app) -> Path:
    app = build(preset, color)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await setup(app, pilot)
        app.screen.set_focus(app.focused)  # no blinking cursor in the pictures
        path = app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    app.session.shutdown()
    return Path(path)


async def main(names: list[str]) -> None:
    unknown = set(names) - {scene[0] for scene in SCENES}
    if unknown:
        raise SystemExit(f"no scene named {', '.join(sorted(unknown))}; scenes: "
                         f"{', '.join(scene[0] for scene in SCENES)}")
    OUT.mkdir(exist_ok=True)
    for scene in SCENES:
        if names and scene[0] not in names:
            continue
        path = await shoot(*scene)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
