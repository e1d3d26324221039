"""Datasets: small generated 2-D problems, scikit-learn's digits, and the user's own files.

``load(name, ...)`` returns a :class:`Dataset` with a seeded train/test split. ``name`` is a
built-in (see ``DATASETS``) or a path: a CSV/TXT file, an NPZ file with arrays ``X`` and ``y``,
or a folder holding the four MNIST IDX files (optionally gzipped). The special name ``"mnist"``
means the folder returned by :func:`default_mnist_dir`.

Everything is deterministic: the same arguments always give identical arrays, because every
random draw comes from one ``np.random.default_rng(seed)`` in a fixed order.

Problems with a file raise :class:`~engine.errors.DatasetError`; the message names the file and,
for CSV, the 1-based line and column. Bad arguments raise ``ValueError`` naming the argument and
its allowed range. scikit-learn is imported lazily (only for ``digits``) to keep start-up fast.
"""
from __future__ import annotations

import csv
import math
import os
import zipfile
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from io import BytesIO, StringIO
from pathlib import Path

import numpy as np

from . import memory, validate
from .errors import DatasetError, file_error, not_utf8
from .inputs import is_regular, read_input
from .network import MAX_IO_WIDTH
from .validate import RANGES

__all__ = [
    "Dataset", "load", "describe", "DATASETS", "DEFAULTS", "MNIST_FILES", "mnist_help",
    "default_mnist_dir",
]

DATASETS = ("xor", "xor-cloud", "moons", "circles", "spiral", "blobs", "digits", "reg-plane", "reg-gauss")
REGRESSION_SETS = ("reg-plane", "reg-gauss")  # a float target per point, not a class
TASKS = ("auto", "classification", "regression")  # auto: a file's target column decides

# Per-dataset defaults used when an argument is None. None here means "not applicable".
DEFAULTS = {
    "xor": {"n_samples": 4, "noise": None, "test_fraction": None, "classes": 2},
    "xor-cloud": {"n_samples": 400, "noise": 0.1, "test_fraction": 0.3, "classes": 2},
    "moons": {"n_samples": 1000, "noise": 0.2, "test_fraction": 0.3, "classes": 2},
    "circles": {"n_samples": 1000, "noise": 0.1, "test_fraction": 0.3, "classes": 2},
    "spiral": {"n_samples": 300, "noise": 0.2, "test_fraction": 0.3, "classes": 3},
    "blobs": {"n_samples": 600, "noise": 1.0, "test_fraction": 0.3, "classes": 3},
    "digits": {"n_samples": 1797, "noise": None, "test_fraction": 0.3, "classes": 10},
    # TensorFlow Playground's defaults: 500 points, no noise.
    "reg-plane": {"n_samples": 500, "noise": 0.0, "test_fraction": 0.3, "classes": None},
    "reg-gauss": {"n_samples": 500, "noise": 0.0, "test_fraction": 0.3, "classes": None},
}
FILE_TEST_FRACTION = 0.3

_DESCRIPTIONS = {
    "xor": "the 4 XOR truth-table points; train and test are the same 4 points",
    "xor-cloud": "noisy points in four quadrants, label = XOR of the signs (2 classes)",
    "moons": "two interleaving half-moons with Gaussian noise (2 classes)",
    "circles": "two concentric circles, inner radius 0.5 (2 classes)",
    "spiral": "k interleaved spiral arms, one class per arm (classes=2..10, default 3)",
    "blobs": "k Gaussian blobs; noise is their standard deviation (classes=2..10, default 3)",
    "digits": "scikit-learn's 8x8 handwritten digits: 1797 images, 64 pixels in [0, 1], 10 classes",
    "reg-plane": "regression: points in [-6, 6]^2, target (x1 + x2) / 10 (Playground's plane)",
    "reg-gauss": "regression: points in [-6, 6]^2, target from six signed bumps (Playground's Gaussian)",
}

FILE_N_SAMPLES_RANGE = (2, 10_000_000)  # subsampling a file or digits/MNIST (generated sets: RANGES)

MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)
MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
_IDX_MAGIC = {"images": 2051, "labels": 2049}
_SNIFF_BYTES = 8192  # how much of a file we inspect to decide it is binary
# A file may take at most budget / expansion bytes: parsing a CSV holds the text, its lines and
# the float64 array (a few times the file's size); IDX pixels become float64 (8 bytes per byte).
FILE_EXPANSION = 4
IDX_EXPANSION = 9


