"""One flat description of a training run, shared by presets, the command line, TOML files and
the dashboard's form, plus text parsing whose error messages name the field and the allowed range.

``RunConfig`` holds typed values; ``FIELDS`` says, per field, its label, kind and range;
``parse_field(name, text)`` turns what a user typed into a value or raises ``ValueError`` with a
message such as "Learning rate: must be a number from 1e-06 to 1000; got 'abc'".
``build(config)`` loads the dataset and builds the network and the trainer.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .datasets import MAX_POINTS
from .initializers import INITS
from .losses import COMPATIBLE_OUTPUTS, LOSSES
from .network import GRAD_SCALES, MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES

MAX_TEXT = 200  # longer input is rejected before any parsing


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "moons"
    n_samples: int | None = None
    noise: float | None = None
    test_fraction: float | None = None
    classes: int | None = None
    standardize: bool = False
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    output: str = "softmax"
    single_output: bool = False
    loss: str = "cross_entropy"
    init: str = "auto"
    init_scale: float = 1.0
    dtype: str = "float64"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    batch_size: int | str = 32
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float = 0.0
    clip_value: float = 0.0
    schedule: str = "constant"
    decay: float = 0.5
    decay_every: int = 10
    seed: int = 0
    epochs: int = 100
    grad_scale: str = "mean"
    bias: bool = True
    init_weights: str | None = None
    points: tuple[tuple[float, ...], ...] = ()
    targets: tuple[tuple[float, ...], ...] = ()
    steps: int | None = None
    log_every: int | None = None

    def replace(self, **changes) -> "RunConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        for name in ("points", "targets"):
            d[name] = [list(row) for row in getattr(self, name)]
        return d


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # "int", "float", "choice", "layers", "batch", "text", "bool", "matrix"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # blank means "the dataset's default" (or what ``blank`` says)
    live: bool = False  # applied to a running trainer without rebuilding the network
    help: str = ""
    blank: str = "the dataset's"  # what a blank optional field means, for help texts


FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("dataset", "Dataset", "text", help="a built-in name (moons, circles, spiral, xor, ...) or a CSV/NPZ file or MNIST folder"),
    Field("n_samples", "Samples", "int", 4, 100_000, optional=True, help="number of points to generate"),
    Field("noise", "Noise", "float", 0.0, 10.0, optional=True, help="standard deviation of the added noise"),
    Field("test_fraction", "Test fraction", "float", 0.0, 0.9, optional=True,
          help="share of samples held out; 0 trains on every point"),
    Field("classes", "Classes", "int", 2, 10, optional=True, help="arms of the spiral / blobs"),
    Field("standardize", "Standardize", "bool", help="z-score the features"),
    Field("hidden", "Hidden layers", "layers", 1, MAX_HIDDEN_WIDTH, help="widths separated by commas, e.g. 8,8; empty for none"),
    Field("activation", "Activation", "choice", choices=HIDDEN_ACTIVATIONS),
    Field("output", "Output", "choice", choices=OUTPUT_ACTIVATIONS),
    Field("single_output", "Single output", "bool",
          help="two classes only: one sigmoid unit giving P(class 1) instead of one unit per class"),
    Field("loss", "Loss", "choice", choices=LOSSES),
    Field("init", "Initialisation", "choice", choices=("auto",) + INITS),
    Field("init_scale", "Init scale", "float", 0.01, 100.0, help="multiplies the initial weights (1 = as the init draws them)"),
    Field("dtype", "Precision", "choice", choices=("float64", "float32")),
    Field("optimizer", "Optimizer", "choice", choices=OPTIMIZERS),
    Field("lr", "Learning rate", "float", 1e-6, 1e3, live=True),
    Field("momentum", "Momentum", "float", 0.0, 0.999, live=True, help="momentum / nesterov only"),
    Field("batch_size", "Batch size", "batch", 1, 1_000_000, live=True, help="an integer or 'full'"),
    Field("l1", "L1", "float", 0.0, 10.0, live=True),
    Field("l2", "L2", "float", 0.0, 100.0, live=True),
    Field("clip_norm", "Clip norm", "float", 0.0, 1e6, live=True, help="0 = off"),
    Field("clip_value", "Clip value", "float", 0.0, 1e6, live=True, help="0 = off"),
    Field("schedule", "LR schedule", "choice", choices=SCHEDULES, live=True),
    Field("decay", "Decay", "float", 1e-6, 1.0, live=True, help="step factor, exponential rate or inverse-time decay"),
    Field("decay_every", "Decay every", "int", 1, 100_000, live=True, help="epochs between step decays"),
    Field("seed", "Seed", "int", 0, 2**32 - 1),
    Field("epochs", "Epochs", "int", 1, 1_000_000, help="how long a run trains (the dashboard pauses there); the cosine period"),
    Field("grad_scale", "Gradient", "choice", choices=GRAD_SCALES,
          help="mean: the gradient of the mean loss; sum: summed over the batch (n times larger)"),
    Field("bias", "Biases", "bool", help="false: no b, z = a @ W"),
    Field("init_weights", "Initial weights", "text", optional=True,
          help="an .npz or .json file with W1, b1, W2, b2, ...", blank="random from the seed"),
    Field("points", "Points", "matrix", help="the dataset 'points': one input row per sample, e.g. 0.05,0.1; 1,0"),
    Field("targets", "Targets", "matrix", help="one target row per point, e.g. 0.01,0.99"),
    Field("steps", "Steps", "int", 1, 1_000_000_000, optional=True,
          help="stop a headless run after this many mini-batch steps instead of epochs", blank="the epochs"),
    Field("log_every", "Log every", "int", 1, 1_000_000, optional=True,
          help="a headless run records the metrics every N epochs (every N steps with Steps)",
          blank="every epoch, thinned on long runs"),
]}
POINTS_DATASET = "points"  # the dataset name that means "the points and targets settings"

LIVE_FIELDS = tuple(name for name, f in FIELDS.items() if f.live)


def _range_text(f: Field) -> str:
    if f.kind in ("int", "batch"):
        return f"from {int(f.lo)} to {int(f.hi)}"
    return f"from {f.lo:g} to {f.hi:g}"


def allowed_text(f: Field) -> str:
    """What field ``f`` accepts, for messages: its range, its choices or its help."""
    if f.kind in ("int", "float", "batch"):
        return f"must be {_range_text(f)}" + (" or 'full'" if f.kind == "batch" else "")
    if f.kind == "layers":
        return _LAYERS_RANGE
    if f.kind == "choice":
        return f"must be one of {', '.join(f.choices)}"
    if f.kind == "bool":
        return "must be true or false"
    return f.help


def parse_field(name: str, text) -> object:
    """Parse user text for field ``name``; raises ValueError naming the field and the range.

    A matrix field also takes rows as nested lists (a TOML array of arrays)."""
    f = FIELDS[name]
    if f.kind == "matrix" and isinstance(text, (list, tuple)):
        return _matrix_rows(f, text)
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_TEXT:
        raise ValueError(f"{f.label}: too long ({len(text)} characters); {allowed_text(f)}")
    s = text.strip()
    shown = s if len(s) <= 30 else s[:27] + "..."
    if f.kind == "text":
        if not s and f.optional:
            return None
        if not s:
            raise ValueError(f"{f.label}: must not be empty ({f.help})")
        return s
    if f.kind == "matrix":
        return _parse_matrix_text(f, s)
    if f.kind == "bool":
        low = s.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{f.label}: must be true or false; got {shown!r}")
    if f.kind == "choice":
        if s not in f.choices:
            raise ValueError(f"{f.label}: must be one of {', '.join(f.choices)}; got {shown!r}")
        return s
    if f.kind == "layers":
        return _parse_layers(f, s, shown)
    if s == "" and f.optional:
        return None
    if f.kind == "batch" and s.lower() == "full":
        return "full"
    if f.kind in ("int", "batch"):
        try:
            value = int(s)
        except ValueError:
            extra = " or 'full'" if f.kind == "batch" else ""
            raise ValueError(f"{f.label}: must be a whole number {_range_text(f)}{extra}; got {shown!r}") from None
    else:
        try:
            value = float(s)
        except ValueError:
            raise ValueError(f"{f.label}: must be a number {_range_text(f)}; got {shown!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{f.label}: must be a finite number {_range_text(f)}; got {shown!r}")
        value = value + 0.0  # -0 becomes 0
    if not f.lo <= value <= f.hi:
        raise ValueError(f"{f.label}: must be {_range_text(f)}; got {shown!r}")
    return value


_LAYERS_RANGE = f"up to {MAX_HIDDEN_LAYERS} widths from 1 to {MAX_HIDDEN_WIDTH}, separated by commas"


def _parse_layers(f: Field, s: str, shown: str) -> tuple[int, ...]:
    if s.lower() in ("", "none", "-"):
        return ()
    if any(c in s for c in ";: /|") and "," not in s:
        raise ValueError(f"{f.label}: separate widths with commas, e.g. 8,8 ({_LAYERS_RANGE}); got {shown!r}")
    parts = [p.strip() for p in s.split(",")]
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{f.label}: at most {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_HIDDEN_WIDTH} units; "
                         f"got {len(parts)}")
    widths = []
    for i, p in enumerate(parts, start=1):
        if not p:
            raise ValueError(f"{f.label}: layer {i} is empty (two commas in a row?); {_LAYERS_RANGE}; "
                             f"got {shown!r}")
        try:
            w = int(p)
        except ValueError:
            raise ValueError(f"{f.label}: layer {i} must be a whole number from 1 to {MAX_HIDDEN_WIDTH}; got {p[:20]!r}") from None
        if not 1 <= w <= MAX_HIDDEN_WIDTH:
            raise ValueError(f"{f.label}: layer {i} must be from 1 to {MAX_HIDDEN_WIDTH} units; got {w}")
        widths.append(w)
    return tuple(widths)


def _parse_matrix_text(f: Field, s: str) -> tuple:
    """'0.05, 0.1; 1, 2' -> ((0.05, 0.1), (1.0, 2.0)); empty text -> ()."""
    if not s:
        return ()
    return _matrix_rows(f, [row.split(",") for row in s.split(";")])


def _matrix_rows(f: Field, rows) -> tuple:
    """Rows of equal length of finite numbers (or their text), as a tuple of float tuples."""
    if len(rows) > MAX_POINTS:
        raise ValueError(f"{f.label}: at most {MAX_POINTS} rows ({f.help}); got {len(rows)}")
    out: list[tuple] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, (list, tuple)) or not row:
            raise ValueError(f"{f.label}: row {i} must be a list of numbers ({f.help})")
        values = []
        for cell in row:
            try:
                if isinstance(cell, bool):
                    raise TypeError
                x = float(cell.strip() if isinstance(cell, str) else cell)
            except (TypeError, ValueError):
                raise ValueError(f"{f.label}: row {i} must hold numbers ({f.help}); got {str(cell)[:20]!r}") from None
            if not math.isfinite(x):
                raise ValueError(f"{f.label}: row {i} must hold finite numbers ({f.help})")
            values.append(x + 0.0)
        if out and len(values) != len(out[0]):
            raise ValueError(f"{f.label}: row {i} has {len(values)} numbers, row 1 has {len(out[0])} "
                             f"(rows must be of the same length; {f.help})")
        out.append(tuple(values))
    return tuple(out)


def format_field(name: str, value) -> str:
    """The text a form shows for a value (the inverse of ``parse_field``)."""
    if value is None:
        return ""
    if FIELDS[name].kind == "matrix":
        return "; ".join(",".join(repr(x) for x in row) for row in value)
    if name == "hidden":
        return ",".join(str(w) for w in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _exact_text(name: str, value):
    """Like ``format_field`` but a float of a float field keeps every digit (``repr``), so that
    parsing it back gives the very same number: ``format_field``'s ``:g`` keeps 6 digits, which
    would round 1/3 to 0.333333 and let 9.9999999e-07 pass as 1e-06."""
    if isinstance(value, float) and FIELDS[name].kind == "float":
        return repr(value)
    if FIELDS[name].kind == "matrix" and isinstance(value, (list, tuple)):
        return value  # rows, not text: a long matrix would pass the length limit of text
    return format_field(name, value)


def check(config: RunConfig) -> list[tuple[str, str]]:
    """Cross-field problems as (field, message) pairs; empty when the config is consistent."""
    problems = []
    if config.output not in COMPATIBLE_OUTPUTS[config.loss]:
        problems.append(("output", f"Output: loss {config.loss} needs output "
                                   f"{' or '.join(COMPATIBLE_OUTPUTS[config.loss])}; got {config.output}"))
    if config.single_output and config.output not in ("sigmoid", "step"):
        problems.append(("single_output", f"Single output: one unit for two classes needs output sigmoid; "
                                          f"got {config.output}"))
    if config.loss == "perceptron":
        problems += _perceptron_problems(config)
    if config.dataset == POINTS_DATASET and not (config.points and config.targets):
        problems.append(("dataset", f"Dataset: {POINTS_DATASET!r} needs the points and targets settings"))
    elif (config.points or config.targets) and config.dataset != POINTS_DATASET:
        problems.append(("dataset", f"Dataset: points and targets are used with dataset = {POINTS_DATASET!r}; "
                                    f"got {config.dataset!r}"))
    elif len(config.points) != len(config.targets):
        problems.append(("targets", f"Targets: one row per point ({len(config.points)}); got {len(config.targets)}"))
    return problems


def _perceptron_problems(config: RunConfig) -> list[tuple[str, str]]:
    """The perceptron rule is w += lr*(y - y_hat)*x: one unit, plain SGD, nothing added to the step."""
    problems = []
    if config.hidden:
        problems.append(("hidden", f"Hidden layers: the perceptron is one unit, so none; "
                                   f"got {format_field('hidden', config.hidden)}"))
    if config.optimizer != "sgd":
        problems.append(("optimizer", f"Optimizer: the perceptron rule is plain sgd; got {config.optimizer}"))
    for name in ("l1", "l2", "clip_norm", "clip_value"):
        value = getattr(config, name)
        if value:
            problems.append((name, f"{FIELDS[name].label}: must be 0 for the perceptron rule; got {value:g}"))
    return problems


def output_units(config: RunConfig, n_classes: int) -> int:
    """One unit per class, or a single unit (a step, or a sigmoid when asked) for two classes."""
    if config.single_output or config.output == "step":
        if n_classes != 2:
            field = "single_output" if config.single_output else "output"
            raise ValueError(f"{FIELDS[field].label}: one output unit separates exactly 2 classes; "
                             f"the dataset has {n_classes}")
        return 1
    return n_classes


def validate(config: RunConfig) -> RunConfig:
    """Check every field's type and range (as the form would); raises ValueError naming the field."""
    for f in fields(RunConfig):
        value = getattr(config, f.name)
        parse_field(f.name, _exact_text(f.name, value))
    problems = check(config)
    if problems:
        raise ValueError(problems[0][1])
    return config


