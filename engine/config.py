"""One flat description of a training run, shared by presets, the command line, TOML files and
the dashboard's form, and the checks every run description passes before it is built.

``RunConfig`` holds typed values; ``SPECS`` says, per field, its kind and its range (from
``validate.RANGES``) or its choices; ``validate(config)`` checks every value and the fields
against each other and raises ``FieldError`` naming the field. How people type values and read
the errors lives with them, in ``mlp_tui.fields``.
``build(config)`` loads the dataset and builds the network and the trainer.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .datasets import MAX_POINTS, REGRESSION_SETS, TASKS, is_builtin
from .features import PLAIN as PLAIN_FEATURES
from .features import problem as features_problem
from .initializers import INITS
from .losses import COMPATIBLE_OUTPUTS, LOSSES
from .network import GRAD_SCALES, MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES
from .validate import RANGES, FieldError


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "moons"
    n_samples: int | None = None
    noise: float | None = None
    test_fraction: float | None = None
    classes: int | None = None
    standardize: bool = False
    features: tuple[str, ...] = PLAIN_FEATURES
    task: str = "auto"
    hidden: tuple[int, ...] = (16, 16)
    activations: tuple[str, ...] = ()  # per hidden layer, "" = ``activation``; () = all ``activation``
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
    dropout: tuple[float, ...] = ()  # one rate for every hidden layer, or one per layer; () = off
    early_stop: int = 0  # patience in epochs on the test loss; 0 = off

    def replace(self, **changes) -> "RunConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        # The per-layer activations are part of the layers' text (8:relu,8), their one spelling.
        del d["activations"]
        d["hidden"] = layers_text(self.hidden, self.activations) if self.activations else list(self.hidden)
        d["features"] = list(self.features)
        d["dropout"] = list(self.dropout)
        for name in ("points", "targets"):
            d[name] = [list(row) for row in getattr(self, name)]
        return d


@dataclass(frozen=True)
class Spec:
    """What values field ``name`` takes: its kind, its range [lo, hi] or its choices."""

    name: str
    kind: str  # "int", "float", "choice", "layers", "batch", "text", "bool", "matrix", "features", "activations", "rates"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed: the dataset's default (or the field's own fallback)


def _ranged(name: str, kind: str, optional: bool = False) -> Spec:
    return Spec(name, kind, *RANGES[name], optional=optional)


SPECS: dict[str, Spec] = {s.name: s for s in [
    Spec("dataset", "text"),
    _ranged("n_samples", "int", optional=True),
    _ranged("noise", "float", optional=True),
    _ranged("test_fraction", "float", optional=True),
    _ranged("classes", "int", optional=True),
    Spec("standardize", "bool"),
    Spec("features", "features"),
    Spec("task", "choice", choices=TASKS),
    Spec("hidden", "layers", 1, MAX_HIDDEN_WIDTH),
    Spec("activations", "activations", choices=HIDDEN_ACTIVATIONS),
    Spec("activation", "choice", choices=HIDDEN_ACTIVATIONS),
    Spec("output", "choice", choices=OUTPUT_ACTIVATIONS),
    Spec("single_output", "bool"),
    Spec("loss", "choice", choices=LOSSES),
    Spec("init", "choice", choices=("auto",) + INITS),
    _ranged("init_scale", "float"),
    Spec("dtype", "choice", choices=("float64", "float32")),
    Spec("optimizer", "choice", choices=OPTIMIZERS),
    _ranged("lr", "float"),
    _ranged("momentum", "float"),
    _ranged("batch_size", "batch"),
    _ranged("l1", "float"),
    _ranged("l2", "float"),
    _ranged("clip_norm", "float"),
    _ranged("clip_value", "float"),
    Spec("schedule", "choice", choices=SCHEDULES),
    _ranged("decay", "float"),
    _ranged("decay_every", "int"),
    _ranged("seed", "int"),
    _ranged("epochs", "int"),
    Spec("grad_scale", "choice", choices=GRAD_SCALES),
    Spec("bias", "bool"),
    Spec("init_weights", "text", optional=True),
    Spec("points", "matrix"),
    Spec("targets", "matrix"),
    _ranged("steps", "int", optional=True),
    _ranged("log_every", "int", optional=True),
    _ranged("dropout", "rates"),
    _ranged("early_stop", "int"),
]}
POINTS_DATASET = "points"  # the dataset name that means "the points and targets settings"
LAYERS_RANGE = (f"up to {MAX_HIDDEN_LAYERS} widths from 1 to {MAX_HIDDEN_WIDTH}, separated by commas, "
                f"each optionally with its activation (8:relu)")


def layers_text(hidden, activations=()) -> str:
    """Hidden layers as people write them: "8,8", or with per-layer activations "8:relu,8"."""
    acts = activations or ("",) * len(hidden)
    return ",".join(f"{w}:{a}" if a else str(w) for w, a in zip(hidden, acts))


def hidden_activations(config: "RunConfig") -> tuple[str, ...] | None:
    """Each hidden layer's activation for the network (a bare width takes ``activation``), or
    None when they all use ``activation``."""
    if not any(config.activations):
        return None
    return tuple(a or config.activation for a in config.activations)
RATES_TEXT = "one rate for every hidden layer or one per layer, separated by commas"


def range_text(spec: Spec) -> str:
    """``spec``'s range as words: "from 1 to 1000000", "from 1e-06 to 1000"."""
    if spec.kind in ("int", "batch"):
        return f"from {int(spec.lo)} to {int(spec.hi)}"
    return f"from {spec.lo:g} to {spec.hi:g}"


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number_problem(spec: Spec, value) -> str | None:
    if spec.kind == "batch" and value == "full":
        return None
    whole = spec.kind in ("int", "batch")
    if not (_is_whole(value) if whole else is_number(value) and math.isfinite(value)):
        kind = "a whole number" if whole else "a finite number"
        return f"must be {kind} {range_text(spec)}" + (" or 'full'" if spec.kind == "batch" else "")
    return None if spec.lo <= value <= spec.hi else f"must be {range_text(spec)}"