# --------------------------------------------------------------------------- the dataset


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A train/test split. X: float64 (n, d) C-contiguous; y: int64 (n,) with labels 0..k-1.

    ``class_labels[i]`` is the label class ``i`` had in the source (e.g. (3, 7) for a CSV whose
    labels were 3 and 7). ``path`` is the absolute path for user files, None for built-ins.
    ``targets_train``/``targets_test``: float (n, K) target vectors to train on, for data given as
    points with explicit targets (see ``from_points``); y then holds the class each target
    vector stands for (its argmax, or target >= 0.5 for one column), used for the accuracy.
    A test fraction of 0 leaves X_test empty (0 rows).
    ``features``: the input features X holds, computed from 2-D points kept in
    ``plane_train``/``plane_test`` (see ``with_features``); () when X holds the points themselves.
    ``task`` "regression": the target is one float per row, in ``targets_train``/``targets_test``
    (n, 1); there are no classes, so y is all 0 and n_classes is 1.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    feature_names: list[str]
    name: str
    class_labels: tuple[int, ...] = ()
    path: str | None = None
    targets_train: np.ndarray | None = None
    targets_test: np.ndarray | None = None
    features: tuple[str, ...] = ()
    plane_train: np.ndarray | None = None
    plane_test: np.ndarray | None = None
    task: str = "classification"

    def __post_init__(self):
        # Enforce the dtype/layout contract once, here, so every loader gets it for free.
        # xor shares one array for train and test; keep that identity.
        same = self.X_test is self.X_train and self.y_test is self.y_train
        put = object.__setattr__
        put(self, "X_train", np.ascontiguousarray(self.X_train, dtype=np.float64))
        put(self, "y_train", np.ascontiguousarray(self.y_train, dtype=np.int64))
        if same:
            put(self, "X_test", self.X_train)
            put(self, "y_test", self.y_train)
        else:
            put(self, "X_test", np.ascontiguousarray(self.X_test, dtype=np.float64))
            put(self, "y_test", np.ascontiguousarray(self.y_test, dtype=np.int64))
        put(self, "n_classes", int(self.n_classes))
        put(self, "feature_names", list(self.feature_names))
        if not self.class_labels:
            put(self, "class_labels", tuple(range(self.n_classes)))
        if self.targets_train is not None:
            put(self, "targets_train", np.ascontiguousarray(self.targets_train, dtype=np.float64))
            put(self, "targets_test", np.ascontiguousarray(self.targets_test, dtype=np.float64))

    @property
    def n_outputs(self) -> int:
        """Output units a network needs: the target vectors' width, else the number of classes."""
        return self.targets_train.shape[1] if self.targets_train is not None else self.n_classes

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    @property
    def points_train(self) -> np.ndarray:
        """The training points in the plane they are drawn in: X itself unless features were computed."""
        return self.X_train if self.plane_train is None else self.plane_train

    @property
    def points_test(self) -> np.ndarray:
        return self.X_test if self.plane_test is None else self.plane_test

    def inputs(self, points: np.ndarray) -> np.ndarray:
        """The network's inputs for points of the plane (e.g. a picture's grid): their features."""
        if not self.features:
            return points
        from .features import transform

        return transform(points, self.features)

    @property
    def is_2d(self) -> bool:
        """Whether the points lie in a plane that can be drawn (the network may see other features)."""
        return self.points_train.shape[1] == 2

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """(xmin, xmax, ymin, ymax) of all points padded by 10% per axis; None unless 2-D."""
        if not self.is_2d:
            return None
        P, Q = self.points_train, self.points_test
        X = P if self.X_test is self.X_train else np.vstack([P, Q])
        lo, hi = X.min(axis=0), X.max(axis=0)
        span = hi - lo
        pad = np.where(span > 0, 0.1 * span, 0.5)  # a flat axis still gets a visible range
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
                float(lo[1] - pad[1]), float(hi[1] + pad[1]))

    def __repr__(self) -> str:
        what = "float target" if self.is_regression else f"classes={self.n_classes}"
        return (f"Dataset({self.name!r}, train={self.n_train}, test={self.n_test}, "
                f"features={self.n_features}, {what})")


# --------------------------------------------------------------------------- public entry points


def load(name, n_samples=None, noise=None, test_fraction=None, seed=0, classes=None,
         standardize=False, label_column=None, task="auto") -> Dataset:
    """Load a built-in dataset or a user file; see the module docstring.

    ``None`` arguments take the per-dataset default from ``DEFAULTS``. ``n_samples`` for a file
    subsamples it (seeded) before splitting; asking for more rows than exist uses them all.
    ``classes`` only affects spiral and blobs. ``label_column`` (CSV only) is a header name or a
    0-based column index (negative counts from the end); by default the last column.
    ``task`` (see ``TASKS``): for a file, "auto" means regression when the target column holds a
    non-integer value; a built-in set has its own task, and asking for the other is an error.
    """
    seed = validate.whole("seed", seed)
    validate.choice("task", task, TASKS)
    if test_fraction is not None:
        test_fraction = validate.in_range("test_fraction", test_fraction)
    key = _builtin_key(name)
    if key is not None and label_column is not None:
        raise ValueError(f"label_column only applies to CSV files, not the built-in {key!r}")
    if key is not None:
        _check_builtin_task(key, task)
    rng = np.random.default_rng(seed)
    if key in REGRESSION_SETS:
        ds = _regression(key, n_samples, noise, test_fraction, rng)
    elif key == "xor":
        ds = _xor()
    elif key == "digits":
        ds = _digits(n_samples, noise, test_fraction, rng)
    elif key is not None:
        ds = _generated(key, n_samples, noise, test_fraction, classes, rng)
    else:
        ds = _load_path(name, n_samples, noise, test_fraction, classes, label_column, task, rng)
    return _standardized(ds) if standardize else ds


def describe(name) -> str:
    """One line of help text for a built-in name (or a generic line for a file path)."""
    key = _builtin_key(name)
    if key is not None:
        return f"{key}: {_DESCRIPTIONS[key]}"
    if str(name).strip().lower() == "mnist":
        return (f"mnist: the MNIST IDX files in {default_mnist_dir()} "
                f"(70000 images, 784 pixels, 10 classes)")
    return (f"{name}: user file (CSV/TXT whose last column is an integer label or a float target, NPZ with arrays X and y, "
            f"or a folder of MNIST IDX files)")


def default_mnist_dir() -> Path:
    """Where MNIST files are looked for: $MLP_TUI_MNIST, else ~/.mlp-tui/mnist."""
    env = os.environ.get("MLP_TUI_MNIST", "").strip()
    return Path(env).expanduser() if env else Path("~/.mlp-tui/mnist").expanduser()