# What a settings file (TOML) or checkpoint (JSON) may hold for each kind of field, besides a
# string (parsed like the form's text). A float for an int field is let through so that a whole
# number such as 5.0 is accepted; parse_field rejects 5.5.
_KIND_TYPES = {"int": ((int, float), "a whole number"), "float": ((int, float), "a number"),
               "batch": ((int, float), "a whole number or \"full\""), "choice": ((), "a name in quotes"),
               "text": ((), "a name in quotes"), "bool": ((bool,), "true or false"),
               "layers": ((list,), "a list of whole numbers such as [16, 16]"),
               "matrix": ((list,), "a list of rows of numbers such as [[0.05, 0.1]]")}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {int: "an integer", float: "a number", list: "a list", dict: "a table", str: "text"}.get(
        type(value), type(value).__name__)


def _check_type(name: str, value) -> None:
    """Refuse a value of the wrong type (e.g. ``hidden = 8``) naming the key and the type wanted."""
    f = FIELDS[name]
    types, wanted = _KIND_TYPES[f.kind]
    ok = (isinstance(value, str) or (value is None and f.optional)
          or (isinstance(value, types) and (f.kind == "bool" or not isinstance(value, bool))))
    if ok and isinstance(value, list) and f.kind == "layers":
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif ok and isinstance(value, list):  # a matrix: rows of numbers, or one row written flat
        ok = all(_is_number(v) for v in value) or all(
            isinstance(row, list) and all(_is_number(v) for v in row) for row in value)
    if not ok:
        raise ValueError(f"{f.label}: {name} must be {wanted}; got {_type_name(value)}")


