"""Continuing from a checkpoint: the one way the command line (--load) and the dashboard (ctrl+o)
turn a loaded checkpoint into a run, so both restore the same things (weights, leaky_relu's
slope, optimizer state, progress, history)."""
from __future__ import annotations

from engine.checkpoint import Checkpoint, restore_trainer
from engine.config import Run, RunConfig
from engine.errors import CheckpointError

from .fields import build


def checkpoint_config(checkpoint: Checkpoint, base: RunConfig) -> RunConfig:
    """The settings stored in ``checkpoint``; for an old or bare checkpoint (none stored), ``base``
    with the architecture of the checkpoint's network."""
    if isinstance(checkpoint.config, RunConfig):  # as mlp_tui.fields.load_checkpoint made it
        return checkpoint.config
    net = checkpoint.network
    return base.replace(hidden=tuple(net.sizes[1:-1]), activation=net.activation,
                        activations=net.layer_activations or (),
                        output=net.output, loss=net.loss, dtype=str(net.config()["dtype"]),
                        l1=float(net.l1), l2=float(net.l2), bias=net.bias,
                        grad_scale=net.grad_scale)


def build_run(config: RunConfig, checkpoint: Checkpoint | None = None) -> Run:
    """Load the dataset and build the network and trainer; with a checkpoint, continue from it.
    Raises before returning anything, so a caller's current run stays as it was."""
    run = build(config)
    if checkpoint is not None:
        have, want = run.net.params.shape, checkpoint.network.params.shape
        if have != want:
            raise CheckpointError(f"{checkpoint.path}: its network {'-'.join(map(str, checkpoint.network.sizes))} "
                                  f"does not match the settings' {'-'.join(map(str, run.net.sizes))}",
                                  checkpoint.path)
        run.net.params[...] = checkpoint.network.params
        run.net.leak = checkpoint.network.leak
        restore_trainer(checkpoint, run.trainer)
    return run
