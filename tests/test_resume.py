"""Continuing from a checkpoint: the dashboard (Session.load) restores what ``mlp-tui --load``
restores, leaky_relu's slope and a bare checkpoint's architecture included."""
import numpy as np
import pytest

from engine import Network, checkpoint, config as cfg
from engine.errors import CheckpointError
from mlp_tui.cli import main
from mlp_tui.session import Session


@pytest.fixture
def leaky_checkpoint(tmp_path):
    """A leaky_relu run with a non-default slope, trained a few steps and saved."""
    config = cfg.RunConfig(dataset="xor", hidden=(5,), activation="leaky_relu", optimizer="momentum",
                           batch_size=2, epochs=3)
    run = cfg.build(config)
    run.net.leak = 0.2
    run.trainer.train(steps=7)
    path = checkpoint.save(tmp_path / "leaky.npz", run.trainer, config=config)
    return path, run


@pytest.fixture
def session():
    s = Session(cfg.build(cfg.RunConfig(dataset="moons", n_samples=60, hidden=(3,))))
    yield s
    s.shutdown()


def _assert_continues(run, saved):
    assert run.net.leak == saved.net.leak == 0.2
    assert run.trainer.step_count == saved.trainer.step_count == 7
    np.testing.assert_array_equal(run.net.params, saved.net.params)
    np.testing.assert_array_equal(run.trainer.optimizer.state_dict()["v"],
                                  saved.trainer.optimizer.state_dict()["v"])


def test_the_dashboard_restores_what_the_cli_restores(leaky_checkpoint, session, monkeypatch):
    path, saved = leaky_checkpoint
    session.load(path)
    _assert_continues(session.run, saved)

    launched = {}
    monkeypatch.setattr("mlp_tui.cli._dashboard", lambda args, run: launched.update(run=run) or 0)
    assert main(["--load", str(path)]) == 0
    _assert_continues(launched["run"], saved)


def test_the_dashboard_loads_a_bare_network_with_its_architecture(tmp_path, session):
    net = Network([2, 7, 2], activation="relu", seed=3)
    path = checkpoint.save(tmp_path / "bare.npz", net=net)
    session.load(path)
    assert tuple(session.net.sizes) == (2, 7, 2) and session.net.activation == "relu"
    np.testing.assert_array_equal(session.net.params, net.params)
    assert session.config.dataset == "moons"  # the data comes from the current settings


def test_a_checkpoint_that_does_not_fit_the_data_keeps_the_run(tmp_path, session):
    path = checkpoint.save(tmp_path / "wide.npz", net=Network([5, 3, 2]))
    net, params = session.net, session.net.params.copy()
    with pytest.raises(CheckpointError, match="wide.npz: its network 5-3-2 does not match the settings' 2-3-2"):
        session.load(path)
    assert session.net is net
    np.testing.assert_array_equal(session.net.params, params)


def _trainer_settings(trainer):
    h = trainer.hyperparameters()
    return {k: h[k] for k in ("lr", "batch_size", "clip_norm", "clip_value", "schedule", "schedule_params",
                              "momentum")}


@pytest.mark.parametrize("changes", [{"clip_norm": 0.0, "clip_value": 0.0},  # 0 turns clipping off
                                     {"schedule": "step", "decay": 0.25, "decay_every": 3},
                                     {"decay": 0.1}, {"lr": 0.5, "momentum": 0.7, "batch_size": 4}])
def test_settings_changed_live_reach_the_trainer_as_a_new_run_would_get_them(changes):
    start = cfg.RunConfig(dataset="xor", hidden=(3,), optimizer="momentum", clip_norm=2.0, clip_value=1.0,
                          schedule="exponential", decay=0.5)
    s = Session(cfg.build(start))
    try:
        s.apply_live(changes)
        fresh = cfg.build(start.replace(**changes))
        assert _trainer_settings(s.trainer) == _trainer_settings(fresh.trainer)
    finally:
        s.shutdown()
