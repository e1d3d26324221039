"""The trainer: mini-batches, live hyperparameters, schedules, clipping, metrics, the divergence
watchdog, the traced step, bounded history, and the accuracy the presets reach."""
import math

import numpy as np
import pytest

from engine import Network, config, datasets, presets
from engine.history import DecimatedSeries
from engine.trainer import Trainer
from mlp_tui.divergence import divergence_message
from mlp_tui.fields import FIELDS


def moons(n=200, seed=0):
    return datasets.load("moons", n_samples=n, noise=0.2, seed=seed)


def moons_net(seed=0, **kw):
    return Network([2, 8, 8, 2], activation="tanh", output="softmax", seed=seed, **kw)


def tiny_set(n=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def flat_grads(grads):
    """[(dW, db), ...] in the network's flat layout: every W first, then every b."""
    return np.concatenate([dW.ravel() for dW, _ in grads] + [db.ravel() for _, db in grads])


# ----- mini-batches -------------------------------------------------------------------------
def test_shuffling_is_seeded_per_trainer_and_differs_between_epochs():
    data = moons()
    runs = {}
    for key, seed in (("a", 3), ("b", 3), ("c", 4)):
        t = Trainer(moons_net(seed=0), data, optimizer="sgd", lr=0.1, batch_size=16, seed=seed)
        perms = []
        for _ in range(3):
            t.run_epoch()
            perms.append(t.perm.copy())
        runs[key] = (t.net.params.copy(), perms)
    np.testing.assert_array_equal(runs["a"][0], runs["b"][0])  # same seed: bit-identical
    assert not np.array_equal(runs["a"][0], runs["c"][0])  # same network, other shuffling seed
    perms = runs["a"][1]
    for p in perms:
        np.testing.assert_array_equal(np.sort(p), np.arange(data.n_train))  # a real permutation
    assert not np.array_equal(perms[0], perms[1]) and not np.array_equal(perms[1], perms[2])


def test_full_batch_is_one_step_per_epoch_over_the_whole_set():
    data = moons()
    t = Trainer(moons_net(), data, optimizer="sgd", lr=0.1, batch_size="full")
    assert t.batch_size == data.n_train
    for epoch in range(1, 4):
        m = t.step()
        assert m["batch_size"] == data.n_train
        assert t.step_count == epoch and t.epoch == epoch


def test_last_short_batch_is_used_and_each_sample_once_per_epoch():
    X, y = tiny_set(10)
    t = Trainer(Network([2, 4, 2]), (X, y), optimizer="sgd", lr=0.1, batch_size=4)
    sizes = [t.step()["batch_size"] for _ in range(3)]
    assert sizes == [4, 4, 2]
    assert t.epoch == 1 and t.step_count == 3
    assert [t.step()["batch_size"] for _ in range(3)] == [4, 4, 2]
    assert t.epoch == 2
    assert t.epoch_progress == 2.0


def test_epoch_progress_is_fractional_mid_epoch():
    X, y = tiny_set(10)
    t = Trainer(Network([2, 4, 2]), (X, y), optimizer="sgd", lr=0.1, batch_size=4)
    t.step()
    assert t.epoch_progress == pytest.approx(0.4)
    t.step()
    assert t.epoch_progress == pytest.approx(0.8)


def test_sgd_step_moves_params_by_exactly_minus_lr_times_gradient():
    data = moons()
    net = moons_net(l2=0.01)
    t = Trainer(net, data, optimizer="sgd", lr=0.3, batch_size="full")
    for _ in range(2):
        check = net.copy()
        _, grads = check.loss_and_grads(data.X_train, data.y_train)
        g = flat_grads(grads)
        before = net.params.copy()
        t.step()
        np.testing.assert_array_equal(net.params, before - g * 0.3)


# ----- live changes ---------------------------------------------------------------------------
def test_live_changes_take_effect_next_step_and_keep_optimizer_state():
    data = moons()
    net = moons_net()
    t = Trainer(net, data, optimizer="momentum", lr=0.05, batch_size=16, momentum=0.9)
    t.run_epoch()
    velocity = t.optimizer.v
    v_before, steps_before, opt_t = velocity.copy(), t.step_count, t.optimizer.t
    assert np.any(v_before != 0)

    t.set_hyperparameters(lr=0.02, batch_size="full", l2=0.5, momentum=0.5)
    assert (t.lr, t.batch_size, net.l2, t.optimizer.momentum) == (0.02, data.n_train, 0.5, 0.5)
    assert t.optimizer.v is velocity  # same state array, not a new optimizer
    np.testing.assert_array_equal(t.optimizer.v, v_before)
    assert (t.step_count, t.optimizer.t) == (steps_before, opt_t)

    # At an epoch boundary a full batch is the training set in its original order.
    _, grads = net.copy().loss_and_grads(data.X_train, data.y_train)  # the copy has l2 = 0.5 too
    g = flat_grads(grads)
    p_before = net.params.copy()
    m = t.step()
    v_expected = v_before * 0.5 - g * 0.02
    np.testing.assert_array_equal(t.optimizer.v, v_expected)
    np.testing.assert_array_equal(net.params, p_before + v_expected)
    assert m["batch_size"] == data.n_train and m["lr"] == 0.02
    assert t.history.steps.last()["lr"] == 0.02


def test_batch_size_change_mid_epoch_applies_to_the_next_batch():
    t = Trainer(moons_net(), moons(), optimizer="adam", lr=0.01, batch_size=16)
    t.step()
    t.set_hyperparameters(batch_size=5)
    assert t.step()["batch_size"] == 5
    assert t.epoch_progress == pytest.approx(21 / moons().n_train)


def test_the_trainer_takes_the_learning_rates_the_form_allows_and_no_others():
    lo, hi = FIELDS["lr"].lo, FIELDS["lr"].hi
    t = Trainer(moons_net(), moons(), optimizer="sgd", lr=hi)
    t.set_hyperparameters(lr=lo)
    assert t.lr == lo
    for lr in (np.nextafter(hi, math.inf), np.nextafter(lo, 0.0), 1e6):
        with pytest.raises(ValueError, match="^lr must be"):
            Trainer(moons_net(), moons(), optimizer="sgd", lr=lr)
        with pytest.raises(ValueError, match="^lr must be"):
            t.set_hyperparameters(lr=lr)
    assert t.lr == lo


def test_live_changes_are_checked_without_building_a_network_or_copying_the_optimizer(monkeypatch):
    import copy

    t = Trainer(moons_net(), moons(), optimizer="momentum", lr=0.05, momentum=0.9)

    def refuse(*args, **kw):
        raise AssertionError("a live change built a network or copied the optimizer")
    monkeypatch.setattr(Network, "__init__", refuse)
    monkeypatch.setattr(copy, "copy", refuse)
    t.set_hyperparameters(l1=0.01, l2=0.5, momentum=0.5)
    assert (t.net.l1, t.net.l2, t.optimizer.momentum) == (0.01, 0.5, 0.5)
    with pytest.raises(ValueError, match="momentum"):
        t.set_hyperparameters(momentum=1.5)


@pytest.mark.parametrize("changes, name", [
    ({"lr": -1}, "lr"), ({"lr": 0}, "lr"), ({"lr": float("nan")}, "lr"), ({"lr": "fast"}, "lr"),
    ({"batch_size": 0}, "batch_size"), ({"batch_size": 2.5}, "batch_size"), ({"batch_size": True}, "batch_size"),
    ({"l2": float("nan")}, "l2"), ({"l2": -0.1}, "l2"), ({"l1": float("inf")}, "l1"),
    ({"momentum": 1.5}, "momentum"), ({"clip_norm": -2}, "clip_norm"),
    ({"lr": 0.5, "batch_size": 8, "l2": float("nan")}, "l2"),  # all or nothing
    ({"architecture": (4, 4)}, "architecture"),
])
def test_bad_live_value_raises_naming_it_and_changes_nothing(changes, name):
    net = moons_net()
    t = Trainer(net, moons(), optimizer="momentum", lr=0.05, batch_size=16, momentum=0.9)
    t.step()
    before = (t.lr, t.batch_size, net.l1, net.l2, t.optimizer.momentum, t.clip_norm, t.step_count)
    params, v = net.params.copy(), t.optimizer.v.copy()
    with pytest.raises(ValueError, match=name):
        t.set_hyperparameters(**changes)
    assert (t.lr, t.batch_size, net.l1, net.l2, t.optimizer.momentum, t.clip_norm, t.step_count) == before
    np.testing.assert_array_equal(net.params, params)
    np.testing.assert_array_equal(t.optimizer.v, v)


# ----- schedules and clipping ----------------------------------------------------------------
def test_step_schedule_halves_the_lr_every_n_epochs():
    data = moons(100)
    t = Trainer(moons_net(), data, optimizer="sgd", lr=0.4, batch_size=30, schedule="step",
                schedule_params={"factor": 0.5, "every": 2})
    for _ in range(6):
        t.run_epoch()
    epochs = t.history.epochs.to_dict()
    np.testing.assert_array_equal(epochs["epoch"], [1, 2, 3, 4, 5, 6])
    # Evaluated at the end of epoch e, i.e. at epoch progress e.
    np.testing.assert_allclose(epochs["lr"], [0.4, 0.2, 0.2, 0.1, 0.1, 0.05], rtol=1e-15)
    # The rate each step actually used: 3 steps per epoch (30 + 30 + 10 of the 70 samples).
    assert data.n_train == 70
    steps = t.history.steps.to_dict()
    np.testing.assert_array_equal(steps["step"], np.arange(1, 19))
    np.testing.assert_allclose(steps["lr"], np.repeat([0.4, 0.2, 0.1], 6), rtol=1e-15)


def test_clip_norm_bounds_the_sgd_update():
    lr, clip = 0.5, 0.05
    net = moons_net()
    t = Trainer(net, moons(), optimizer="sgd", lr=lr, batch_size=8, clip_norm=clip)
    clipped = 0
    for _ in range(40):
        before = net.params.copy()
        m = t.step()
        change = float(np.linalg.norm(net.params - before))
        assert change <= lr * clip * (1 + 1e-9)
        if m["grad_norm"] > clip:
            clipped += 1
            assert change == pytest.approx(lr * clip, rel=1e-9)
    assert clipped > 0  # the bound was really exercised


def test_clip_value_bounds_every_sgd_coordinate():
    lr, limit = 1.0, 1e-3
    net = moons_net()
    t = Trainer(net, moons(), optimizer="sgd", lr=lr, batch_size=8, clip_value=limit)
    for _ in range(10):
        before = net.params.copy()
        t.step()
        assert np.max(np.abs(net.params - before)) <= lr * limit * (1 + 1e-12)


# ----- metrics -------------------------------------------------------------------------------
def test_epoch_records_hold_every_metric():
    data = moons(300)
    net = moons_net()
    t = Trainer(net, data, optimizer="adam", lr=0.02, batch_size=32)
    for _ in range(3):
        rec = t.run_epoch()
    records = t.history.records()
    assert len(records) == 3 == len(t.history)
    assert [r["epoch"] for r in records] == [1, 2, 3]
    for r in records:
        for key in ("train_loss", "test_loss"):
            assert math.isfinite(r[key]) and r[key] > 0
        for key in ("train_acc", "test_acc"):
            assert 0.0 <= r[key] <= 1.0
        assert r["lr"] == 0.02
        assert r["samples_per_sec"] > 0 and r["seconds"] > 0
        for l in (1, 2, 3):
            assert r[f"grad_norm_{l}"] > 0 and r[f"weight_norm_{l}"] > 0
    assert records[-1]["step"] == t.step_count == 3 * math.ceil(data.n_train / 32)
    # The last record describes the network as it is now.
    for l, layer in enumerate(net.layers, start=1):
        assert rec[f"weight_norm_{l}"] == pytest.approx(np.linalg.norm(layer.W), rel=1e-12)
    assert rec["test_acc"] == pytest.approx(net.accuracy(data.X_test, data.y_test), abs=0)
    assert rec["train_loss"] == pytest.approx(float(net.loss_value(data.X_train, data.y_train)), rel=1e-12)
    assert records[-1]["train_loss"] < records[0]["train_loss"]


def test_eval_every_skips_evaluations():
    t = Trainer(moons_net(), moons(), optimizer="adam", batch_size="full", eval_every=3)
    t.train(epochs=7)
    np.testing.assert_array_equal(t.history.epochs.column("epoch"), [3, 6])


def test_confusion_matrix_matches_recorded_accuracy():
    data = datasets.load("spiral", n_samples=300, classes=3, seed=1)
    net = Network([2, 16, 3], activation="tanh", seed=1)
    t = Trainer(net, data, optimizer="adam", lr=0.02, batch_size=32)
    t.train(epochs=5)
    cm = t.confusion_matrix()
    assert cm.shape == (3, 3)
    assert cm.sum() == data.n_test
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(data.y_test, minlength=3))
    assert np.trace(cm) / data.n_test == t.history.epochs.last()["test_acc"]
    train_cm = t.confusion_matrix("train")
    assert train_cm.sum() == data.n_train
    assert np.trace(train_cm) / data.n_train == t.history.epochs.last()["train_acc"]


