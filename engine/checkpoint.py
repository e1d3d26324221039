"""Save and load a whole training state in one .npz: network, architecture, hyperparameters,
optimizer state, progress and history, with JSON metadata inside. Writes are atomic.

Loading never touches an existing network: it builds a new one, so a bad file leaves the
current model as it was. Errors are ``CheckpointError``s naming the file and the problem.
"""
from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np

from . import memory
from .atomic import atomic_write, missing_place
from .errors import CheckpointError, file_error
from .inputs import is_regular, not_a_file, read_input
from .network import Network, validate_sizes

FORMAT = "mlp-tui-checkpoint"
VERSION = 1

# What a corrupt .npz can make zipfile/zlib/NumPy raise while reading: a bad zip structure, an
# unsupported compression method or zip version (NotImplementedError), an encrypted member
# (RuntimeError), a broken deflate stream (zlib.error), an array header claiming an impossible
# shape (MemoryError).
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
                NotImplementedError, RuntimeError, MemoryError)


@dataclass
class Checkpoint:
    path: str
    network: Network
    # The run settings saved with it, as plain data (a dict); mlp_tui.fields.load_checkpoint
    # checks them and makes them a RunConfig.
    config: object | None
    metadata: dict
    optimizer_state: dict
    history: dict
    perm: np.ndarray | None


def save(path, trainer=None, net=None, config=None) -> Path:
    """Write the trainer's (or a bare network's) state to ``path`` atomically, with ``config``'s
    settings (anything with ``to_dict()``, such as a RunConfig)."""
    path = Path(path).expanduser()
    net = trainer.net if trainer is not None else net
    if net is None:
        raise ValueError("save needs a trainer or a network")
    meta = {"format": FORMAT, "version": VERSION, "network": net.config() | {"leak": net.leak},
            "config": config.to_dict() if config is not None else None}
    arrays = {"params": net.params}
    if trainer is not None:
        meta["trainer"] = trainer.hyperparameters()
        meta["progress"] = trainer.progress_state()
        arrays["perm"] = trainer.perm
        arrays.update({f"opt/{k}": np.asarray(v) for k, v in trainer.optimizer.state_dict().items()})
        arrays.update({f"hist/{k}": v for k, v in trainer.history.state().items()})
        if trainer.history.events:
            meta["events"] = trainer.history.events
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    problem = missing_place(path, str(path), "cannot save")
    if problem:
        raise CheckpointError(problem, str(path))
    try:
        with atomic_write(path) as f:
            np.savez(f, **arrays)
    except OSError as e:
        raise CheckpointError(file_error(str(path), "cannot save", e), str(path)) from None
    return path


def load(path) -> Checkpoint:
    """Read a checkpoint; raises CheckpointError naming the file and what is wrong."""
    path = Path(path).expanduser()
    where = str(path)
    arrays = _read_arrays(path, where)
    meta = _read_metadata(arrays, where)
    try:
        net = _network(meta, arrays, where)
        config = _config(meta, where)
    except (CheckpointError, memory.MemoryBudgetError):
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{where}: inconsistent metadata: {e}", where) from None
    opt = {k[4:]: v for k, v in arrays.items() if k.startswith("opt/")}
    hist = {k[5:]: v for k, v in arrays.items() if k.startswith("hist/")}
    return Checkpoint(where, net, config, meta, opt, hist, arrays.get("perm"))