def from_mapping(data: dict, base: RunConfig | None = None, source: str = "settings") -> RunConfig:
    """Build a RunConfig from a dict of values or strings (TOML, CLI); unknown keys are errors."""
    base = base or RunConfig()
    known = {f.name for f in fields(RunConfig)}
    changes = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ValueError(f"{source}: unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
        _check_type(name, value)
        if isinstance(value, list) and name == "hidden":
            value = ",".join(str(v) for v in value)
        if name in ("points", "targets") and isinstance(value, list) and value and not isinstance(value[0], list):
            value = [value]  # a single row written flat, e.g. targets = [0.01, 0.99]
        changes[name] = parse_field(name, value if isinstance(value, str) else _exact_text(name, value))
    return validate(base.replace(**changes))


def schedule_args(config: RunConfig) -> tuple[str, dict]:
    """The engine's schedule name and parameters for a config."""
    if config.schedule == "step":
        return "step", {"factor": config.decay, "every": config.decay_every}
    if config.schedule == "exponential":
        return "exponential", {"rate": config.decay}
    if config.schedule == "inverse_time":
        return "inverse_time", {"decay": config.decay}
    if config.schedule == "cosine":
        return "cosine", {"period": config.epochs}
    return "constant", {}


def optimizer_args(config: RunConfig) -> dict:
    return {"momentum": config.momentum} if config.optimizer in ("momentum", "nesterov") else {}


@dataclass
class Run:
    """A dataset, a network and its trainer, built from one RunConfig."""

    config: RunConfig
    data: object
    net: object
    trainer: object = field(repr=False)


# The fields load_data reads: two configs equal in these get the very same dataset.
DATA_FIELDS = ("dataset", "n_samples", "noise", "test_fraction", "classes", "standardize", "seed")


def same_data(a: RunConfig, b: RunConfig) -> bool:
    return all(getattr(a, k) == getattr(b, k) for k in DATA_FIELDS)


def load_data(config: RunConfig):
    from . import datasets

    if config.dataset == POINTS_DATASET:
        return datasets.from_points(config.points, config.targets, test_fraction=config.test_fraction,
                                    seed=config.seed)
    return datasets.load(config.dataset, n_samples=config.n_samples, noise=config.noise,
                         test_fraction=config.test_fraction, seed=config.seed, classes=config.classes,
                         standardize=config.standardize)


def check_memory(config: RunConfig, data, sizes) -> None:
    """Refuse a run whose data, network and batches would not fit the memory budget, before the
    network or trainer allocates anything (raises MemoryBudgetError naming the sizes)."""
    import numpy as np

    from . import memory

    batch = data.n_train if config.batch_size == "full" else config.batch_size
    parts = memory.run_bytes(sizes, data.n_train, data.n_test, batch, np.dtype(config.dtype).itemsize)
    detail = ", ".join(f"{name} {memory.format_size(n)}" for name, n in parts.items())
    memory.require(f"training {'-'.join(map(str, sizes))} on {data.n_train} rows at batch "
                   f"{min(batch, data.n_train)}", sum(parts.values()), detail)


def build(config: RunConfig, data=None) -> Run:
    """Load the data (unless given) and build the network and trainer the config describes."""
    from .network import Network
    from .trainer import Trainer

    validate(config)
    data = data if data is not None else load_data(config)
    sizes = [data.n_features, *config.hidden, output_units(config, data.n_outputs)]
    check_memory(config, data, sizes)
    net = Network(sizes, activation=config.activation, output=config.output, loss=config.loss,
                  l1=config.l1, l2=config.l2, init=None if config.init == "auto" else config.init,
                  seed=config.seed, dtype=config.dtype, init_scale=config.init_scale, bias=config.bias,
                  grad_scale=config.grad_scale)
    if config.init_weights is not None:
        from .init_weights import load_into

        load_into(config.init_weights, net)
    name, params = schedule_args(config)
    trainer = Trainer(net, data, optimizer=config.optimizer, lr=config.lr, batch_size=config.batch_size,
                      schedule=name, schedule_params=params, clip_norm=config.clip_norm or None,
                      clip_value=config.clip_value or None, seed=config.seed, **optimizer_args(config))
    return Run(config, data, net, trainer)
