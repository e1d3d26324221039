"""The ``mlp-tui`` command: open the dashboard, or ``mlp-tui train`` to train headless.

Settings are layered, later winning: RunConfig defaults < --preset < the settings stored in a
--load checkpoint < --config FILE.toml < flags given on the command line. Every value is
parsed by ``mlp_tui.fields.parse_field``, so the messages match the dashboard's form.

Exit status: 0 success, 1 a file problem, a diverged run or an output that could not be written,
2 a bad command line, 130 Ctrl+C. Errors are one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import sys
from dataclasses import fields

from engine.config import RunConfig
from engine.errors import EngineError, InitWeightsError, os_error_text

from . import __version__
from .fields import FIELDS, check, field_changes, parse_field, validate
from .pace import DEFAULT_SPEED, capped, format_speed, parse_speed
from .task import fixed_field_problem

PROG = "mlp-tui"
COLOR_CHOICES = ("auto", "color", "ascii")
PROGRESS_CHOICES = ("auto", "bar", "plain", "none")
FPS_RANGE = (1.0, 30.0)
DEFAULT_FPS = 10.0

# RunConfig field -> flag (all are --field-name except n_samples)
FLAG_NAMES = {name: "--" + ("samples" if name == "n_samples" else name.replace("_", "-")) for name in FIELDS}

DESCRIPTION = """\
Train small neural networks written from scratch in NumPy and watch backpropagation
happen, number by number. Without a command mlp-tui opens the dashboard;
'mlp-tui train' trains without it (see 'mlp-tui train --help'); 'mlp-tui compare'
trains two variants side by side (see 'mlp-tui compare --help'); 'mlp-tui serve' gives
each browser its own dashboard (see 'mlp-tui serve --help'); 'mlp-tui export' writes a
checkpoint's weights, data and history as JSON/NPZ/CSV (see 'mlp-tui export --help')."""

EPILOG = """\
examples:
  mlp-tui                                   the dashboard with the default run (two moons)
  mlp-tui --preset xor-2-3-2                the classic XOR lesson
  mlp-tui --dataset data.csv --hidden 32,16 --lr 0.005
  mlp-tui --config run.toml --lr 0.1        a settings file, with the learning rate overridden
  mlp-tui --no-color --low-bandwidth        over a slow SSH link or a 16-colour terminal
  mlp-tui train --preset spiral --json out.json --csv out.csv --save spiral.npz
  mlp-tui train --load spiral.npz --epochs 50   continue a saved run
  mlp-tui compare --preset xor-2-3-2 --a hidden=3 --b hidden=50   two networks side by side
  mlp-tui serve --preset xor-2-3-2 --lock lr   the dashboard in students' browsers

settings are applied in this order, later winning: defaults, --preset, the settings
stored in a --load checkpoint, --config, then the flags on the command line.
"""

TRAIN_EPILOG = """\
examples:
  mlp-tui train --preset xor-2-3-2 --epochs 2000
  mlp-tui train --dataset moons --samples 500 --epochs 50 --json run.json --csv run.csv
  mlp-tui train --load run.npz --epochs 20 --save run.npz

exit status: 0 done, 1 diverged or a file problem, 2 bad arguments, 130 interrupted (Ctrl+C;
143 SIGTERM, 129 SIGHUP, 141 broken pipe; the epochs completed so far are still written).
memory: runs larger than MLP_TUI_MEMORY_LIMIT (default: half the available RAM) are refused.
"""


class UsageError(Exception):
    """A bad command line (exit status 2)."""