# ----- the divergence watchdog -------------------------------------------------------------------
def run_until_divergence(trainer, max_steps=50):
    """Step until the watchdog fires; returns {step_count: params after that many steps}."""
    seen = {trainer.step_count: trainer.net.params.copy()}
    for _ in range(max_steps):
        trainer.step()
        if trainer.divergence is not None:
            return seen
        seen[trainer.step_count] = trainer.net.params.copy()
    pytest.fail(f"no divergence within {max_steps} steps")


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_watchdog_restores_finite_params_and_training_resumes(optimizer):
    cfg = presets.get("moons").config.replace(lr=1e3, optimizer=optimizer)
    run = config.build(cfg)
    t, net = run.trainer, run.net
    seen = run_until_divergence(t)
    report = t.divergence
    msg = divergence_message(report)
    assert f"layer {report.layer}" in msg and "gradient norms" in msg
    assert 1 <= report.layer <= net.n_layers and len(report.grad_norms) == net.n_layers
    assert "lower the learning rate" in msg
    assert np.all(np.isfinite(net.params))
    assert report.restored_step in seen
    np.testing.assert_array_equal(net.params, seen[report.restored_step])

    # Training on at the same rate diverges again rather than corrupting the weights; the
    # restore may go back to parameters kept before the first divergence (the last normal ones).
    before = dict(seen)
    seen = run_until_divergence(t)
    assert np.all(np.isfinite(net.params))
    restored = t.divergence.restored_step
    np.testing.assert_array_equal(net.params, (seen if restored in seen else before)[restored])
    steps = t.step_count

    t.set_hyperparameters(lr=0.01)
    losses = []
    for _ in range(30):
        m = t.step()
        assert "diverged" not in m, t.divergence and divergence_message(t.divergence)
        losses.append(m["loss"])
    assert t.divergence is None
    assert t.step_count == steps + 30
    assert all(math.isfinite(x) for x in losses)
    assert np.all(np.isfinite(net.params))


