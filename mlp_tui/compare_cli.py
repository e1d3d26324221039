"""``mlp-tui compare``: two runs that differ in a few settings, trained side by side.

Each side's settings are layered, later winning: the shared settings (defaults < --preset <
--config), the side's preset:NAME or FILE.toml, the shared flags given on the command line, then
the side's field=value items. Both runs share one dataset, so they see the same data, seed and
batches.
"""
from __future__ import annotations

import argparse
import difflib

from engine.config import RunConfig
from engine.errors import EngineError

from .cli import (UsageError, _add_display_options, _add_run_options, _fail, _flag_values, _one_line_error,
                  dashboard_options, no_terminal)
from .fields import FIELDS, check, field_changes, parse_field, validate
from .settings_file import ConfigFileError

SIDES = ("a", "b")

COMPARE_EPILOG = """\
a side is a comma-separated list of field=value items (any run setting, named as in a settings
file: hidden, lr, activation, batch_size ...), optionally starting with preset:NAME or a
FILE.toml; --a and --b may be repeated. Unless a side changes them, both runs share the
dataset, the seed and so the batches.

examples:
  mlp-tui compare --preset xor-2-3-2 --a hidden=3 --b hidden=50
  mlp-tui compare --a lr=0.001 --b lr=0.1 --epochs 50
  mlp-tui compare --a activation=sigmoid --b activation=relu,hidden=32,32
  mlp-tui compare --a preset:xor-2-3-2 --b lesson.toml,lr=1

keys: space starts/pauses both, s steps both, + and - change the shared pace, tab chooses the
network the inspector shows (n takes one traced step on both and walks the chosen one's).
"""


def add_compare_parser(sub) -> None:
    p = sub.add_parser("compare", help="train two variants side by side on the same data and batches",
                       description="Train two networks side by side on the same data, seed and batches: "
                                   "two decision boundaries, their losses on one chart.",
                       epilog=COMPARE_EPILOG, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("the two sides")
    for side in SIDES:
        g.add_argument(f"--{side}", action="append", default=[], metavar="SPEC",
                       help=f"what network {side.upper()} changes: field=value[,field=value...], "
                            f"preset:NAME or FILE.toml")
    _add_run_options(p)
    _add_display_options(p)


# ----------------------------------------------------------------------------------- side specs


def split_spec(text: str) -> list[str]:
    """Comma-separated items; a piece without '=' continues the previous value (hidden=16,16)."""
    items: list[str] = []
    for piece in text.split(","):
        piece = piece.strip()
        if items and "=" in items[-1] and "=" not in piece and not _is_source(piece):
            items[-1] += "," + piece
        elif piece:
            items.append(piece)
    return items


def _is_source(item: str) -> bool:
    return item.startswith("preset:") or item.lower().endswith(".toml")


def _field_name(key: str) -> str:
    name = key.strip().replace("-", "_")
    if name in FIELDS:
        return name
    close = difflib.get_close_matches(name, list(FIELDS), n=1)
    hint = f"did you mean {close[0]}?" if close else f"known settings: {', '.join(FIELDS)}"
    raise ValueError(f"unknown setting {key.strip()[:40]!r} ({hint})")


def parse_side(specs: list[str]) -> tuple[list[str], dict]:
    """The sources (preset:NAME, FILE.toml) and the field values one side's --a/--b give.
    Raises ValueError naming the field."""
    sources, values = [], {}
    for item in (i for spec in specs for i in split_spec(spec)):
        if _is_source(item):
            sources.append(item)
            continue
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"{item[:40]!r} is not field=value, preset:NAME or a FILE.toml")
        name = _field_name(key)
        values.update(field_changes(name, parse_field(name, text)))
    return sources, values


def _apply_source(config: RunConfig, source: str) -> RunConfig:
    if source.startswith("preset:"):
        from engine.presets import PRESETS

        name = source.removeprefix("preset:")
        if name not in PRESETS:
            raise ValueError(f"preset: must be one of {', '.join(PRESETS)}; got {name[:40]!r}")
        return PRESETS[name].config
    from .settings_file import load_config

    return load_config(source, base=config)


def shared_base(args) -> RunConfig:
    """The shared settings below the command-line flags: defaults < --preset < --config."""
    from engine.presets import get

    preset = getattr(args, "preset", None)
    config = get(preset).config if preset is not None else RunConfig()
    config_path = getattr(args, "config", None)
    if config_path is not None:
        from .settings_file import load_config

        config = load_config(config_path, base=config)
    return config


def side_configs(args) -> tuple[RunConfig, RunConfig]:
    """A's and B's validated settings. Raises UsageError naming --a or --b (and the field), or
    ConfigFileError for a settings file."""
    if hasattr(args, "load"):
        raise UsageError("--load: compare starts both networks fresh; give each side a preset or settings file")
    if not (args.a or args.b):
        raise UsageError("compare needs --a or --b, e.g. --a hidden=3 --b hidden=50")
    base, flags = shared_base(args), _flag_values(args)
    out = []
    for side in SIDES:
        flag = f"--{side}"
        try:
            sources, values = parse_side(getattr(args, side))
            config = base
            for source in sources:
                config = _apply_source(config, source)
            config = config.replace(**flags).replace(**values)
            problems = check(config)
            if problems:
                raise ValueError(problems[0][1])
            out.append(validate(config))
        except ConfigFileError as e:  # a file problem (exit 1), named with the side's flag
            raise ConfigFileError(f"{flag}: {e}", e.path, e.line) from None
        except ValueError as e:
            raise UsageError(f"{flag}: {e}") from None
    return out[0], out[1]


# ----------------------------------------------------------------------------------- the command


def run_compare(args) -> int:
    try:
        config_a, config_b = side_configs(args)
        from .compare_session import build_pair

        runs = build_pair(config_a, config_b)
    except UsageError as e:
        return _fail(str(e), 2)
    except (EngineError, OSError, ValueError) as e:
        return _fail(_one_line_error(e), 1)
    try:
        from .compare_app import run_compare_app
    except ImportError as e:
        return _fail(f"the dashboard cannot start: {e}", 1)
    try:
        if (status := no_terminal()) is not None:
            return status
        return run_compare_app(runs, dashboard_options(args))
    except (EngineError, OSError) as e:
        return _fail(_one_line_error(e), 1)