def mnist_help(folder=None) -> str:
    """A few lines telling the user where to put the MNIST files and which ones are missing."""
    folder = Path(folder).expanduser() if folder is not None else default_mnist_dir()
    lines = [f"MNIST is read from the folder {folder}",
             "(set the MLP_TUI_MNIST environment variable to use another folder).",
             "Put these files there (gzipped .gz versions are fine, no need to unpack):"]
    for base in MNIST_FILES:
        found = _find_idx_file(folder, base) if folder.is_dir() else None
        optional = "" if base.startswith("train") else " (optional)"
        status = "found" if found else "missing" + optional
        lines.append(f"  {base:<26}{status}")
    lines.append(f"They can be downloaded from {MNIST_URL} (e.g. {MNIST_FILES[0]}.gz).")
    lines.append("Without the t10k files the training files are split with test_fraction.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- argument checks


def _builtin_key(name) -> str | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower().replace("_", "-")
    return key if key in DATASETS else None


def _check_builtin_task(key: str, task: str) -> None:
    own = "regression" if key in REGRESSION_SETS else "classification"
    if task not in ("auto", own):
        raise ValueError(f"task must be {own} (or auto) for the built-in {key!r}; got {task!r}")


def is_builtin(name) -> bool:
    """Whether ``name`` is a built-in dataset (not a path)."""
    return _builtin_key(name) is not None


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _pick(value, default):
    return default if value is None else value


# --------------------------------------------------------------------------- generated sets


def _xor() -> Dataset:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Dataset(X, y, X, y, 2, ["x1", "x2"], "xor")


def _generated(key, n_samples, noise, test_fraction, classes, rng) -> Dataset:
    d = DEFAULTS[key]
    n = validate.whole("n_samples", _pick(n_samples, d["n_samples"]), *RANGES["n_samples"])
    sigma = validate.in_range("noise", _pick(noise, d["noise"]))
    k = validate.whole("classes", _pick(classes, d["classes"]), *RANGES["classes"])
    if key not in ("spiral", "blobs"):
        k = 2  # the other sets have a fixed number of classes; `classes` is ignored
    if n < 2 * k:
        raise ValueError(f"n_samples must be at least 2 per class ({2 * k} for {k} classes); "
                         f"got {n}")
    X, y = _GENERATORS[key](n, sigma, k, rng)
    return _split_dataset(X, y, k, ["x1", "x2"], key, test_fraction, d["test_fraction"], rng)


def _class_sizes(n: int, k: int) -> list[int]:
    """n split as evenly as possible into k classes (the first n % k get one more)."""
    return [n // k + (j < n % k) for j in range(k)]


def _labels(sizes) -> np.ndarray:
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _xor_cloud(n, noise, k, rng):
    # Equal counts per quadrant (so both classes are always present), uniform inside it;
    # labels come from the clean position, then noise blurs points across the axes.
    quadrant = np.arange(n) % 4
    signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)[quadrant]
    X = signs * rng.uniform(0.0, 1.0, size=(n, 2))
    y = (signs[:, 0] != signs[:, 1]).astype(np.int64)
    return X + rng.normal(0.0, noise, size=X.shape), y


def _moons(n, noise, k, rng):
    n_out, n_in = _class_sizes(n, 2)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)])
    X = np.vstack([outer, inner])
    return X + rng.normal(0.0, noise, size=X.shape), _labels([n_out, n_in])


def _circles(n, noise, k, rng, factor=0.5):
    n_out, n_in = _class_sizes(n, 2)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   factor * np.column_stack([np.cos(t_in), np.sin(t_in)])])
    return X + rng.normal(0.0, noise, size=X.shape), _labels([n_out, n_in])


def _spiral(n, noise, k, rng):
    # CS231n's spiral: arm j sweeps 4 radians of angle while the radius grows from 0 to 1.
    sizes = _class_sizes(n, k)
    parts = []
    for j, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(j * 4, (j + 1) * 4, m) + rng.normal(0.0, 1.0, m) * noise
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return np.vstack(parts), _labels(sizes)


def _blobs(n, noise, k, rng):
    # Centres on a circle sized so neighbours sit ~3 apart (separable at noise 1 but not
    # trivially), with a random rotation and jitter so the seed changes the layout.
    sizes = _class_sizes(n, k)
    radius = 1.5 / math.sin(math.pi / k)
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(k) / k
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    centres += rng.uniform(-0.5, 0.5, size=centres.shape)
    X = np.repeat(centres, sizes, axis=0) + rng.normal(0.0, 1.0, size=(n, 2)) * noise
    return X, _labels(sizes)


_GENERATORS = {"xor-cloud": _xor_cloud, "moons": _moons, "circles": _circles,
               "spiral": _spiral, "blobs": _blobs}