def test_non_finite_input_is_caught_and_names_the_first_layer():
    X, y = tiny_set(10)
    X[3, 1] = np.inf
    net = Network([2, 4, 2])
    t = Trainer(net, (X, y), optimizer="sgd", lr=0.1, batch_size="full")
    before = net.params.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        t.step()
    assert t.divergence is not None
    assert "layer 1" in divergence_message(t.divergence) and "z1" in t.divergence.where
    np.testing.assert_array_equal(net.params, before)
    assert t.step_count == 0


def test_exploding_xor_preset_is_stopped_by_the_watchdog():
    run = config.build(presets.get("lr-too-high").config)
    run.trainer.train(epochs=run.config.epochs)
    report = run.trainer.divergence
    assert report is not None
    assert run.trainer.step_count < 100
    assert f"layer {report.layer}" in divergence_message(report) and report.layer in (1, 2)
    assert np.all(np.isfinite(run.net.params))
    # A traced step after lowering the rate resumes too, and clears the report.
    run.trainer.set_hyperparameters(lr=0.1)
    steps = run.trainer.step_count
    trace = run.trainer.step_traced()
    assert run.trainer.divergence is None and run.trainer.step_count == steps + 1
    assert trace.names[-1] == "b2_new" and math.isfinite(trace.loss)
    run.trainer.train(epochs=50)
    assert run.trainer.divergence is None


