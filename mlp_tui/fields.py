"""The run settings as people meet them: each field's label, help text and whether the dashboard
applies it to a running trainer, plus text parsing and checks whose error messages name the field
and the allowed range.

The values a field takes (its kind, range or choices) are the engine's (``engine.config.SPECS``);
``parse_field(name, text)`` turns what a user typed into a value or raises ``ValueError`` with a
message such as "Learning rate: must be a number from 1e-06 to 1000; got 'abc'".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

from engine import checkpoint
from engine import config as cfg
from engine.activations import HIDDEN_ACTIVATIONS
from engine.config import LAYERS_RANGE, RATES_TEXT, SPECS, RunConfig, Spec, is_number, layers_text, range_text
from engine.features import FEATURES
from engine.features import problem as features_problem
from engine.datasets import MAX_POINTS
from engine.errors import CheckpointError
from engine.network import MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH
from engine.validate import FieldError

MAX_TEXT = 200  # longer input is rejected before any parsing


@dataclass(frozen=True)
class Field:
    """A setting's words for people; its kind, range and choices come from the engine's spec."""

    name: str
    label: str
    live: bool = False  # applied to a running trainer without rebuilding the network
    help: str = ""
    blank: str = "the dataset's"  # what a blank optional field means, for help texts

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def lo(self) -> float | None:
        return self.spec.lo

    @property
    def hi(self) -> float | None:
        return self.spec.hi

    @property
    def choices(self) -> tuple[str, ...]:
        return self.spec.choices

    @property
    def optional(self) -> bool:
        return self.spec.optional


FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("dataset", "Dataset", help="a built-in name (moons, circles, spiral, xor, ...) or a CSV/NPZ file or MNIST folder"),
    Field("n_samples", "Samples", help="number of points to generate"),
    Field("noise", "Noise", help="standard deviation of the added noise"),
    Field("test_fraction", "Test fraction", help="share of samples held out; 0 trains on every point"),
    Field("classes", "Classes", help="arms of the spiral / blobs"),
    Field("standardize", "Standardize", help="z-score the features"),
    Field("features", "Input features", help=f"2-D data only: what the network sees, any of {', '.join(FEATURES)}"),
    Field("task", "Task", help="regression: a float target, linear output and squared error; "
                               "auto: a file's target column decides (non-integer values: regression)"),
    Field("hidden", "Hidden layers", help="widths separated by commas, e.g. 8,8; empty for none; 8:relu gives "
                                          "a layer its own activation"),
    Field("activation", "Activation"),
    Field("output", "Output"),
    Field("single_output", "Single output", help="two classes only: one sigmoid unit giving P(class 1) instead of one unit per class"),
    Field("loss", "Loss"),
    Field("init", "Initialisation"),
    Field("init_scale", "Init scale", help="multiplies the initial weights (1 = as the init draws them)"),
    Field("dtype", "Precision"),
    Field("optimizer", "Optimizer"),
    Field("lr", "Learning rate", live=True),
    Field("momentum", "Momentum", live=True, help="momentum / nesterov only"),
    Field("batch_size", "Batch size", live=True, help="an integer or 'full'"),
    Field("l1", "L1", live=True),
    Field("l2", "L2", live=True),
    Field("clip_norm", "Clip norm", live=True, help="0 = off"),
    Field("clip_value", "Clip value", live=True, help="0 = off"),
    Field("schedule", "LR schedule", live=True),
    Field("decay", "Decay", live=True, help="step factor, exponential rate or inverse-time decay"),
    Field("decay_every", "Decay every", live=True, help="epochs between step decays"),
    Field("seed", "Seed"),
    Field("epochs", "Epochs", help="how long a run trains (the dashboard pauses there); the cosine period"),
    Field("grad_scale", "Gradient", help="mean: the gradient of the mean loss; sum: summed over the batch (n times larger)"),
    Field("bias", "Biases", help="false: no b, z = a @ W"),
    Field("init_weights", "Initial weights", help="an .npz or .json file with W1, b1, W2, b2, ...", blank="random from the seed"),
    Field("points", "Points", help="the dataset 'points': one input row per sample, e.g. 0.05,0.1; 1,0"),
    Field("targets", "Targets", help="one target row per point, e.g. 0.01,0.99"),
    Field("steps", "Steps", help="stop a headless run after this many mini-batch steps instead of epochs", blank="the epochs"),
    Field("log_every", "Log every", help="a headless run records the metrics every N epochs (every N steps with Steps)",
          blank="every epoch, thinned on long runs"),
    Field("dropout", "Dropout", help="share of each hidden layer's units dropped in a training step: one rate for all "
                                     "(0.2) or one per layer (0.2,0); empty or 0 = off"),
    Field("early_stop", "Early stop", help="stop after this many epochs without a lower test loss and keep the best "
                                           "epoch's weights; 0 = off (needs a test split)"),
]}
LIVE_FIELDS = tuple(name for name, f in FIELDS.items() if f.live)


class Layers(NamedTuple):
    """The Hidden layers field's value when a layer names its own activation (8:relu,8): the
    widths and each layer's activation ("" for a bare width, which takes the Activation field's).
    Without any, the value is the widths alone."""

    widths: tuple[int, ...]
    activations: tuple[str, ...]


def field_changes(name: str, value) -> dict:
    """The RunConfig fields a parsed field value sets: Hidden layers sets the widths and the
    per-layer activations (none for plain widths)."""
    if isinstance(value, Layers):
        return {"hidden": value.widths, "activations": value.activations}
    if name == "hidden":
        return {"hidden": value, "activations": ()}
    return {name: value}


def field_value(config: RunConfig, name: str):
    """Field ``name``'s value in ``config``, as ``parse_field`` gives it."""
    if name == "hidden" and config.activations:
        return Layers(config.hidden, config.activations)
    return getattr(config, name)