def _layers_problem(spec: Spec, value) -> str | None:
    ok = (isinstance(value, tuple) and len(value) <= MAX_HIDDEN_LAYERS
          and all(_is_whole(w) and spec.lo <= w <= spec.hi for w in value))
    return None if ok else f"must be {LAYERS_RANGE}"


def _activations_problem(spec: Spec, value) -> str | None:
    ok = isinstance(value, tuple) and all(a == "" or a in spec.choices for a in value)
    return None if ok else f"must be activations among {', '.join(spec.choices)}, one per hidden layer"


def _rates_problem(spec: Spec, value) -> str | None:
    ok = (isinstance(value, tuple) and len(value) <= MAX_HIDDEN_LAYERS
          and all(is_number(r) and spec.lo <= r <= spec.hi for r in value))
    return None if ok else f"must be {RATES_TEXT}, each {range_text(spec)}"


def _matrix_problem(spec: Spec, value) -> str | None:
    ok = (isinstance(value, tuple) and len(value) <= MAX_POINTS
          and all(isinstance(row, tuple) and row and len(row) == len(value[0])
                  and all(is_number(x) and math.isfinite(x) for x in row) for row in value))
    return None if ok else f"must be at most {MAX_POINTS} rows of finite numbers, all of the same length"


def _value_problem(spec: Spec, value) -> str | None:
    """Why ``value`` does not fit ``spec`` (None: it fits)."""
    if value is None:
        return None if spec.optional else "must be set"
    if spec.kind in ("int", "float", "batch"):
        return _number_problem(spec, value)
    if spec.kind == "layers":
        return _layers_problem(spec, value)
    if spec.kind == "matrix":
        return _matrix_problem(spec, value)
    if spec.kind == "features":
        return features_problem(value)
    if spec.kind == "activations":
        return _activations_problem(spec, value)
    if spec.kind == "rates":
        return _rates_problem(spec, value)
    if spec.kind == "choice":
        return None if value in spec.choices else f"must be one of {', '.join(spec.choices)}"
    if spec.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


