"""The tutorials' other lessons as presets: each test checks what its preset teaches."""
from __future__ import annotations

import numpy as np
import pytest

from engine import config, presets


def built(name: str, **changes):
    return config.build(presets.get(name).config.replace(**changes))


# ----- lr-too-high: the watchdog restores parameters whose loss was still normal -------------------------
def test_divergence_restores_the_normal_loss_and_a_lower_lr_then_converges():
    run = built("lr-too-high")
    t = run.trainer
    first_loss = t.step()["loss"]
    t.train(epochs=10)
    assert t.divergence is not None
    # Step 2's loss (about 2018) was finite and under the explosion limit, but not normal:
    # the restore goes back to the parameters whose loss was the first step's.
    restored = float(run.net.loss_value(t.X_train, t.y_train))
    assert restored == pytest.approx(first_loss)
    assert t.divergence.restored_step == 0
    t.set_hyperparameters(lr=0.1)
    t.train(epochs=2000)
    assert t.divergence is None
    assert t.evaluate()["train_acc"] == 1.0


def test_divergence_restores_the_optimizer_state_kept_with_the_parameters():
    run = built("moons", optimizer="momentum", lr=0.05, epochs=1)
    t = run.trainer
    t.train(steps=20)  # the next step's parameters (loss normal) are backed up
    params, state = run.net.params.copy(), t.optimizer.snapshot_state()
    t.train(steps=5)
    t.set_hyperparameters(lr=1e5)
    with np.errstate(all="ignore"):
        t.train(steps=50)
    assert t.divergence is not None and t.divergence.restored_step == 20
    np.testing.assert_array_equal(run.net.params, params)
    assert t.optimizer.t == 20
    assert state.keys() == t.optimizer.snapshot_state().keys() and state
    for key, arr in t.optimizer.snapshot_state().items():
        np.testing.assert_array_equal(arr, state[key])