# TensorFlow Playground's regression sets (its dataset.ts): points uniform in a square of
# half-width 6; noise moves the place the target is read at by up to noise * 6 per axis.
_REG_RADIUS = 6.0
# (centre x, centre y, sign) of regressGaussian's six bumps.
_REG_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                       [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def reg_plane_target(P: np.ndarray) -> np.ndarray:
    """regressPlane: x + y mapped linearly from [-10, 10] to [-1, 1] (not clamped)."""
    return (P[:, 0] + P[:, 1]) / 10.0


def reg_gauss_target(P: np.ndarray) -> np.ndarray:
    """regressGaussian: each bump gives sign * max(0, 1 - distance / 2); the value of largest
    magnitude wins (the first on a tie, 0 far from every bump)."""
    dist = np.hypot(P[:, :1] - _REG_BUMPS[:, 0], P[:, 1:] - _REG_BUMPS[:, 1])  # (n, 6)
    values = _REG_BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    return values[np.arange(len(P)), np.abs(values).argmax(axis=1)]


_TARGETS = {"reg-plane": reg_plane_target, "reg-gauss": reg_gauss_target}


def _regression(key, n_samples, noise, test_fraction, rng) -> Dataset:
    d = DEFAULTS[key]
    n = validate.whole("n_samples", _pick(n_samples, d["n_samples"]), *RANGES["n_samples"])
    sigma = validate.in_range("noise", _pick(noise, d["noise"]))
    X = rng.uniform(-_REG_RADIUS, _REG_RADIUS, size=(n, 2))
    shift = rng.uniform(-_REG_RADIUS, _REG_RADIUS, size=(n, 2)) * sigma
    return _regression_dataset(X, _TARGETS[key](X + shift), ["x1", "x2"], key, test_fraction,
                               d["test_fraction"], rng)


def _regression_dataset(X, t, names, name, test_fraction, default_fraction, rng, path=None) -> Dataset:
    """A shuffled split of rows X with float targets t (n,); no classes, so no stratification."""
    frac = default_fraction if test_fraction is None else test_fraction
    y = np.zeros(len(t), np.int64)
    tr, te = split_indices(y, frac, rng)
    T = np.asarray(t, dtype=np.float64).reshape(-1, 1)
    return Dataset(X[tr], y[tr], X[te], y[te], 1, names, name, path=path,
                   targets_train=T[tr], targets_test=T[te], task="regression")


@lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # lazy: importing sklearn costs about a second

    d = load_digits()
    X, y = d.data / 16.0, d.target.astype(np.int64)
    X.setflags(write=False)  # cached and shared; callers always receive copies
    y.setflags(write=False)
    return X, y


def _digits(n_samples, noise, test_fraction, rng) -> Dataset:
    if noise is not None:
        validate.in_range("noise", noise)  # accepted for uniformity, but digits are never perturbed
    X, y = _digits_raw()
    X, y = _subsample(X, y, _check_file_n(n_samples), rng)
    names = [f"px{r}_{c}" for r in range(8) for c in range(8)]
    return _split_dataset(X, y, 10, names, "digits", test_fraction, FILE_TEST_FRACTION, rng)


# --------------------------------------------------------------------------- split and scale


def split_indices(y: np.ndarray, test_fraction: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Stratified shuffled split: each class with >= 2 samples puts about ``test_fraction`` of
    them (at least one, never all) into the test set. Returns (train_idx, test_idx).
    A test fraction of 0 keeps every sample for training (as the tutorials do)."""
    if test_fraction == 0:
        return rng.permutation(len(y)), np.empty(0, np.int64)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = min(max(round(test_fraction * idx.size), 1), idx.size - 1) if idx.size >= 2 else 0
        test.append(idx[:k])
        train.append(idx[k:])
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    if test_idx.size == 0 and train_idx.size >= 2:  # only singleton classes: still need a test set
        pick = rng.integers(train_idx.size)
        test_idx, train_idx = train_idx[pick:pick + 1], np.delete(train_idx, pick)
    return rng.permutation(train_idx), rng.permutation(test_idx)


def _split_dataset(X, y, n_classes, names, name, test_fraction, default_fraction, rng,
                   class_labels=(), path=None) -> Dataset:
    frac = default_fraction if test_fraction is None else test_fraction
    tr, te = split_indices(y, frac, rng)
    return Dataset(X[tr], y[tr], X[te], y[te], n_classes, names, name, tuple(class_labels), path)


MAX_POINTS = 100_000  # rows of a dataset given as points


def from_points(points, targets, test_fraction=None, seed=0, name="points") -> Dataset:
    """A dataset from explicit inputs (n, d) and target vectors (n, K), e.g. a tutorial's worked
    example. Rows keep their order; by default (test_fraction None or 0) all are for training."""
    X = _matrix("points", points)
    T = _matrix("targets", targets)
    if X.shape[0] != T.shape[0]:
        raise ValueError(f"targets must have one row per point ({X.shape[0]}); got {T.shape[0]}")
    frac = 0.0 if test_fraction is None else validate.in_range("test_fraction", test_fraction)
    y = (T[:, 0] >= 0.5).astype(np.int64) if T.shape[1] == 1 else T.argmax(axis=1)
    if frac:
        tr, te = split_indices(y, frac, np.random.default_rng(validate.whole("seed", seed)))
    else:
        tr, te = np.arange(len(y)), np.empty(0, np.int64)
    names = [f"x{i + 1}" for i in range(X.shape[1])]
    return Dataset(X[tr], y[tr], X[te], y[te], max(2, T.shape[1]), names, name,
                   targets_train=T[tr], targets_test=T[te])


def _matrix(arg: str, rows) -> np.ndarray:
    """A non-empty finite (n, k) float matrix from nested lists; ValueError naming ``arg``."""
    try:
        M = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{arg} must be rows of numbers, all of the same length") from None
    if M.ndim != 2 or M.size == 0 or M.shape[0] > MAX_POINTS:
        raise ValueError(f"{arg} must be 1 to {MAX_POINTS} rows of numbers, all of the same length; "
                         f"got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{arg} must be finite numbers")
    return M


def _check_file_n(n_samples) -> int | None:
    """n_samples for a file, digits or MNIST: None (all rows) or a validated int."""
    return None if n_samples is None else validate.whole("n_samples", n_samples, *FILE_N_SAMPLES_RANGE)


def _subsample(X, y, n: int | None, rng):
    """Keep a seeded random ``n`` rows (in their original order); all if n is None or at least
    the number of rows (asking a file for more rows than it has is not an error)."""
    if n is None or n >= len(y):
        return X, y
    keep = np.sort(rng.permutation(len(y))[:n])
    return X[keep], y[keep]


def with_features(ds: Dataset, names) -> Dataset:
    """``ds`` whose X holds the input features ``names`` of its 2-D points (engine.features),
    keeping the points for pictures; the plain (x1, x2) returns ``ds`` itself. Standardize
    first: the features are computed from the coordinates the points are drawn at. Raises
    FieldError("features", ...) for a bad list or data that is not 2-D."""
    from . import features

    names = tuple(names)
    if names == features.PLAIN:
        return ds
    reason = features.problem(names) or features.plane_problem(names, ds.n_features)
    if reason:
        raise validate.FieldError("features", reason)
    same = ds.X_test is ds.X_train
    X_train = features.transform(ds.X_train, names)
    X_test = X_train if same else features.transform(ds.X_test, names)
    return replace(ds, X_train=X_train, X_test=X_test, y_test=ds.y_train if same else ds.y_test,
                   feature_names=list(names), features=names, plane_train=ds.X_train, plane_test=ds.X_test)


def _standardized(ds: Dataset) -> Dataset:
    """z-score every feature with the training set's mean and std (a constant feature keeps
    std 1 so it maps to 0 instead of dividing by zero); the test set uses the same numbers."""
    mean = ds.X_train.mean(axis=0)
    std = ds.X_train.std(axis=0)
    std[std == 0] = 1.0
    X_train = (ds.X_train - mean) / std
    X_test = X_train if ds.X_test is ds.X_train else (ds.X_test - mean) / std
    y_test = ds.y_train if ds.X_test is ds.X_train else ds.y_test
    return Dataset(X_train, ds.y_train, X_test, y_test, ds.n_classes, ds.feature_names,
                   ds.name, ds.class_labels, ds.path, ds.targets_train, ds.targets_test, ds.task)


# --------------------------------------------------------------------------- user files


def _load_path(name, n_samples, noise, test_fraction, classes, label_column, task, rng) -> Dataset:
    if noise is not None:
        validate.in_range("noise", noise)  # validated for uniformity; files are never perturbed
    if classes is not None:
        validate.whole("classes", classes, *RANGES["classes"])
    n_samples = _check_file_n(n_samples)
    shown = os.fspath(name) if isinstance(name, (str, os.PathLike)) else None
    if shown is None:
        raise TypeError(f"name must be a dataset name or a path; got {name!r}")
    if shown.strip().lower() == "mnist" and not os.path.exists(shown):
        shown = str(default_mnist_dir())
        if not os.path.isdir(shown):
            raise DatasetError(f"MNIST files not found.\n{mnist_help(shown)}", path=shown)
    path = os.path.expanduser(shown)
    if not os.path.exists(path):
        message = (f"{shown}: file not found, and it is not a built-in dataset "
                   f"(built-ins: {', '.join(DATASETS)}; 'mnist' reads {default_mnist_dir()})")
        if "mnist" in os.path.basename(os.path.normpath(path)).lower():  # e.g. a preset's folder
            message += "\n" + mnist_help(path)
        raise DatasetError(message, path=shown)
    if os.path.isdir(path):
        if label_column is not None:
            raise ValueError("label_column only applies to CSV files, not an MNIST folder")
        if task == "regression":
            raise ValueError("task regression needs a float target: reg-plane, reg-gauss or a CSV/NPZ file")
        return _load_mnist(path, shown, n_samples, test_fraction, rng)
    # A regular file is opened by path; anything else (a pipe) is read once, then parsed.
    raw = None if is_regular(path) else _read_input(path, shown)
    kind = _file_kind(path, shown, raw)
    if kind == "npz":
        if label_column is not None:
            raise ValueError("label_column only applies to CSV files, not NPZ")
        X, y, names = _read_npz(path if raw is None else BytesIO(raw), shown, task)
    else:
        X, y, names = _read_csv(_read_input(path, shown) if raw is None else raw, shown, label_column, task)
    if y.dtype.kind == "f":  # the reader found (or was told) a regression target
        _check_widths(X.shape[1], 1, shown)
        X, y = _subsample(X, y, n_samples, rng)
        return _regression_dataset(X, y, names, shown, test_fraction, FILE_TEST_FRACTION, rng,
                                   os.path.abspath(path))
    y, labels = _remap_labels(y, shown)
    _check_widths(X.shape[1], len(labels), shown)
    X, y = _subsample(X, y, n_samples, rng)
    return _split_dataset(X, y, len(labels), names, shown, test_fraction, FILE_TEST_FRACTION,
                          rng, labels, os.path.abspath(path))


def _read_bytes(path: str, shown: str, limit: int = -1) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError as e:
        raise DatasetError(file_error(shown, "cannot read the file", e), path=shown) from None


def _read_input(path: str, shown: str) -> bytes:
    """A dataset file's bytes, capped so that parsing them fits the memory budget."""
    return read_input(path, shown, memory.budget() // FILE_EXPANSION, DatasetError)


def _file_kind(path: str, shown: str, raw: bytes | None) -> str:
    """'npz' or 'csv', by extension; an unknown extension is sniffed (zip magic -> npz) in
    ``raw``, the bytes already read from a pipe, or the file's first bytes."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        return "npz"
    if ext in (".csv", ".txt", ".tsv"):
        return "csv"
    head = raw[:4] if raw is not None else _read_bytes(path, shown, 4)
    return "npz" if head == b"PK\x03\x04" else "csv"


def _remap_labels(y: np.ndarray, shown: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Labels (already checked integral) -> 0..k-1, plus the original label of each class."""
    labels, y = np.unique(y, return_inverse=True)
    if labels.size < 2:
        only = int(labels[0]) if labels.size else None
        raise DatasetError(f"{shown}: all labels are {only}: a classifier needs at least 2 classes",
                           path=shown)
    return y.astype(np.int64), tuple(int(v) for v in labels)


def _check_widths(n_features: int, n_classes: int, shown: str) -> None:
    """A network's input and output layers have at most MAX_IO_WIDTH units."""
    for count, what in ((n_features, "features"), (n_classes, "classes (distinct labels)")):
        if count > MAX_IO_WIDTH:
            raise DatasetError(f"{shown}: {count} {what}; at most {MAX_IO_WIDTH} are supported",
                               path=shown)


def _is_integral(y: np.ndarray) -> bool:
    return y.dtype.kind in "iub" or bool(np.all(np.isfinite(y) & (y == np.round(y))))


def _target(y: np.ndarray, task: str, shown: str, where) -> np.ndarray:
    """The target column as int64 labels (classification) or float64 values (regression: asked
    for, or "auto" and a value is not a whole number); errors name the first bad value."""
    if task == "classification" or (task == "auto" and _is_integral(y)):
        return _check_integral_labels(y, shown, where)
    y = y.astype(np.float64)
    bad = ~np.isfinite(y)
    if bad.any():
        text, line, column = where(int(np.argmax(bad)))
        raise DatasetError(f"{shown}: {text}: target {float(y[bad][0])!r} is not a finite number",
                           path=shown, line=line, column=column)
    return y


def _check_integral_labels(y: np.ndarray, shown: str, where) -> np.ndarray:
    """Float labels must be finite whole numbers (1.0 is fine); returns them as int64.
    ``where(i)`` describes sample i for the message and returns (text, line, column)."""
    if y.dtype.kind in "iub":
        return y.astype(np.int64)
    bad = ~np.isfinite(y) | (y != np.round(y)) | (np.abs(y) > 2 ** 53)
    if bad.any():
        i = int(np.argmax(bad))
        text, line, column = where(i)
        raise DatasetError(f"{shown}: {text}: label {float(y[i])!r} is not an integer "
                           f"(labels must be whole numbers such as 0, 1, 2)",
                           path=shown, line=line, column=column)
    return y.astype(np.int64)


# --------------------------------------------------------------------------- CSV


def _decode_text(raw: bytes, shown: str) -> str:
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise DatasetError(f"{shown}: looks like a binary file, not CSV (it contains NUL bytes)",
                           path=shown)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < _SNIFF_BYTES:
            raise DatasetError(f"{shown}: looks like a binary file, not CSV "
                               f"(byte {e.start} is not UTF-8 text)", path=shown) from None
        message, line = not_utf8(shown, raw, e)
        raise DatasetError(message, path=shown, line=line) from None


def _content(line: str) -> str:
    """A line without its '#' comment and surrounding whitespace."""
    return line.split("#", 1)[0].strip()


def _sniff_delimiter(line: str) -> str | None:
    for d in (",", "\t", ";"):
        if d in line:
            return d
    return None  # whitespace-separated


def _split_cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter, quotechar='"'))]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


