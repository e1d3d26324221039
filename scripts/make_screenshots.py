"""Regenerate screenshots/*.svg: the dashboard rendering itself, headless and deterministic.

    python scripts/make_screenshots.py                      # every scene
    python scripts/make_screenshots.py derivation-120x40    # only the scenes named

The scenes are defined in scripts/scenes.py, shared with the snapshot tests
(tests/test_snapshots.py), so the pictures and the tests show the same screens.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from scenes import ROOT, SCENES, Scene

OUT = ROOT / "screenshots"


async def shoot(scene: Scene) -> Path:
    app = scene.app()
    async with app.run_test(size=scene.size) as pilot:
        await scene.play(pilot)
        path = app.save_screenshot(filename=f"{scene.name}.svg", path=str(OUT))
    app.session.shutdown()
    return Path(path)


async def main(names: list[str]) -> None:
    unknown = set(names) - {scene.name for scene in SCENES}
    if unknown:
        raise SystemExit(f"no scene named {', '.join(sorted(unknown))}; scenes: "
                         f"{', '.join(scene.name for scene in SCENES)}")
    OUT.mkdir(exist_ok=True)
    for scene in SCENES:
        if names and scene.name not in names:
            continue
        path = await shoot(scene)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