# ----- the traced step ------------------------------------------------------------------------------
def test_step_traced_records_the_update_and_leaves_the_new_params():
    data = moons()
    net = moons_net()
    t = Trainer(net, data, optimizer="sgd", lr=0.25, batch_size=16)
    t.step()
    steps, progress = t.step_count, t.epoch_progress
    trace = t.step_traced()
    L = net.n_layers
    assert trace.names[-2 * L:] == [f"{k}{l}_new" for l in range(1, L + 1) for k in ("W", "b")]
    assert all(s.phase == "update" for s in trace.steps[-2 * L:])
    assert trace["a0"].shape == (16, 2)
    assert t.step_count == steps + 1
    assert t.epoch_progress == pytest.approx(progress + 16 / data.n_train)
    lr = float(trace["lr"])
    assert lr == 0.25
    for l, layer in enumerate(net.layers, start=1):
        np.testing.assert_array_equal(layer.W, trace[f"W{l}_new"])
        np.testing.assert_array_equal(layer.b, trace[f"b{l}_new"])
        np.testing.assert_array_equal(trace[f"W{l}_new"], trace[f"W{l}"] - lr * trace[f"dW{l}"])
        np.testing.assert_array_equal(trace[f"b{l}_new"], trace[f"b{l}"] - lr * trace[f"db{l}"])
    delta, new = trace.explain("W1_new", (0, 0)).splitlines()
    assert delta.startswith("Δ = -lr*dW1[0,0] = -0.25*")
    numbers, stated = new.split(" = ")[-2:]
    assert float(numbers.split(" + ")[0]) == pytest.approx(trace["W1"][0, 0], rel=1e-4)
    assert float(stated) == pytest.approx(trace["W1_new"][0, 0], rel=1e-5)
    assert trace.explain("b2_new", (1,)).endswith(f"{trace['b2_new'][1]:.6g}")


