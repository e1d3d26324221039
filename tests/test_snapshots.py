"""The screens of screenshots/*.svg as snapshot tests (pytest-textual-snapshot).

Each scene (scripts/scenes.py, shared with scripts/make_screenshots.py) is played on a paused app
stepped a fixed number of times and compared with its baseline in tests/__snapshots__/. After a
deliberate change to a screen, inspect the report pytest writes (snapshot_report.html) and
re-baseline with ``python -m pytest tests/test_snapshots.py --snapshot-update``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from scenes import SCENES  # noqa: E402


@pytest.mark.parametrize("scene", SCENES, ids=[scene.name for scene in SCENES])
def test_scene_matches_its_snapshot(scene, snap_compare):
    app = scene.app()
    try:
        assert snap_compare(app, terminal_size=scene.size, run_before=scene.play)
    finally:
        app.session.shutdown()  # never leave a training thread behind
