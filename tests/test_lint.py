"""ruff and mypy, configured in pyproject.toml, run clean over the code base.

They run as a test so the README's one test command (and .ci/run, which calls exactly it) checks
them too; both come with the test extra.
"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = run_tool("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing():
    done = run_tool("mypy")  # the files and options come from [tool.mypy]
    assert done.returncode == 0, done.stdout + done.stderr
