"""Initial weights from a file, so that a worked example starts from its published numbers.

The file holds one array per layer, named as the trace names them: W1, b1, W2, b2, ... (no b
for a network without biases). W_l has shape (fan_in, fan_out): row i holds the weights out of
input i. Formats: ``.npz`` with those arrays, or ``.json`` with an object of nested lists
keyed the same way, e.g. {"W1": [[0.15, 0.25], [0.2, 0.3]], "b1": [0.35, 0.35], ...}; JSON keys
starting with "_" are comments (where the numbers come from).

``read(path)`` returns the arrays; ``flat_params(arrays, net, shown)`` checks them against the
network and lays them out as ``net.params``. Problems raise InitWeightsError naming the file
and the array at fault.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import InitWeightsError, file_error

MAX_BYTES = 200_000_000  # far above the largest network's weights as JSON text


def read(path) -> dict[str, np.ndarray]:
    """The named arrays of an .npz or .json file; InitWeightsError naming the file if unreadable."""
    shown = os.fspath(path)
    p = Path(shown).expanduser()
    if not p.is_file():
        raise InitWeightsError(f"{shown}: {'is a folder' if p.is_dir() else 'no such file'} "
                               f"(initial weights must be an .npz or .json file)", shown)
    suffix = p.suffix.lower()
    if suffix not in (".npz", ".json"):
        raise InitWeightsError(f"{shown}: initial weights must be an .npz or .json file; got {suffix or 'no extension'}",
                               shown)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InitWeightsError(f"{shown}: too large for initial weights (over {MAX_BYTES} bytes)", shown)
        return _read_npz(p) if suffix == ".npz" else _read_json(p, shown)
    except PermissionError as e:
        raise InitWeightsError(file_error(shown, "cannot read the file", e), shown) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise InitWeightsError(f"{shown}: not a valid .npz file ({type(e).__name__})", shown) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InitWeightsError(f"{shown}: not valid JSON ({e})", shown) from None
    except ValueError as e:  # a corrupt .npz member
        raise InitWeightsError(f"{shown}: not a valid .npz file ({e})", shown) from None


def _read_npz(p: Path) -> dict[str, np.ndarray]:
    with np.load(p, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _read_json(p: Path, shown: str) -> dict[str, np.ndarray]:
    data = json.loads(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InitWeightsError(f"{shown}: must hold a JSON object such as {{\"W1\": [[...]], \"b1\": [...]}}", shown)
    arrays = {}
    for name, rows in data.items():
        if name.startswith("_"):
            continue
        try:
            arrays[name] = np.array(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise InitWeightsError(f"{shown}: {name} must be numbers in rows of equal length", shown) from None
    return arrays


def expected_shapes(net) -> dict[str, tuple[int, ...]]:
    """Array name -> shape, in the order of ``net.params`` (all W, then all b)."""
    shapes = {f"W{l}": layer.W.shape for l, layer in enumerate(net.layers, start=1)}
    shapes.update({f"b{l}": layer.b.shape for l, layer in enumerate(net.layers, start=1) if layer.b is not None})
    return shapes


def flat_params(arrays: dict, net, shown: str) -> np.ndarray:
    """The arrays checked against ``net`` and concatenated as ``net.params`` is laid out."""
    shapes = expected_shapes(net)
    arch = "-".join(map(str, net.sizes)) + ("" if net.bias else " without biases")
    for name in arrays:
        if name not in shapes:
            raise InitWeightsError(f"{shown}: unexpected array {name!r}; the network {arch} takes "
                                   f"{', '.join(shapes)}", shown)
    parts = []
    for name, shape in shapes.items():
        if name not in arrays:
            raise InitWeightsError(f"{shown}: array {name} is missing; the network {arch} takes "
                                   f"{', '.join(shapes)}", shown)
        a = np.asarray(arrays[name])
        if a.shape != shape:
            raise InitWeightsError(f"{shown}: {name} has shape {a.shape}; the network {arch} needs {shape}", shown)
        if a.dtype.kind not in "iuf" or not np.all(np.isfinite(a)):
            raise InitWeightsError(f"{shown}: {name} must hold finite numbers", shown)
        parts.append(a.astype(np.float64).ravel())
    return np.concatenate(parts)


def load_into(path, net) -> None:
    """Start ``net`` from the file's weights (a reset returns to them)."""
    shown = os.fspath(path)
    net.set_initial_params(flat_params(read(path), net, shown))