def test_step_traced_continues_the_epoch_like_step():
    data = moons()
    a = Trainer(moons_net(), data, optimizer="adam", lr=0.01, batch_size=16, seed=5)
    b = Trainer(moons_net(), data, optimizer="adam", lr=0.01, batch_size=16, seed=5)
    for _ in range(3):
        a.step()
        b.step()
    trace = a.step_traced()
    b.step()
    np.testing.assert_array_equal(a.net.params, b.net.params)
    for l, layer in enumerate(a.net.layers, start=1):
        np.testing.assert_array_equal(layer.W, trace[f"W{l}_new"])
    a.step()
    b.step()
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert a.epoch_progress == b.epoch_progress and a.step_count == b.step_count == 5


def test_a_trace_read_later_still_holds_its_own_step():
    """The stages are built on first look; by then training has moved on and reused every
    buffer, so the trace must hold copies of its own step, not views of the live arrays."""
    data = moons()
    net = moons_net(l2=0.01)
    t = Trainer(net, data, optimizer="adam", lr=0.05, batch_size=16)
    t.step()
    before = net.params.copy()
    trace = t.step_traced()
    after = net.params.copy()
    X, Y = t._Xs[t.pos - 16:t.pos].copy(), t._Ys[t.pos - 16:t.pos].copy()
    for _ in range(20):
        t.step()
    W = net.unflatten(before)
    np.testing.assert_array_equal(trace["a0"], X)
    np.testing.assert_array_equal(trace["Y"], Y)
    np.testing.assert_array_equal(trace["W1"], W[0].W)
    np.testing.assert_allclose(trace["z1"], X @ W[0].W + W[0].b, rtol=1e-12)
    np.testing.assert_allclose(trace["a1"], np.tanh(trace["z1"]), rtol=1e-12)
    np.testing.assert_allclose(trace["dW3"], trace["a2"].T @ trace["dz3"] + (0.01 / 16) * W[2].W, rtol=1e-10)
    np.testing.assert_allclose(trace["da2"], trace["dz3"] @ W[2].W.T, rtol=1e-12)
    np.testing.assert_array_equal(np.concatenate([trace[f"W{l}_new"].ravel() for l in (1, 2, 3)]
                                                 + [trace[f"b{l}_new"] for l in (1, 2, 3)]), after)
    assert float(trace.explain("z1", (0, 0)).rsplit("= ", 1)[1]) == pytest.approx(trace["z1"][0, 0], rel=1e-5)


def test_step_traced_with_clipping_explains_the_clipped_gradient():
    data = moons()
    net = moons_net()
    t = Trainer(net, data, optimizer="sgd", lr=0.5, batch_size=16, clip_value=1e-3)
    trace = t.step_traced()
    dW1 = trace["dW1"]
    assert np.abs(dW1).max() > 1e-3  # the raw gradient is bigger than the clip
    clipped = np.clip(dW1, -1e-3, 1e-3)
    np.testing.assert_allclose(trace["W1_new"], trace["W1"] - 0.5 * clipped, rtol=1e-12)
    i, j = np.unravel_index(np.argmax(np.abs(dW1)), dW1.shape)
    clip, delta, _ = trace.explain("W1_new", (i, j)).splitlines()
    g = float(np.sign(dW1[i, j]) * 1e-3)
    assert clip.startswith(f"g = clip(dW1[{i},{j}]) = ") and clip.endswith(f" = {g:g}")
    g_text = f"{g:g}" if g > 0 else f"({g:g})"
    assert delta.startswith(f"Δ = -lr*g = -0.5*{g_text} = ")  # the update uses g, not dW1