def check(config: RunConfig) -> list[tuple[str, str]]:
    """Cross-field problems as (field, reason) pairs; empty when the config is consistent."""
    problems = []
    if config.activations and len(config.activations) != len(config.hidden):
        problems.append(("hidden", f"one activation per layer: {len(config.hidden)} layers, "
                                   f"{len(config.activations)} activations"))
    if config.output not in COMPATIBLE_OUTPUTS[config.loss]:
        problems.append(("output", f"loss {config.loss} needs output "
                                   f"{' or '.join(COMPATIBLE_OUTPUTS[config.loss])}; got {config.output}"))
    if config.single_output and config.output not in ("sigmoid", "step"):
        problems.append(("single_output", f"one unit for two classes needs output sigmoid; "
                                          f"got {config.output}"))
    if config.loss == "perceptron":
        problems += _perceptron_problems(config)
    problems += _task_problems(config)
    if config.dataset == POINTS_DATASET and not (config.points and config.targets):
        problems.append(("dataset", f"{POINTS_DATASET!r} needs the points and targets settings"))
    elif (config.points or config.targets) and config.dataset != POINTS_DATASET:
        problems.append(("dataset", f"points and targets are used with dataset = {POINTS_DATASET!r}; "
                                    f"got {config.dataset!r}"))
    elif len(config.points) != len(config.targets):
        problems.append(("targets", f"one row per point ({len(config.points)}); got {len(config.targets)}"))
    problems += _dropout_problems(config)
    if config.early_stop and config.test_fraction == 0:
        problems.append(("early_stop", "needs a test split to watch; the test fraction is 0"))
    return problems


def _dropout_problems(config: RunConfig) -> list[tuple[str, str]]:
    """A rate for each hidden layer: one for all of them, or exactly one each."""
    rates, n_hidden = config.dropout, len(config.hidden)
    if any(rates) and not n_hidden:
        return [("dropout", "drops units of hidden layers; this network has none")]
    if len(rates) not in (0, 1, n_hidden):
        return [("dropout", f"give one rate for every hidden layer or one per hidden layer ({n_hidden}); "
                            f"got {len(rates)}")]
    return []


def _task_problems(config: RunConfig) -> list[tuple[str, str]]:
    """A built-in dataset has its own task; a regression target needs a dataset that has one."""
    if is_builtin(config.dataset):
        own = "regression" if config.dataset.strip().lower() in REGRESSION_SETS else "classification"
        if config.task not in ("auto", own):
            return [("task", f"{config.dataset} is a {own} set; got {config.task}")]
    elif config.task == "regression" and config.dataset == POINTS_DATASET:
        return [("task", f"regression needs {', '.join(REGRESSION_SETS)} or a CSV/NPZ file; "
                         f"got dataset {POINTS_DATASET!r}")]
    return []


def names_regression(config: RunConfig) -> bool:
    """Whether the settings alone make a regression run (a file may still turn out to be one)."""
    return config.task == "regression" or config.dataset.strip().lower() in REGRESSION_SETS


# A float target is fit by one linear output unit with squared error, whatever the output and
# loss fields said: the settings every regression run trains with.
REGRESSION_SETTINGS = {"output": "linear", "loss": "mse", "single_output": False}


def regression_settings(config: RunConfig) -> RunConfig:
    return config.replace(**REGRESSION_SETTINGS)


def _perceptron_problems(config: RunConfig) -> list[tuple[str, str]]:
    """The perceptron rule is w += lr*(y - y_hat)*x: one unit, plain SGD, nothing added to the step."""
    problems = []
    if config.hidden:
        problems.append(("hidden", f"the perceptron is one unit, so none; "
                                   f"got {','.join(map(str, config.hidden))}"))
    if config.optimizer != "sgd":
        problems.append(("optimizer", f"the perceptron rule is plain sgd; got {config.optimizer}"))
    for name in ("l1", "l2", "clip_norm", "clip_value"):
        value = getattr(config, name)
        if value:
            problems.append((name, f"must be 0 for the perceptron rule; got {value:g}"))
    return problems