def allowed_text(f: Field) -> str:
    """What field ``f`` accepts, for messages: its range, its choices or its help."""
    if f.kind in ("int", "float", "batch"):
        return f"must be {range_text(f.spec)}" + (" or 'full'" if f.kind == "batch" else "")
    if f.kind in ("layers", "features"):
        return LAYERS_RANGE if f.kind == "layers" else f.help
    if f.kind == "rates":
        return f"{RATES_TEXT}, each {range_text(f.spec)}"
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
    s = _stripped(f, text)
    shown = s if len(s) <= 30 else s[:27] + "..."
    return _PARSERS[f.kind](f, s, shown)


def _stripped(f: Field, text) -> str:
    """The text to parse, without surrounding blanks; refused when too long to be a value."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_TEXT:
        raise ValueError(f"{f.label}: too long ({len(text)} characters); {allowed_text(f)}")
    return text.strip()


def _parse_text(f: Field, s: str, shown: str) -> str | None:
    if not s and f.optional:
        return None
    if not s:
        raise ValueError(f"{f.label}: must not be empty ({f.help})")
    return s


def _parse_bool(f: Field, s: str, shown: str) -> bool:
    low = s.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{f.label}: must be true or false; got {shown!r}")


def _parse_choice(f: Field, s: str, shown: str) -> str:
    if s not in f.choices:
        raise ValueError(f"{f.label}: must be one of {', '.join(f.choices)}; got {shown!r}")
    return s


def _parse_number(f: Field, s: str, shown: str):
    """An int, float or batch size (a whole number or 'full') within the field's range."""
    if s == "" and f.optional:
        return None
    if f.kind == "batch" and s.lower() == "full":
        return "full"
    if f.kind in ("int", "batch"):
        try:
            value = int(s)
        except ValueError:
            extra = " or 'full'" if f.kind == "batch" else ""
            raise ValueError(f"{f.label}: must be a whole number {range_text(f.spec)}{extra}; got {shown!r}") from None
    else:
        try:
            value = float(s)
        except ValueError:
            raise ValueError(f"{f.label}: must be a number {range_text(f.spec)}; got {shown!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{f.label}: must be a finite number {range_text(f.spec)}; got {shown!r}")
        value = value + 0.0  # -0 becomes 0
    assert f.lo is not None and f.hi is not None  # every number field has a range
    if not f.lo <= value <= f.hi:
        raise ValueError(f"{f.label}: must be {range_text(f.spec)}; got {shown!r}")
    return value