def test_step_traced_on_one_sample_keeps_the_epoch_position():
    data = moons()
    net = moons_net()
    t = Trainer(net, data, optimizer="sgd", lr=0.1, batch_size=16)
    t.step()
    steps, progress, pos = t.step_count, t.epoch_progress, t.pos
    trace = t.step_traced(sample=3)
    assert trace["a0"].shape == (1, data.n_features)
    np.testing.assert_array_equal(trace["a0"][0], data.X_train[3])
    assert t.step_count == steps + 1
    assert t.epoch_progress == progress and t.pos == pos
    np.testing.assert_array_equal(net.layers[0].W, trace["W1_new"])
    with pytest.raises(ValueError, match="sample"):
        t.step_traced(sample=data.n_train)


# ----- bounded history ------------------------------------------------------------------------------
def test_history_stays_bounded_over_100k_steps_and_keeps_the_whole_run():
    xor = datasets.load("xor")
    net = Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="mse", seed=1)
    t = Trainer(net, xor, optimizer="sgd", lr=0.5, batch_size="full", eval_every=1, history_cap=500)
    total = 100_000
    t.train(steps=total)
    assert t.step_count == total and t.epoch == total
    for series in (t.history.epochs, t.history.steps):
        assert len(series) <= 500
        steps = series.column("step")
        assert steps[0] == 1  # the first point survives
        np.testing.assert_array_equal(steps[-100:], np.arange(total - 99, total + 1))  # full resolution
        assert np.all(np.diff(steps) > 0)
        # Old points are thinned, not dropped: every tenth of the run still has points.
        deciles = np.bincount(((steps - 1) * 10 // total).astype(int), minlength=10)
        assert np.all(deciles >= 5), deciles


def test_decimated_series_a_million_appends():
    s = DecimatedSeries(["step", "value"], cap=1000, recent=200)
    n = 1_000_000
    for i in range(1, n + 1):
        s.append({"step": i, "value": 0.5 * i, "ignored": 1.0})
    assert len(s) <= 1000 and s.total_appended == n
    steps, values = s.column("step"), s.column("value")
    np.testing.assert_array_equal(values, 0.5 * steps)  # rows stay whole
    assert steps[0] == 1
    np.testing.assert_array_equal(steps[-200:], np.arange(n - 199, n + 1))
    first_half = steps[steps <= n // 2]
    assert len(first_half) >= 50  # old points are thinned, not dropped
    gaps = np.diff(first_half)
    assert gaps.max() <= 2 * gaps.min()  # and evenly spaced
    assert np.all(np.diff(steps) > 0)
    assert s.last() == {"step": float(n), "value": 0.5 * n}


def test_decimated_series_rejects_a_recent_window_that_leaves_no_room():
    with pytest.raises(ValueError, match="recent"):
        DecimatedSeries(["a"], cap=10, recent=9)
    s = DecimatedSeries(["a"], cap=10, recent=8)
    for i in range(100):
        s.append({"a": i})
    assert len(s) <= 10
    np.testing.assert_array_equal(s.column("a")[-8:], np.arange(92, 100))


# ----- accuracy the presets reach ------------------------------------------------------------------
@pytest.mark.parametrize("name, epochs, target", [
    ("moons", 100, 0.95),
    ("circles", 100, 0.98),
    ("spiral", 300, 0.96),
    ("digits", 60, 0.965),
])
def test_presets_reach_their_test_accuracy(name, epochs, target):
    cfg = presets.get(name).config
    run = config.build(cfg)
    if name == "moons":
        assert (cfg.n_samples, cfg.noise, run.net.sizes) == (1000, 0.2, (2, 16, 16, 2))
        assert (cfg.activation, cfg.optimizer) == ("tanh", "adam")
    if name == "spiral":
        assert run.data.n_classes == 3
    if name == "digits":
        assert run.net.sizes == (64, 64, 10)
    run.trainer.train(epochs=epochs)
    assert run.trainer.divergence is None
    acc = run.trainer.history.epochs.last()["test_acc"]
    assert acc >= target, f"{name}: test accuracy {acc:.4f} < {target}"
    assert run.net.accuracy(run.data.X_test, run.data.y_test) == acc