# Arguments argparse must read as values, not options: besides -3 and -.5 (its own pattern),
# -1e-3, -inf and -nan, so that "--lr -inf" reaches the field's parser and its range message.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class ArgumentParser(argparse.ArgumentParser):
    """Errors are ONE line naming the flag (no usage dump) and exit with status 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        unknown = unknown_option(self, args)
        if unknown:
            self.error(unknown)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):  # noqa: D401 - argparse API
        if message.startswith("argument "):
            head, sep, rest = message[len("argument "):].partition(": ")
            if sep and head.startswith("{"):  # the subcommand position
                bad = rest.partition("invalid choice: ")[2].split(" (")[0]
                message = (f"unknown command {bad} (the commands are 'train', 'compare', 'serve' and 'export'; options start with --; "
                           f"see {PROG} --help)")
            elif sep:
                message = f"{head.split('/')[0]}: {rest}"
        elif message.startswith("unrecognized arguments: "):
            message = f"unknown option or extra argument: {message.partition(': ')[2]} (see {self.prog} --help)"
        message = message.replace("\n", " ")
        self.exit(2, f"{PROG}: error: {message}\n")


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option the parser and its subcommands know."""
    names = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_strings(sub)
    return names


def unknown_option(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """A message naming the first --option nobody knows, with the nearest real one; otherwise
    argparse would take the option's value for the command ("unknown command '8'" for --hid 8)."""
    known = _option_strings(parser)
    for token in args:
        if token == "--":
            return None
        name = token.split("=", 1)[0]
        if not name.startswith("--") or name in known:
            continue
        starting = sorted(k for k in known if k.startswith(name))
        close = starting or difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {' or '.join(close[:3])}?" if close else f"see {PROG} --help"
        return f"{name[:40]}: unknown option ({hint})"
    return None


def _field_type(name: str):
    def parse(text: str):
        try:
            return parse_field(name, text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = name
    return parse


def _choice_type(choices, what: str):
    """An argparse type accepting one of ``choices`` (a tuple, or a callable giving one lazily)."""
    def parse(text: str) -> str:
        allowed = choices() if callable(choices) else choices
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(allowed)}; got {text[:40]!r}")
        return text
    parse.__name__ = what
    return parse


def _preset_names() -> tuple[str, ...]:
    from engine.presets import PRESETS

    return tuple(PRESETS)


_preset_type = _choice_type(_preset_names, "preset")
_color_type = _choice_type(COLOR_CHOICES, "color")
_progress_type = _choice_type(PROGRESS_CHOICES, "progress")


def _fps_type(text: str) -> float:
    lo, hi = FPS_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and lo <= value <= hi):
        raise argparse.ArgumentTypeError(f"must be a number from {lo:g} to {hi:g}; got {text[:30]!r}")
    return value


def _speed_type(text: str) -> float | None:
    try:
        return parse_speed(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _field_help(name: str) -> str:
    f = FIELDS[name]
    text = f.label
    if f.kind == "choice":
        text += ": " + ", ".join(f.choices)
    elif f.kind in ("int", "batch"):
        text += f" ({int(f.lo)} to {int(f.hi)}{', or full' if f.kind == 'batch' else ''})"
    elif f.kind in ("float", "rates"):
        text += f" ({f.lo:g} to {f.hi:g})"
    if f.help:
        text += f"; {f.help}"
    if f.optional:
        text += f"; default: {f.blank}"
    else:
        text += f"; default {_show_default(name)}"
    return text.replace("%", "%%")


def _show_default(name: str) -> str:
    from .fields import format_field

    return format_field(name, getattr(RunConfig(), name)) or "none"


def _add_run_options(p: argparse.ArgumentParser) -> None:
    from engine.presets import PRESETS

    g = p.add_argument_group("run settings")
    g.add_argument("--preset", type=_preset_type, metavar="NAME", default=argparse.SUPPRESS,
                   help=f"start from a named run: {', '.join(PRESETS)}")
    g.add_argument("--config", metavar="FILE.toml", default=argparse.SUPPRESS,
                   help="read settings from a TOML file of 'key = value' lines")
    g.add_argument("--load", metavar="FILE.npz", default=argparse.SUPPRESS,
                   help="continue from a checkpoint (its settings, weights, optimizer state, history)")
    for name, f in FIELDS.items():
        flag = FLAG_NAMES[name]
        if f.kind == "bool":
            g.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                           help=_field_help(name))
            continue
        metavar = {"layers": "W[:ACT],W", "features": "F,F", "choice": "NAME", "text": "NAME|FILE", "batch": "N|full",
                   "int": "N", "float": "X", "matrix": "X,X;X,X", "rates": "R|R,R"}[f.kind]
        if name == "init_weights":
            metavar = "FILE.npz|FILE.json"
        g.add_argument(flag, dest=name, type=_field_type(name), metavar=metavar, default=argparse.SUPPRESS,
                       help=_field_help(name))