class _CsvLayout:
    """Where things are in a CSV text: delimiter, header, and the line numbers of data rows."""

    def __init__(self, text: str, shown: str):
        self.lines = text.split("\n")
        content = [i for i, line in enumerate(self.lines) if _content(line)]
        if not content:
            raise DatasetError(f"{shown}: the file is empty (no data rows)", path=shown)
        first = _content(self.lines[content[0]])
        self.delimiter = _sniff_delimiter(first)
        cells = _split_cells(first, self.delimiter)
        # A first row with any non-numeric cell is a header (names for the columns).
        self.header = None if all(_is_number(c) for c in cells) else cells
        self.header_index = content[0] if self.header is not None else -1
        # 1-based line numbers of the data rows, so any row index can be reported as a line.
        self.data_lines = np.array([i + 1 for i in content if i > self.header_index],
                                   dtype=np.int64)
        self.n_columns = len(cells)
        if self.data_lines.size == 0:
            raise DatasetError(f"{shown}: has a header line but no data rows", path=shown,
                               line=self.header_index + 1)

    def column_text(self, col: int) -> str:
        """'column 2' or 'column 2 ("petal")' with the 0-based index shown 1-based."""
        name = self.header[col] if self.header and col < len(self.header) else ""
        return f"column {col + 1}" + (f' ("{name}")' if name else "")


