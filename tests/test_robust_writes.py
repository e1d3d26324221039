"""Atomic writes: history JSON/CSV writers SIGKILLed at random moments never leave a torn file.

Run with ``pytest -s`` to see the figures (kill trials).
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[1]
# ----------------------------------------------------------------------------------- atomic writes

WRITER = textwrap.dedent("""
    import itertools, sys
    from engine.config import RunConfig
    from mlp_tui.headless import write_csv, write_json
    path, kind = sys.argv[1], sys.argv[2]
    config = RunConfig()
    for i in itertools.count():
        n = 1 + (i * 7919) % 1500  # sizes vary, so a torn or mixed file would show
        records = [{"epoch": e, "train_loss": 1.0 / (e + 1), "n": n, "marker": i} for e in range(n)]
        if kind == "json":
            write_json(path, config, records, {"status": "completed", "n": n, "marker": i})
        else:
            write_csv(path, records, ["epoch", "train_loss", "n", "marker"])
""")
KILL_TRIALS = 10


def _check_history_file(path: Path, kind: str) -> int:
    """The file is one complete write; returns its marker."""
    if kind == "json":
        payload = json.loads(path.read_text())
        final = payload["final"]
        assert len(payload["history"]) == final["n"]
        assert {r["marker"] for r in payload["history"]} == {final["marker"]}
        return final["marker"]
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows and len(rows) == int(rows[0]["n"])
    assert len({r["marker"] for r in rows}) == 1 and all(r["train_loss"] for r in rows)
    return int(rows[0]["marker"])


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_sigkill_during_history_writes_never_leaves_a_torn_file(tmp_path, kind):
    rng = random.Random(f"kill-{kind}")
    path = tmp_path / f"history.{kind}"
    markers = []
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(KILL_TRIALS):
        path.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), kind], cwd=REPO, env=env)
        try:
            # Kill after a random number of completed writes (not a random time: on a loaded
            # machine the writer may not have started yet), at a random moment of the next one.
            writes = rng.randrange(6)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (path.exists() and _check_history_file(path, kind) >= writes):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        markers.append(_check_history_file(path, kind))
    assert len(set(markers)) > 1  # the kills landed at different moments
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    print(f"\natomic {kind}: {KILL_TRIALS} SIGKILLs, the file parsed every time (writes done when killed: "
          f"{markers}; {len(leftovers)} temporary files left by the kills)")