def _add_display_options(p: argparse.ArgumentParser) -> None:
    d = p.add_argument_group("display (dashboard only)")
    d.add_argument("--color", type=_color_type, default="auto", metavar="auto|color|ascii",
                   help="colours, or ascii shading for 16-colour terminals and projectors; "
                        "auto: ascii when NO_COLOR is set or TERM is dumb or 16-colour (default auto)")
    d.add_argument("--no-color", action="store_true", help="same as --color ascii")
    d.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    d.add_argument("--low-bandwidth", action="store_true", help="fewer, smaller redraws (slow SSH links)")
    d.add_argument("--speed", type=_speed_type, default=argparse.SUPPRESS, metavar="N|max",
                   help=f"training steps per second, 0.1 to 100000, or max; + and - change it while "
                        f"training (default {format_speed(DEFAULT_SPEED)}; TOML key speed)")
    d.add_argument("--fps", type=_fps_type, default=DEFAULT_FPS, metavar="N",
                   help=f"how often the numbers refresh per second, 1 to 30 (default {DEFAULT_FPS:g})")


def _parsed_by(parse, what: str):
    """An argparse type calling ``parse`` (which raises ValueError with a one-line message)."""
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = what
    return convert


def _add_teacher_options(p: argparse.ArgumentParser) -> None:
    from . import teacher

    t = p.add_argument_group("teacher controls (dashboard only; a --config file may also set lock and hide)")
    t.add_argument("--lock", type=_parsed_by(teacher.parse_lock, "lock"), default=frozenset(), metavar="FIELD,...",
                   help="form fields students cannot change, e.g. lr,hidden (names as in a settings "
                        "file; preset locks the preset chooser)")
    t.add_argument("--hide", type=_parsed_by(teacher.parse_hide, "hide"), default=frozenset(), metavar="PANEL,...",
                   help="panels not shown: form, metrics, boundary, inspector, network")
    files = t.add_mutually_exclusive_group()
    files.add_argument("--files", type=_parsed_by(teacher.parse_folder, "files"), metavar="DIR",
                       help="save and load only plain file names inside DIR (for a class)")
    files.add_argument("--no-files", action="store_true", help="no saving or loading at all (for a class)")


