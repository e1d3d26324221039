"""``mlp-tui export``: a checkpoint's weights, dataset and history as files other tools read
(weights as JSON or NPZ, the dataset and the history as CSV, the history also as JSON)."""
from __future__ import annotations

import argparse

from engine.errors import EngineError

from .cli import UsageError, _fail, _one_line_error, resolve_config
from .export import run_copy, suffix_problem, write

OUTPUTS = (("weights", "FILE.json|FILE.npz", "the weights: one W and b per layer, with shape and activation"),
           ("data", "FILE.csv", "the dataset: x1,x2,...,label rows, training then test"),
           ("history", "FILE.csv|FILE.json", "the per-epoch history"))
OUTPUT_FLAGS = tuple(f"--{name}" for name, _, _ in OUTPUTS)

EXPORT_EPILOG = """\
examples:
  mlp-tui export --load run.npz --weights w.json --data d.csv --history h.csv
  mlp-tui --dataset d.csv                   train again on the exported (or drawn) data

exit status: 0 written, 1 a file problem, 2 bad arguments.
"""


def add_export_parser(sub) -> None:
    p = sub.add_parser("export", help="write a checkpoint's weights, dataset and history as JSON/NPZ/CSV",
                       description="Write a checkpoint's weights, dataset and history in formats other "
                                   "tools read.",
                       epilog=EXPORT_EPILOG, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--load", metavar="FILE.npz", required=True, help="the checkpoint to export")
    g = p.add_argument_group("outputs (at least one)")
    for name, metavar, text in OUTPUTS:
        g.add_argument(f"--{name}", metavar=metavar, help=text)


def _outputs(args) -> list[tuple[str, str]]:
    """(kind, path) for each output flag given; UsageError for none or a wrong suffix."""
    outputs = [(name, getattr(args, name)) for name, _, _ in OUTPUTS if getattr(args, name) is not None]
    if not outputs:
        raise UsageError(f"export: give at least one of {', '.join(OUTPUT_FLAGS)}")
    for kind, path in outputs:
        problem = suffix_problem(kind, path)
        if problem:
            raise UsageError(f"--{kind} {problem}")
    return outputs


def run_export(args) -> int:
    from .clashes import output_clash
    from .fields import load_checkpoint
    from .resume import build_run

    try:
        outputs = _outputs(args)
        checkpoint = load_checkpoint(args.load)
        config = resolve_config(args, checkpoint)
        clash = output_clash(args, config, OUTPUT_FLAGS)
        if clash:
            raise UsageError(clash)
        copy = run_copy(build_run(config, checkpoint))
    except UsageError as e:
        return _fail(str(e), 2)
    except (EngineError, OSError, ValueError) as e:
        return _fail(_one_line_error(e), 1)
    status = 0
    for kind, path in outputs:
        try:
            write(copy, kind, path)
        except (EngineError, OSError) as e:
            _fail(_one_line_error(e), 1)
            status = 1
        else:
            print(f"wrote {path}", flush=True)
    return status