def _fast_parse(text: str, layout: _CsvLayout) -> np.ndarray | None:
    """NumPy's C parser for the common, clean case; None means "let the slow path explain"."""
    try:
        data = np.loadtxt(StringIO(text), dtype=np.float64, delimiter=layout.delimiter,
                          comments="#", skiprows=layout.header_index + 1, ndmin=2,
                          quotechar='"' if layout.delimiter else None)
    except (ValueError, TypeError):
        return None
    ok = (data.shape == (layout.data_lines.size, layout.n_columns)
          and np.isfinite(data).all())
    return data if ok else None


def _slow_parse(layout: _CsvLayout, shown: str) -> np.ndarray:
    """Cell-by-cell parse that raises with the exact line and column of the first problem."""
    rows = []
    for line_no in layout.data_lines:
        cells = _split_cells(_content(layout.lines[line_no - 1]), layout.delimiter)
        if len(cells) != layout.n_columns:
            raise DatasetError(f"{shown}: line {line_no}: expected {layout.n_columns} columns, "
                               f"got {len(cells)}", path=shown, line=int(line_no))
        rows.append([_parse_cell(cell, int(line_no), j, layout, shown)
                     for j, cell in enumerate(cells)])
    return np.array(rows, dtype=np.float64)


def _parse_cell(cell: str, line_no: int, col: int, layout: _CsvLayout, shown: str) -> float:
    where = f"{shown}: line {line_no}, {layout.column_text(col)}"
    try:
        value = float(cell)
    except ValueError:
        what = "empty cell" if cell == "" else f"non-numeric value {cell!r}"
        raise DatasetError(f"{where}: {what}; every cell must be a number", path=shown,
                           line=line_no, column=col + 1) from None
    if not math.isfinite(value):
        raise DatasetError(f"{where}: {cell!r} is not a finite number (NaN and infinity are "
                           f"not allowed)", path=shown, line=line_no, column=col + 1)
    return value


