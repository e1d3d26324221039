"""Run settings in a small TOML file: ``key = value`` lines, one per RunConfig field.

``read_config(path)`` returns the raw table (errors name the file and, for bad TOML, the line);
``load_config(path, base)`` also turns it into a validated RunConfig; ``write_config(path, config)``
writes a file that reads back as an equal RunConfig. Writes are atomic.

Example::

    # mlp-tui settings
    dataset = "moons"
    n_samples = 1000
    hidden = [16, 16]
    lr = 0.01
    batch_size = 32
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from engine.atomic import atomic_write, missing_place
from engine.config import RunConfig
from engine.errors import EngineError, file_error, not_utf8
from engine.inputs import not_a_file, read_input
from mlp_tui.fields import FIELDS, from_mapping
from mlp_tui.pace import parse_speed
from mlp_tui.teacher import parse_hide, parse_lock

# Keys that set up the dashboard rather than the training run: name -> parser (raises ValueError).
DASHBOARD_KEYS = {"speed": parse_speed, "lock": parse_lock, "hide": parse_hide}

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_BYTES = 1_000_000  # a settings file is a few hundred bytes; refuse anything absurd


class ConfigFileError(EngineError, ValueError):
    """A settings file could not be read, parsed or written; the message names the file."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path, self.line = path, line


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_config(path) -> dict:
    """The TOML file's top-level table. Raises ConfigFileError naming the file (and line)."""
    shown = os.fspath(path)
    data = _parse_toml(_read_text(Path(shown).expanduser(), shown), shown)
    for key, value in data.items():
        if isinstance(value, dict):
            raise ConfigFileError(f"{shown}: sections such as [{key}] are not supported; "
                                  f"write plain 'key = value' lines", shown)
    return data


def _read_text(p: Path, shown: str) -> str:
    """The file's text: UTF-8, not empty."""
    problem = not_a_file(p, shown, "settings file")
    if problem:
        raise ConfigFileError(problem, shown)
    raw = read_input(p, shown, MAX_BYTES, ConfigFileError)  # no hang on a FIFO, no /dev/zero
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        message, line = not_utf8(shown, raw, e)
        raise ConfigFileError(message, shown, line) from None
    if not text.strip():  # valid TOML, but a 0-byte settings file is a failed save or the wrong file
        raise ConfigFileError(f"{shown}: the settings file is empty; write 'key = value' lines "
                              f"such as lr = 0.01", shown)
    return text


def _parse_toml(text: str, shown: str) -> dict:
    """The TOML table; a syntax error names its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message, line = _toml_problem(e, text)
        where = f"line {line}: " if line else ""
        raise ConfigFileError(f"{shown}: {where}invalid TOML: {message}", shown, line) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigFileError(f"{shown}: values nested too deeply; a settings file holds plain "
                              f"'key = value' lines", shown) from None


def _toml_problem(e, text: str) -> tuple[str, int | None]:
    """tomllib's message without its position, and the line it names."""
    message = str(e)
    line = getattr(e, "lineno", None)
    m = _AT_LINE.search(message)
    if m:
        line = int(m.group(1))
        message = message[:m.start()]
    elif message.endswith("(at end of document)"):
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
        message = message[:-len("(at end of document)")].rstrip() + " at the end of the file"
    return message, line


def load_config(path, base: RunConfig | None = None) -> RunConfig:
    """Read ``path`` and apply its settings over ``base``; errors name the file."""
    shown = os.fspath(path)
    data = {k: v for k, v in read_config(path).items() if k not in DASHBOARD_KEYS}
    try:
        return from_mapping(data, base=base, source=shown)
    except ValueError as e:
        message = str(e)
        if not message.startswith(shown):
            message = f"{shown}: {message}"
        raise ConfigFileError(message, shown) from None


def load_dashboard_settings(path) -> dict:
    """The dashboard keys (such as ``speed``) the file sets, parsed; errors name file and key."""
    shown = os.fspath(path)
    out = {}
    for key, value in read_config(path).items():
        if key in DASHBOARD_KEYS:
            try:
                out[key] = DASHBOARD_KEYS[key](value)
            except ValueError as e:
                raise ConfigFileError(f"{shown}: {key}: {e}", shown) from None
    return out


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(float(value))  # e.g. 0.01, 5.0, 1e-06: all valid TOML floats
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dumps_config(config: RunConfig, dashboard: dict | None = None) -> str:
    """The TOML text ``write_config`` writes: the run's settings, then any dashboard settings
    (``{"speed": None}`` is written as ``speed = "max"``)."""
    lines = ["# mlp-tui settings: mlp-tui --config FILE (flags given on the command line win)"]
    settings = config.to_dict()  # hidden with per-layer activations as its text, 8:relu,8
    for name in FIELDS:
        value = settings[name]
        if value is None:
            continue  # "the dataset's default"
        lines.append(f"{name} = {_toml_value(value)}")
    for name, value in (dashboard or {}).items():
        lines.append(f"{name} = {_toml_value('max' if value is None else value)}")
    return "\n".join(lines) + "\n"


def write_config(path, config: RunConfig, dashboard: dict | None = None) -> Path:
    """Write ``config`` (and ``dashboard`` settings) to ``path`` atomically; raises
    ConfigFileError naming the file."""
    shown = os.fspath(path)
    p = Path(shown).expanduser()
    problem = missing_place(p, shown, "cannot save")
    if problem:
        raise ConfigFileError(problem, shown)
    data = dumps_config(config, dashboard).encode("utf-8")
    try:
        with atomic_write(p) as f:
            f.write(data)
    except OSError as e:
        raise ConfigFileError(file_error(shown, "cannot save", e), shown) from None
    return p