def _parse_layers(f: Field, s: str, shown: str) -> tuple[int, ...] | Layers:
    if s.lower() in ("", "none", "-"):
        return ()
    if any(c in s for c in "; /|") and "," not in s:
        raise ValueError(f"{f.label}: separate widths with commas, e.g. 8,8 ({LAYERS_RANGE}); got {shown!r}")
    parts = [p.strip() for p in s.split(",")]
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{f.label}: at most {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_HIDDEN_WIDTH} units; "
                         f"got {len(parts)}")
    widths, acts = [], []
    for i, part in enumerate(parts, start=1):
        if not part:
            raise ValueError(f"{f.label}: layer {i} is empty (two commas in a row?); {LAYERS_RANGE}; "
                             f"got {shown!r}")
        p, _, name = (x.strip() for x in part.partition(":"))
        if ":" in part and name not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"{f.label}: layer {i}'s activation must be one of {', '.join(HIDDEN_ACTIVATIONS)}; "
                             f"got {name[:20]!r}")
        acts.append(name)
        try:
            w = int(p)
        except ValueError:
            raise ValueError(f"{f.label}: layer {i} must be a whole number from 1 to {MAX_HIDDEN_WIDTH}; got {p[:20]!r}") from None
        if not 1 <= w <= MAX_HIDDEN_WIDTH:
            raise ValueError(f"{f.label}: layer {i} must be from 1 to {MAX_HIDDEN_WIDTH} units; got {w}")
        widths.append(w)
    return Layers(tuple(widths), tuple(acts)) if any(acts) else tuple(widths)


def _parse_features(f: Field, s: str, shown: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in s.split(",")) if s else ()
    reason = features_problem(names)
    if reason:
        raise ValueError(f"{f.label}: {reason}; got {shown!r}")
    return names


def _parse_rates(f: Field, s: str, shown: str) -> tuple[float, ...]:
    """'0.2' -> (0.2,), '0.2, 0' -> (0.2, 0.0); empty text -> () (off)."""
    if not s:
        return ()
    parts = [p.strip() for p in s.split(",")]
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{f.label}: at most {MAX_HIDDEN_LAYERS} rates, one per hidden layer, each "
                         f"{range_text(f.spec)}; got {len(parts)}")
    rates = []
    for i, p in enumerate(parts, start=1):
        try:
            r = float(p)
        except ValueError:
            raise ValueError(f"{f.label}: rate {i} must be a number {range_text(f.spec)}; got {p[:20]!r}") from None
        assert f.lo is not None and f.hi is not None
        if not (math.isfinite(r) and f.lo <= r <= f.hi):
            raise ValueError(f"{f.label}: rate {i} must be {range_text(f.spec)} (the share of units dropped); "
                             f"got {p[:20]!r}")
        rates.append(r + 0.0)
    return tuple(rates)


def _parse_matrix_text(f: Field, s: str, shown: str = "") -> tuple:
    """'0.05, 0.1; 1, 2' -> ((0.05, 0.1), (1.0, 2.0)); empty text -> ()."""
    if not s:
        return ()
    return _matrix_rows(f, [row.split(",") for row in s.split(";")])


def _matrix_rows(f: Field, rows) -> tuple:
    """Rows of equal length of finite numbers (or their text), as a tuple of float tuples."""
    if len(rows) > MAX_POINTS:
        raise ValueError(f"{f.label}: at most {MAX_POINTS} rows ({f.help}); got {len(rows)}")
    out: list[tuple[float, ...]] = []
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


_PARSERS: dict[str, Callable[[Field, str, str], object]] = {
    "text": _parse_text, "bool": _parse_bool, "choice": _parse_choice, "layers": _parse_layers,
    "matrix": _parse_matrix_text, "features": _parse_features, "rates": _parse_rates, "int": _parse_number, "float": _parse_number,
    "batch": _parse_number}


def format_field(name: str, value) -> str:
    """The text a form shows for a value (the inverse of ``parse_field``)."""
    if value is None:
        return ""
    if FIELDS[name].kind == "matrix":
        return "; ".join(",".join(repr(x) for x in row) for row in value)
    if isinstance(value, Layers):
        return layers_text(*value)
    if name in ("hidden", "features"):
        return ",".join(str(w) for w in value)
    if FIELDS[name].kind == "rates":
        return ",".join(repr(float(r)).removesuffix(".0") for r in value)  # every digit: parsed back exactly
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


