"""mlp-tui: a terminal dashboard for training small neural networks and seeing backpropagation."""
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version() -> str:
    """The version pyproject.toml declares (the one place it is written): from the installed
    package's metadata, or, in a source tree that was never installed, from pyproject.toml itself."""
    try:
        return version("mlp-tui")
    except PackageNotFoundError:
        pass
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, tomllib.TOMLDecodeError, KeyError):  # copied without its pyproject.toml
        return "0+unknown"


__version__ = _version()