def _label_index(label_column, layout: _CsvLayout, shown: str) -> int:
    n = layout.n_columns
    if label_column is None:
        return n - 1
    if _is_int(label_column):
        if not -n <= label_column < n:
            raise DatasetError(f"{shown}: label_column {label_column} is out of range: the file "
                               f"has {n} columns (indices 0..{n - 1}, or negative from the end)",
                               path=shown)
        return int(label_column) % n
    if not isinstance(label_column, str):
        raise ValueError(f"label_column must be a column name or an integer index; "
                         f"got {label_column!r}")
    if layout.header is None:
        raise DatasetError(f"{shown}: label_column {label_column!r} names a column, but the file "
                           f"has no header line; use a 0-based index instead", path=shown)
    if label_column in layout.header:
        return layout.header.index(label_column)
    folded = [h.strip().lower() for h in layout.header]  # then forgive case and spaces
    if label_column.strip().lower() in folded:
        return folded.index(label_column.strip().lower())
    raise DatasetError(f"{shown}: no column named {label_column!r}; the columns are "
                       f"{', '.join(layout.header)}", path=shown, line=layout.header_index + 1)


def _read_csv(raw: bytes, shown: str, label_column, task: str = "classification"):
    layout = _CsvLayout(_decode_text(raw, shown), shown)
    if layout.n_columns < 2:
        raise DatasetError(f"{shown}: needs at least 2 columns (features, then the label); "
                           f"found 1", path=shown, line=int(layout.data_lines[0]))
    label = _label_index(label_column, layout, shown)
    data = _fast_parse("\n".join(layout.lines), layout)
    if data is None:
        data = _slow_parse(layout, shown)
    features = [j for j in range(layout.n_columns) if j != label]
    names = [(layout.header[j] if layout.header and layout.header[j] else f"x{j + 1}")
             for j in features]

    def where(i):
        return (f"line {layout.data_lines[i]}, {layout.column_text(label)}",
                int(layout.data_lines[i]), label + 1)

    y = _target(data[:, label], task, shown, where)
    return np.ascontiguousarray(data[:, features]), y, names


# --------------------------------------------------------------------------- NPZ


# What a corrupt or hostile .npz can make zipfile/zlib/NumPy raise: a bad zip structure, an
# unsupported compression method or zip version (NotImplementedError), an encrypted member
# (RuntimeError), a broken deflate stream (zlib.error), or an array header that claims an
# impossible shape (MemoryError when NumPy tries to allocate it).
_NPZ_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
               NotImplementedError, RuntimeError, MemoryError)


def _read_npz(path, shown: str, task: str = "classification"):
    try:
        archive = np.load(path, allow_pickle=False)
    except _NPZ_ERRORS as e:
        raise DatasetError(f"{shown}: not a valid .npz file ({_short(e)})", path=shown) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(f"{shown}: not a valid .npz file (it holds a single array; save with "
                           f"np.savez(path, X=X, y=y))", path=shown)
    with archive:
        missing = [k for k in ("X", "y") if k not in archive.files]
        if missing:
            raise DatasetError(f"{shown}: missing array {' and '.join(missing)}; the file has "
                               f"{', '.join(archive.files) or 'no arrays'} (expected X and y)",
                               path=shown)
        X, y = (_npz_array(archive, k, shown) for k in ("X", "y"))
    return _check_npz_arrays(X, y, shown, task)


def _short(e: BaseException) -> str:
    """An exception as a short one-line reason (MemoryError's text is a long shape dump)."""
    if isinstance(e, MemoryError):
        return "an array header claims a size too large to load; the file is probably corrupt"
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _npz_array(archive, key: str, shown: str) -> np.ndarray:
    try:
        a = archive[key]
    except _NPZ_ERRORS as e:
        raise DatasetError(f"{shown}: array {key} cannot be read ({_short(e)}); it must be numeric",
                           path=shown) from None
    if a.dtype.kind not in "biuf":
        raise DatasetError(f"{shown}: array {key} is not numeric (dtype {a.dtype})", path=shown)
    return a


def _check_npz_arrays(X, y, shown, task: str = "classification"):
    if X.ndim < 2:
        raise DatasetError(f"{shown}: X must have shape (n_samples, n_features); got {X.shape}",
                           path=shown)
    if X.shape[0] == 0 or math.prod(X.shape[1:]) == 0:  # before reshape, which cannot infer -1
        raise DatasetError(f"{shown}: X is empty (shape {X.shape})", path=shown)
    X = X.reshape(X.shape[0], -1)  # images (n, h, w) become rows of pixels
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"{shown}: y must have shape (n_samples,); got {y.shape}", path=shown)
    if X.shape[0] != y.shape[0]:
        raise DatasetError(f"{shown}: shape mismatch: X has {X.shape[0]} rows but y has "
                           f"{y.shape[0]} labels", path=shown)
    X = X.astype(np.float64)
    finite = np.isfinite(X)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise DatasetError(f"{shown}: X[{r}, {c}] is {X[r, c]}; NaN and infinity are not allowed",
                           path=shown)
    y = _target(y, task, shown, lambda i: (f"y[{i}]", None, None))
    return X, y, [f"x{j + 1}" for j in range(X.shape[1])]


# --------------------------------------------------------------------------- MNIST IDX


