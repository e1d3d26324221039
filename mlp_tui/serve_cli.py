"""``mlp-tui serve``: the command line of the class server (the server itself is mlp_tui.serve).

Every dashboard option given to ``serve`` (run settings, display, teacher controls) is checked
here once, then passed unchanged to each browser's own ``mlp-tui`` process, plus the class
defaults: no files unless --files DIR, and no pace above the default unless --max-speed.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys

from engine.errors import EngineError, InitWeightsError

from .cli import (PROG, UsageError, _add_display_options, _add_pace_limit, _add_run_options, _add_teacher_options,
                  _fail, _one_line_error, dashboard_options, resolve_config)
from .fields import load_checkpoint
from .resume import build_run
from .pace import DEFAULT_SPEED

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 10
DEFAULT_IDLE_TIMEOUT = 1200.0
PORT_RANGE = (1, 65535)
SESSIONS_RANGE = (1, 1000)
IDLE_RANGE = (1.0, 7 * 24 * 3600.0)
# serve's own options, with whether each takes a value; everything else goes to the dashboards
SERVE_ONLY = {"--host": True, "--port": True, "--public": False, "--max-sessions": True, "--idle-timeout": True}

SERVE_EPILOG = f"""\
every browser that opens the page gets its own dashboard, started with the options given here.
safe by default: only this machine can connect (--host {DEFAULT_HOST}); saving and loading are
off unless --files DIR (then plain file names inside DIR only); + stops at
{DEFAULT_SPEED:g} steps/s unless --max-speed; a browser idle for --idle-timeout seconds is
stopped; ctrl+c or SIGTERM stops the server and every dashboard.

examples:
  mlp-tui serve --preset xor-2-3-2 --lock lr,hidden    then open http://127.0.0.1:{DEFAULT_PORT}
  mlp-tui serve --config lesson.toml --files class/ --max-sessions 25
  mlp-tui serve --host 0.0.0.0 --public                 reachable by the whole network (no login!)

over SSH a student can reach a loopback server with: ssh -L {DEFAULT_PORT}:127.0.0.1:{DEFAULT_PORT} HOST
"""

INSTALL_HINT = f'{PROG} serve needs textual-serve: pip install "mlp-tui[serve]"'


def _ranged(kind, lo, hi, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {what} from {lo:g} to {hi:g}; got {text[:30]!r}")
        return value
    parse.__name__ = what
    return parse


def add_serve_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve the dashboard to browsers, one per student",
                       description="Serve the dashboard over HTTP: each browser gets its own dashboard "
                                   "and its own training run.",
                       epilog=SERVE_EPILOG, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    s = p.add_argument_group("server")
    s.add_argument("--host", default=DEFAULT_HOST, metavar="ADDRESS",
                   help=f"the address to listen on (default {DEFAULT_HOST}: this machine only)")
    s.add_argument("--port", type=_ranged(int, *PORT_RANGE, "a port"), default=DEFAULT_PORT, metavar="N",
                   help=f"the port to listen on (default {DEFAULT_PORT})")
    s.add_argument("--public", action="store_true",
                   help="allow a --host other than this machine: anyone who can reach the port gets a dashboard")
    s.add_argument("--max-sessions", type=_ranged(int, *SESSIONS_RANGE, "a count"), default=DEFAULT_MAX_SESSIONS,
                   metavar="N", help=f"browsers served at once; the next sees 'the class is full' "
                                     f"(default {DEFAULT_MAX_SESSIONS})")
    s.add_argument("--idle-timeout", type=_ranged(float, *IDLE_RANGE, "seconds"), default=DEFAULT_IDLE_TIMEOUT,
                   metavar="SECONDS", help=f"stop a dashboard after this long without a key or mouse event "
                                           f"from its browser (default {DEFAULT_IDLE_TIMEOUT:g})")
    _add_run_options(p)
    _add_display_options(p)
    _add_teacher_options(p)
    _add_pace_limit(p)


def is_loopback(host: str) -> bool:
    """Only this machine can reach ``host`` (names other than localhost are not trusted to be)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def dashboard_args(argv: list[str], option_takes_value: dict[str, bool]) -> list[str]:
    """``argv`` without the word serve and serve's own options: what each dashboard is given."""
    out: list[str] = []
    rest = iter(argv)
    command_seen = False
    for token in rest:
        name, has_value = token.split("=", 1)[0], "=" in token
        takes_value = {**option_takes_value, **SERVE_ONLY}.get(name, False) and not has_value
        if name in SERVE_ONLY:
            if takes_value:
                next(rest, None)
            continue
        if token == "serve" and not command_seen:
            command_seen = True
            continue
        out.append(token)
        if takes_value:
            out.append(next(rest, ""))
    return out


def session_command(args, passed: list[str]) -> list[str]:
    """The command each browser's dashboard runs: the options given, plus the class defaults."""
    command = [sys.executable, "-m", "mlp_tui", *passed]
    if getattr(args, "files", None) is None and not args.no_files:
        command.append("--no-files")  # no path ever comes from a browser
    if not any(token.split("=", 1)[0] == "--max-speed" for token in passed):  # "--max-speed max" lifts it
        command += ["--max-speed", f"{DEFAULT_SPEED:g}"]
    return command


def _check_dashboard(args) -> None:
    """Fail now, once, on settings every dashboard would fail on."""
    checkpoint = None
    if getattr(args, "load", None) is not None:
        checkpoint = load_checkpoint(args.load)
    build_run(resolve_config(args, checkpoint), checkpoint)
    dashboard_options(args)


def run_serve(args, argv: list[str]) -> int:
    """Check everything, then serve until ctrl+c or SIGTERM; the exit status."""
    try:
        import textual_serve  # noqa: F401 - an optional extra
    except ImportError:
        return _fail(INSTALL_HINT, 2)
    if not is_loopback(args.host) and not args.public:
        return _fail(f"--host {args.host[:60]}: not this machine only; add --public to let anyone who "
                     f"can reach the port open a dashboard", 2)
    try:
        _check_dashboard(args)
    except (UsageError, InitWeightsError) as e:
        return _fail(str(e), 2)
    except (EngineError, OSError, ValueError) as e:
        return _fail(_one_line_error(e), 1)
    from .cli import build_parser

    takes_value = {name: action.nargs != 0 for name, action in build_parser()._option_string_actions.items()}
    command = session_command(args, dashboard_args(argv, takes_value))
    if args.public:
        print(f"{PROG} serve: warning: listening on {args.host}: anyone who can reach port {args.port} "
              f"gets a dashboard (there is no login)", file=sys.stderr, flush=True)
    from .serve import ClassServer

    server = ClassServer(command, host=args.host, port=args.port, max_sessions=args.max_sessions,
                         idle_timeout=args.idle_timeout)
    try:
        server.serve()
    except OSError as e:
        return _fail(f"--port {args.port}: {e.strerror or e}", 1)
    return 0
