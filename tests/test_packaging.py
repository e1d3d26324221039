"""Packaging: the version is written once (pyproject.toml), and the wheel carries the py.typed
markers that tell type checkers both packages are typed."""
import importlib
import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import mlp_tui

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
DECLARED = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_the_version_is_the_one_pyproject_declares():
    assert mlp_tui.__version__ == DECLARED
    assert DECLARED not in (REPO / "mlp_tui" / "__init__.py").read_text()  # read, not copied


def test_a_source_tree_never_installed_reads_pyproject(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    try:
        assert importlib.reload(mlp_tui).__version__ == DECLARED
    finally:
        monkeypatch.undo()
        importlib.reload(mlp_tui)


def test_the_wheel_carries_the_typed_markers(tmp_path):
    source = tmp_path / "src"
    for name in ("engine", "mlp_tui"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    wheel, = (tmp_path / "dist").glob("mlp_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"engine/py.typed", "mlp_tui/py.typed"} <= names