def _add_pace_limit(p: argparse.ArgumentParser) -> None:
    """--max-speed, for the dashboard and mlp-tui serve (a class shares the server's CPU)."""
    p.add_argument("--max-speed", type=_speed_type, default=None, metavar="N|max",
                   help="the fastest pace + reaches (default: no limit; mlp-tui serve: "
                        f"{format_speed(DEFAULT_SPEED)})")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG, allow_abbrev=False,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{train,compare,serve,export}", title="commands",
                                parser_class=ArgumentParser)
    train = sub.add_parser("train", help="train without the dashboard; print progress and export results",
                           description="Train headless: progress on the terminal, results to JSON, CSV "
                                       "and a checkpoint.",
                           epilog=TRAIN_EPILOG, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(parser)
    _add_display_options(parser)
    _add_teacher_options(parser)
    _add_pace_limit(parser)
    from .compare_cli import add_compare_parser  # it builds on this module's option helpers

    add_compare_parser(sub)
    from .serve_cli import add_serve_parser

    add_serve_parser(sub)
    from .export_cli import add_export_parser

    add_export_parser(sub)

    _add_run_options(train)
    o = train.add_argument_group("outputs")
    o.add_argument("--json", metavar="FILE", help="write the settings, per-epoch history and final metrics")
    o.add_argument("--csv", metavar="FILE", help="write the per-epoch history as CSV")
    o.add_argument("--save", metavar="FILE.npz", help="write a checkpoint at the end")
    o.add_argument("--progress", type=_progress_type, default="auto", metavar="auto|bar|plain|none",
                   help="a progress bar on a terminal, plain lines otherwise (default auto)")
    return parser


# ----------------------------------------------------------------------------------- colour


_TRUECOLOR_TERMS = ("xterm-kitty", "alacritty", "wezterm", "foot", "xterm-ghostty", "contour", "iterm2")


def resolve_color(choice: str, env=None) -> str:
    """"color" or "ascii" for --color ``choice`` ("auto", "color", "ascii") in environment ``env``.

    auto is ascii when NO_COLOR is set (to anything non-empty, see no-color.org), when TERM is
    unset, empty or "dumb", or when TERM names a 16-colour terminal (xterm, linux, vt100, screen);
    it is color when COLORTERM says truecolor/24bit, under Windows Terminal, or when TERM names a
    256-colour or truecolor terminal.
    """
    if choice in ("color", "ascii"):
        return choice
    env = os.environ if env is None else env
    if env.get("NO_COLOR", ""):
        return "ascii"
    term = (env.get("TERM") or "").strip().lower()
    if term == "dumb":
        return "ascii"
    if (env.get("COLORTERM") or "").strip().lower() in ("truecolor", "24bit"):
        return "color"
    if env.get("WT_SESSION"):  # Windows Terminal sets no TERM
        return "color"
    if not term or term == "unknown":
        return "ascii"
    if "256" in term or "truecolor" in term or "direct" in term or term.startswith(_TRUECOLOR_TERMS):
        return "color"
    return "ascii"


# ----------------------------------------------------------------------------------- settings


def _flag_values(args) -> dict:
    """Only the RunConfig fields given on the command line."""
    out = {}
    for f in fields(RunConfig):
        if hasattr(args, f.name):
            value = getattr(args, f.name)
            if FIELDS[f.name].kind == "bool":  # BooleanOptionalAction gives a bool; parse it all the same
                value = parse_field(f.name, "true" if value else "false")
            out.update(field_changes(f.name, value))
    return out


def resolve_config(args, checkpoint=None) -> RunConfig:
    """Defaults < preset < checkpoint settings < config file < explicit flags; validated.

    Raises UsageError (exit 2) for flag combinations, ConfigFileError for the settings file.
    """
    from engine.presets import get

    config = RunConfig()
    preset = getattr(args, "preset", None)
    if preset is not None:
        config = get(preset).config
    if checkpoint is not None:
        from .resume import checkpoint_config

        config = checkpoint_config(checkpoint, config)
    config_path = getattr(args, "config", None)
    if config_path is not None:
        from .settings_file import load_config

        config = load_config(config_path, base=config)
    flags = _flag_values(args)
    config = config.replace(**flags)
    fixed = fixed_field_problem(config, flags)
    if fixed:
        raise UsageError(f"{FLAG_NAMES[fixed[0]]}: {fixed[1]}")
    problems = check(config)
    if problems:
        name, message = problems[0]
        culprit = next((n for n in (name, "loss", "output") if n in flags), None)
        if culprit is not None:
            raise UsageError(f"{FLAG_NAMES[culprit]}: {message}")
        source = config_path or (checkpoint.path if checkpoint is not None else None) or f"preset {preset}"
        raise UsageError(f"{source}: {message}")
    try:
        return validate(config)
    except ValueError as e:  # a preset or file value out of range: validate names the field
        raise UsageError(str(e)) from None


# ----------------------------------------------------------------------------------- commands


def has_terminal() -> bool:
    """The dashboard reads keys from stdin and draws on stdout; without a terminal it would wait for ever."""
    return all(stream is not None and stream.isatty() for stream in (sys.__stdin__, sys.__stdout__))


def _dashboard_settings(args) -> dict:
    """The dashboard keys (speed, lock, hide) of the --config file, if any."""
    config_path = getattr(args, "config", None)
    if config_path is None:
        return {}
    from .settings_file import load_dashboard_settings

    return load_dashboard_settings(config_path)


def _speed(args, settings: dict) -> float | None:
    """--speed, else the settings file's ``speed`` key, else the default pace."""
    if hasattr(args, "speed"):
        return args.speed
    return settings.get("speed", DEFAULT_SPEED)


def dashboard_options(args):
    """The display flags, the pace and the teacher controls as DashboardOptions; --lock and
    --hide add to the settings file's lock and hide (``mlp-tui compare`` has no teacher controls)."""
    from .options import DashboardOptions

    settings = _dashboard_settings(args)
    color = "ascii" if args.no_color else resolve_color(args.color, os.environ)
    return DashboardOptions(color=color, mouse=not args.no_mouse, low_bandwidth=args.low_bandwidth,
                            fps=float(args.fps), preset=getattr(args, "preset", None),
                            config_path=getattr(args, "config", None),
                            speed=capped(_speed(args, settings), getattr(args, "max_speed", None)),
                            max_speed=getattr(args, "max_speed", None),
                            locked=getattr(args, "lock", frozenset()) | settings.get("lock", frozenset()),
                            hidden=getattr(args, "hide", frozenset()) | settings.get("hide", frozenset()),
                            files=getattr(args, "files", None), files_off=getattr(args, "no_files", False))


def no_terminal() -> int | None:
    """Exit status 2 with one line when there is no terminal to draw on (a dashboard would wait
    for ever), else None."""
    if has_terminal() or os.environ.get("TEXTUAL_DRIVER"):  # a driver of its own, e.g. mlp-tui serve's
        return None
    return _fail(f"the dashboard needs a terminal; to train without one use `{PROG} train`", 2)


def _dashboard(args, run) -> int:
    if (status := no_terminal()) is not None:
        return status
    options = dashboard_options(args)
    try:
        from mlp_tui.app import run_dashboard
    except ImportError as e:
        raise EngineError(f"the dashboard cannot start: {e}") from None
    result = run_dashboard(run, options)
    return int(result or 0)


def _train(args, config: RunConfig, run) -> int:
    from .headless import run_headless

    return run_headless(run, config.epochs, json_path=args.json, csv_path=args.csv, save_path=args.save,
                        progress=args.progress, steps=config.steps, log_every=config.log_every)


def _one_line_error(e: BaseException) -> str:
    if isinstance(e, OSError) and not isinstance(e, EngineError):
        if e.filename is not None and e.strerror:
            return f"{e.filename}: {os_error_text(e)}"
        return str(e) or type(e).__name__
    return str(e) or type(e).__name__


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return status


def main(argv=None) -> int:
    """Entry point of the ``mlp-tui`` command; returns the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130


def _main(argv) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a bad argument (already reported)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if args.command == "compare":
        from .compare_cli import run_compare

        return run_compare(args)
    if args.command == "serve":
        from .serve_cli import run_serve

        return run_serve(args, argv)
    if args.command == "export":
        from .export_cli import run_export

        return run_export(args)
    try:
        checkpoint = None
        load_path = getattr(args, "load", None)
        if load_path is not None:
            from .fields import load_checkpoint

            checkpoint = load_checkpoint(load_path)
        config = resolve_config(args, checkpoint)
        if args.command == "train":
            from .clashes import output_clash

            clash = output_clash(args, config)
            if clash:
                raise UsageError(clash)
        from .resume import build_run

        run = build_run(config, checkpoint)  # a bad dataset fails here, before any dashboard opens
    except (UsageError, InitWeightsError) as e:  # an initial-weights file is an argument
        return _fail(str(e), 2)
    except (EngineError, OSError, ValueError) as e:
        return _fail(_one_line_error(e), 1)
    try:
        if args.command == "train":
            return _train(args, config, run)
        return _dashboard(args, run)
    except (EngineError, OSError) as e:
        return _fail(_one_line_error(e), 1)