def worded(name: str, reason: str) -> str:
    """An engine's plain reason led by the field's label: "Output: loss mse needs output ..."."""
    return f"{FIELDS[name].label}: {reason}"


def check(config: RunConfig) -> list[tuple[str, str]]:
    """Cross-field problems as (field, message) pairs; empty when the config is consistent."""
    return [(name, worded(name, reason)) for name, reason in cfg.check(config)]


def validate(config: RunConfig) -> RunConfig:
    """Check every field's type and range (as the form would); raises ValueError naming the field."""
    for name in FIELDS:
        parse_field(name, _exact_text(name, field_value(config, name)))
    problems = check(config)
    if problems:
        raise ValueError(problems[0][1])
    return config


def build(config: RunConfig, data=None) -> cfg.Run:
    """``engine.config.build`` for a config checked as above; what only the data can refuse (one
    output unit for three classes) is worded the same way."""
    validate(config)
    try:
        return cfg.build(config, data)
    except FieldError as e:
        raise ValueError(worded(e.field, e.reason)) from None


# What a settings file (TOML) or checkpoint (JSON) may hold for each kind of field, besides a
# string (parsed like the form's text). A float for an int field is let through so that a whole
# number such as 5.0 is accepted; parse_field rejects 5.5.
_KIND_TYPES = {"int": ((int, float), "a whole number"), "float": ((int, float), "a number"),
               "batch": ((int, float), "a whole number or \"full\""), "choice": ((), "a name in quotes"),
               "text": ((), "a name in quotes"), "bool": ((bool,), "true or false"),
               "layers": ((list,), "a list of whole numbers such as [16, 16]"),
               "features": ((list,), 'a list of names such as ["x1^2", "x2^2"]'),
               "matrix": ((list,), "a list of rows of numbers such as [[0.05, 0.1]]"),
               "rates": ((list, int, float), "a rate or a list of rates such as [0.2, 0]")}


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
    elif ok and isinstance(value, list) and f.kind == "features":
        ok = all(isinstance(v, str) for v in value)
    elif ok and isinstance(value, list) and f.kind == "rates":
        ok = all(is_number(v) for v in value)
    elif ok and isinstance(value, list):  # a matrix: rows of numbers, or one row written flat
        ok = all(is_number(v) for v in value) or all(
            isinstance(row, list) and all(is_number(v) for v in row) for row in value)
    if not ok:
        raise ValueError(f"{f.label}: {name} must be {wanted}; got {_type_name(value)}")


def from_mapping(data: dict, base: RunConfig | None = None, source: str = "settings") -> RunConfig:
    """Build a RunConfig from a dict of values or strings (TOML, CLI); unknown keys are errors."""
    base = base or RunConfig()
    known = set(FIELDS)
    changes = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ValueError(f"{source}: unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
        _check_type(name, value)
        if isinstance(value, list) and name == "hidden":
            value = ",".join(str(v) for v in value)
        if FIELDS[name].kind == "rates" and not isinstance(value, str):
            value = ",".join(repr(float(v)) for v in (value if isinstance(value, list) else [value]))
        if name in ("points", "targets") and isinstance(value, list) and value and not isinstance(value[0], list):
            value = [value]  # a single row written flat, e.g. targets = [0.01, 0.99]
        changes.update(field_changes(name, parse_field(name, value if isinstance(value, str) else _exact_text(name, value))))
    return validate(base.replace(**changes))


def load_checkpoint(path) -> checkpoint.Checkpoint:
    """``engine.checkpoint.load`` with the saved settings checked as a settings file's are and
    turned into a RunConfig; a bad setting is a CheckpointError naming the file and the field."""
    ckpt = checkpoint.load(path)
    if not ckpt.config:
        return replace(ckpt, config=None)
    try:
        return replace(ckpt, config=from_mapping(ckpt.config, source=ckpt.path))
    except ValueError as e:
        raise CheckpointError(f"{ckpt.path}: inconsistent metadata: {e}", ckpt.path) from None