def _read_arrays(path: Path, where: str) -> dict:
    """Every array in the file, read at once."""
    problem = not_a_file(path, where, "checkpoint file")
    if problem:
        raise CheckpointError(problem, where)
    # A regular file is opened by path; a pipe is read once, within the memory budget.
    source = path if is_regular(path) else BytesIO(read_input(path, where, memory.budget(), CheckpointError))
    try:
        with np.load(source, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except PermissionError as e:
        raise CheckpointError(file_error(where, "cannot read the file", e), where) from None
    except _READ_ERRORS as e:
        try:
            empty = path.stat().st_size == 0
        except OSError:
            empty = False
        kind = "empty file" if empty else "not a valid .npz checkpoint (truncated or corrupt?)"
        raise CheckpointError(f"{where}: {kind} ({type(e).__name__})", where) from None


def _read_metadata(arrays: dict, where: str) -> dict:
    """The JSON metadata (taken out of ``arrays``), checked to be an mlp-tui checkpoint this
    version can read."""
    if "meta" not in arrays:
        raise CheckpointError(f"{where}: not an mlp-tui checkpoint (no metadata; a plain .npz dataset?)", where)
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
        raise CheckpointError(f"{where}: metadata is corrupt", where) from None
    except RecursionError:  # json recurses once per nested list or object
        raise CheckpointError(f"{where}: metadata is corrupt (nested too deeply)", where) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not an mlp-tui checkpoint", where)
    version = meta.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(f"{where}: metadata is corrupt (format version {version!r})", where)
    if version > VERSION:
        raise CheckpointError(f"{where}: written by a newer mlp-tui (format {version})", where)
    return meta


def _network(meta: dict, arrays: dict, where: str) -> Network:
    """A new network of the stored architecture holding the stored parameters (taken out of
    ``arrays``)."""
    arch = dict(meta["network"])
    leak = arch.pop("leak", None)
    sizes = validate_sizes(arch.get("sizes"))
    params = arrays.pop("params")
    # Checked before the network is built: metadata can declare a network far larger than
    # the file (and than memory); its parameters must be in the file and fit the budget.
    wanted = (memory.n_params(sizes, arch.get("bias", True)),)
    if params.shape != wanted:
        raise CheckpointError(f"{where}: parameters have shape {params.shape}, the architecture "
                              f"{'-'.join(map(str, sizes))} needs {wanted}", where)
    memory.require(f"{where}: its network {'-'.join(map(str, sizes))}",
                   memory.PARAM_COPIES * params.itemsize * params.size)
    net = Network(**arch)
    if leak is not None:
        net.leak = leak
    if not np.all(np.isfinite(params)):
        raise CheckpointError(f"{where}: parameters contain NaN or infinity", where)
    net.params[...] = params
    return net


def _config(meta: dict, where: str) -> dict | None:
    """The run's settings stored with the network, or None (a bare network, an old file)."""
    settings = meta.get("config")
    if settings is not None and not isinstance(settings, dict):
        raise CheckpointError(f"{where}: inconsistent metadata: config must be a table of settings, "
                              f"not {type(settings).__name__}", where)
    return settings or None


def restore_trainer(ckpt: Checkpoint, trainer) -> None:
    """Put a checkpoint's optimizer state, progress and history into a trainer built for it."""
    where = ckpt.path
    if trainer.net.params.shape != ckpt.network.params.shape:
        raise CheckpointError(f"{where}: its network {'-'.join(map(str, ckpt.network.sizes))} does not "
                              f"match the current one {'-'.join(map(str, trainer.net.sizes))}", where)
    try:
        if ckpt.optimizer_state:
            trainer.optimizer.load_state_dict(ckpt.optimizer_state)
        if "progress" in ckpt.metadata and ckpt.perm is not None and ckpt.perm.shape == (trainer.n,):
            perm = ckpt.perm
            if perm.dtype.kind not in "iu" or not np.array_equal(np.sort(perm), np.arange(trainer.n)):
                raise ValueError("the saved shuffling order is not a permutation of the training set")
            trainer.load_progress_state(ckpt.metadata["progress"], perm)
        if ckpt.history:
            trainer.history.load_state(ckpt.history)
        if "events" in ckpt.metadata:
            trainer.history.load_events(ckpt.metadata["events"])
    except (KeyError, TypeError, ValueError, OverflowError, IndexError) as e:
        raise CheckpointError(f"{where}: optimizer or progress state does not fit: {e}", where) from None