def _find_idx_file(folder: Path, base: str) -> Path | None:
    """The file for ``base`` in folder, accepting '.gz' and the common 'train-images.idx3-ubyte'
    spelling (a dot before 'idx', as on Kaggle)."""
    dotted = base.replace("-idx", ".idx")
    for name in (base, base + ".gz", dotted, dotted + ".gz"):
        p = folder / name
        if p.is_file():
            return p
    return None


def _read_idx(path: Path, kind: str) -> np.ndarray:
    """Parse an IDX file: big-endian magic, int32 dims, then uint8 data. Returns uint8 array."""
    shown = str(path)
    limit = memory.budget() // IDX_EXPANSION
    raw = read_input(shown, shown, limit, DatasetError)
    if path.suffix == ".gz":
        raw = _gunzip(raw, shown, limit)
    ndim = 3 if kind == "images" else 1
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{shown}: truncated: expected a {header}-byte IDX header, found "
                           f"{len(raw)} bytes", path=shown)
    magic = int.from_bytes(raw[:4], "big")
    if magic != _IDX_MAGIC[kind]:
        raise DatasetError(f"{shown}: wrong magic number {magic}: expected {_IDX_MAGIC[kind]} for "
                           f"an IDX {kind} file", path=shown)
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    expected, found = math.prod(dims), len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "size mismatch"
        raise DatasetError(f"{shown}: {what}: dimensions {'x'.join(map(str, dims))} need "
                           f"{expected} bytes of data, found {found}", path=shown)
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _gunzip(raw: bytes, shown: str, limit: int) -> bytes:
    """Decompress at most ``limit`` bytes: a small .gz can expand to gigabytes (a gzip bomb)."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error as e:
        raise DatasetError(f"{shown}: not a valid gzip file ({e})", path=shown) from None
    if len(out) > limit:
        raise DatasetError(f"{shown}: decompresses to more than {memory.format_size(limit)}; "
                           f"{memory.limit_text(limit * IDX_EXPANSION)}", path=shown)
    if not d.eof:
        raise DatasetError(f"{shown}: not a valid gzip file (truncated)", path=shown)
    return out


def _mnist_files(folder: Path, shown: str) -> dict[str, Path]:
    found = {base: _find_idx_file(folder, base) for base in MNIST_FILES}
    train_missing = [b for b in MNIST_FILES[:2] if found[b] is None]
    test_found = [b for b in MNIST_FILES[2:] if found[b] is not None]
    test_missing = [b for b in MNIST_FILES[2:] if found[b] is None] if test_found else []
    missing = train_missing + test_missing
    if missing:
        raise DatasetError(f"{shown}: MNIST files not found in the folder: {', '.join(missing)} "
                           f"(each may end in .gz)\n{mnist_help(folder)}", path=shown)
    return {b: p for b, p in found.items() if p is not None}


def _mnist_pair(files, images: str, labels: str):
    """(uint8 images (n, rows, cols), int64 labels) for one images/labels pair of files."""
    X, y = _read_idx(files[images], "images"), _read_idx(files[labels], "labels")
    if X.shape[0] != y.shape[0]:
        raise DatasetError(f"{files[images]}: image/label count mismatch: {X.shape[0]} images "
                           f"but {files[labels].name} has {y.shape[0]} labels",
                           path=str(files[images]))
    return X, y.astype(np.int64)


def _load_mnist(path: str, shown: str, n_samples, test_fraction, rng) -> Dataset:
    files = _mnist_files(Path(path), shown)
    images, y = _mnist_pair(files, *MNIST_FILES[:2])
    rows, cols = images.shape[1:]
    names = [f"px{r}_{c}" for r in range(rows) for c in range(cols)]
    X = images.reshape(len(y), -1)
    if MNIST_FILES[2] in files:  # the official test set
        images_test, y_test = _mnist_pair(files, *MNIST_FILES[2:])
        X_test = images_test.reshape(len(y_test), -1)
        if X_test.shape[1] != X.shape[1]:
            raise DatasetError(f"{shown}: test images have {X_test.shape[1]} pixels but training "
                               f"images have {X.shape[1]}", path=shown)
        y_all, labels = _remap_labels(np.concatenate([y, y_test]), shown)
        y, y_test = y_all[:y.size], y_all[y.size:]
        X, y, X_test, y_test = _subsample_both(X, y, X_test, y_test, n_samples, rng)
        tr, te = rng.permutation(y.size), rng.permutation(y_test.size)  # shuffled like the rest
        X, y, X_test, y_test = X[tr], y[tr], X_test[te], y_test[te]
    else:  # only a training pair: split it ourselves
        y, labels = _remap_labels(y, shown)
        X, y = _subsample(X, y, n_samples, rng)
        frac = FILE_TEST_FRACTION if test_fraction is None else test_fraction
        tr, te = split_indices(y, frac, rng)
        X, y, X_test, y_test = X[tr], y[tr], X[te], y[te]
    _check_widths(X.shape[1], len(labels), shown)
    # Convert to float only now, after subsampling, because float64 MNIST is ~440 MB.
    return Dataset(_pixels(X), y, _pixels(X_test), y_test, len(labels), names, shown,
                   labels, os.path.abspath(path))


def _subsample_both(X, y, X_test, y_test, n_samples, rng):
    """With an official test set, n_samples caps the total and both parts shrink in proportion."""
    total = y.size + y_test.size
    if n_samples is None or n_samples >= total:
        return X, y, X_test, y_test
    n = n_samples
    n_test = min(max(1, round(n * y_test.size / total)), n - 1)
    X, y = _subsample(X, y, n - n_test, rng)
    X_test, y_test = _subsample(X_test, y_test, n_test, rng)
    return X, y, X_test, y_test


def _pixels(X: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float64 in [0, 1]."""
    return X / 255.0  # uint8 / float gives float64 in one allocation