def output_units(config: RunConfig, n_classes: int) -> int:
    """One unit per class, or a single unit (a step, or a sigmoid when asked) for two classes."""
    if config.single_output or config.output == "step":
        if n_classes != 2:
            field = "single_output" if config.single_output else "output"
            raise FieldError(field, f"one output unit separates exactly 2 classes; the dataset has {n_classes}")
        return 1
    return n_classes


def validate(config: RunConfig) -> RunConfig:
    """Check every field's type and range, then the fields together; raises FieldError naming the field."""
    for name, spec in SPECS.items():
        reason = _value_problem(spec, getattr(config, name))
        if reason:
            raise FieldError(name, reason)
    problems = check(config)
    if problems:
        raise FieldError(*problems[0])
    return config


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


# The fields behind the trainer's schedule; every other trainer setting is the field of its name.
SCHEDULE_FIELDS = ("schedule", "decay", "decay_every")


def trainer_settings(config: RunConfig) -> dict:
    """The trainer's changeable settings for a config, as ``Trainer.set_hyperparameters`` takes
    them: clipping 0 means off (None), the schedule is (name, parameters), momentum only for the
    optimizers that use it."""
    return {"lr": config.lr, "batch_size": config.batch_size, "clip_norm": config.clip_norm or None,
            "clip_value": config.clip_value or None, "schedule": schedule_args(config),
            **optimizer_args(config)}


def trainer_changes(config: RunConfig, changed) -> dict:
    """The trainer settings that changing the fields ``changed`` gave ``config``; fields the
    trainer passes on (l1, l2, momentum with an optimizer without it) go as they are."""
    settings = trainer_settings(config)
    out = {}
    for name in changed:
        key = "schedule" if name in SCHEDULE_FIELDS else name
        out[key] = settings[key] if key in settings else getattr(config, name)
    return out


@dataclass
class Run:
    """A dataset, a network and its trainer, built from one RunConfig."""

    config: RunConfig
    data: object
    net: object
    trainer: object = field(repr=False)


# The fields load_data reads: two configs equal in these get the very same dataset.
DATA_FIELDS = ("dataset", "n_samples", "noise", "test_fraction", "classes", "standardize", "task", "seed", "features")


def same_data(a: RunConfig, b: RunConfig) -> bool:
    return all(getattr(a, k) == getattr(b, k) for k in DATA_FIELDS)


def load_data(config: RunConfig):
    from . import datasets

    if config.dataset == POINTS_DATASET:
        data = datasets.from_points(config.points, config.targets, test_fraction=config.test_fraction,
                                    seed=config.seed)
    else:
        data = datasets.load(config.dataset, n_samples=config.n_samples, noise=config.noise,
                             test_fraction=config.test_fraction, seed=config.seed, classes=config.classes,
                             standardize=config.standardize, task=config.task)
    return datasets.with_features(data, config.features)  # after standardizing: features of the drawn plane


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
    if data.is_regression:
        config = regression_settings(config)
    sizes = [data.n_features, *config.hidden, output_units(config, data.n_outputs)]
    if config.early_stop and not data.n_test:
        raise FieldError("early_stop", "needs a test split to watch; this dataset has no test samples")
    check_memory(config, data, sizes)
    net = Network(sizes, activation=config.activation, output=config.output, loss=config.loss,
                  l1=config.l1, l2=config.l2, init=None if config.init == "auto" else config.init,
                  seed=config.seed, dtype=config.dtype, init_scale=config.init_scale, bias=config.bias,
                  grad_scale=config.grad_scale, activations=hidden_activations(config))
    if config.init_weights is not None:
        from .init_weights import load_into

        load_into(config.init_weights, net)
    settings = trainer_settings(config)
    name, params = settings.pop("schedule")
    trainer = Trainer(net, data, optimizer=config.optimizer, schedule=name, schedule_params=params,
                      seed=config.seed, dropout=config.dropout,
                      early_stop=config.early_stop, **settings)
    return Run(config, data, net, trainer)
