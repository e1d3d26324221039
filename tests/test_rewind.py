"""The rewind store (engine/rewind.py): its memory cap and thinning, and that a restored snapshot
continues training bit-identically to an uninterrupted run."""
import numpy as np
import pytest

from engine import Network, datasets
from engine.rewind import SnapshotStore, capture, restore
from engine.trainer import Trainer


def make_trainer(optimizer="adam", batch_size=16, seed=0):
    data = datasets.load("moons", n_samples=90, noise=0.2, seed=0)  # 90 is not a multiple of 16
    net = Network([2, 8, 8, 2], activation="tanh", output="softmax", seed=seed)
    return Trainer(net, data, optimizer=optimizer, lr=0.05, batch_size=batch_size, seed=seed)


def run(trainer, steps, store=None):
    for _ in range(steps):
        trainer.step()
        if store is not None:
            store.record(trainer)


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "sgd", "rmsprop"])
@pytest.mark.parametrize("rewind_to", [7, 12, 18])  # mid-epoch, the step an epoch ends (90/16 -> 6 steps), later
def test_restore_continues_bit_identically(optimizer, rewind_to):
    reference = make_trainer(optimizer)
    run(reference, rewind_to)
    want_state = capture(reference)
    run(reference, 25)
    rewound = make_trainer(optimizer)
    store = SnapshotStore(every=1)
    run(rewound, rewind_to, store)
    run(rewound, 40, store)  # trains on past the step, then goes back
    restore(rewound, store.get(rewind_to))
    assert rewound.step_count == rewind_to and rewound.epoch == want_state.epoch
    assert np.array_equal(rewound.net.params, want_state.params)
    run(rewound, 25)
    assert np.array_equal(rewound.net.params, reference.net.params)
    assert rewound.optimizer.t == reference.optimizer.t
    assert (rewound.step_count, rewound.epoch, rewound.pos) == (reference.step_count, reference.epoch, reference.pos)
    assert np.array_equal(rewound.history.steps.column("loss"), reference.history.steps.column("loss"))
    assert np.array_equal(rewound.history.epochs.column("step"), reference.history.epochs.column("step"))


def test_restore_keeps_the_current_learning_rate_and_drops_later_history():
    trainer = make_trainer()
    store = SnapshotStore(every=5)
    run(trainer, 30, store)
    trainer.set_hyperparameters(lr=0.001)
    restore(trainer, store.get(10))
    assert trainer.lr == 0.001
    assert trainer.history.steps.column("step")[-1] == 10
    assert trainer.history.epochs.column("step").max() <= 10


def test_store_keeps_every_kth_step():
    trainer = make_trainer()
    store = SnapshotStore(every=4)
    store.record(trainer)  # step 0: the untrained network
    run(trainer, 13, store)
    assert store.steps == [0, 4, 8, 12]


def test_store_respects_its_cap_by_thinning_old_snapshots():
    trainer = make_trainer()
    one = capture(trainer).nbytes
    store = SnapshotStore(every=1, cap_bytes=10 * one)
    store.record(trainer)
    for _ in range(200):
        trainer.step()
        store.record(trainer)
        assert store.nbytes <= store.cap_bytes
        assert store.nbytes == sum(store.get(s).nbytes for s in store.steps)
    steps = store.steps
    assert steps[0] == 0  # the start of the run is kept
    assert store.every > 1 and steps[-1] == 200 - 200 % store.every  # the newest due step
    assert all(s % store.every == 0 for s in steps)
    assert len(steps) >= 5  # thinning halves, it does not empty


def test_store_respects_its_count_cap():
    trainer = make_trainer()
    store = SnapshotStore(every=1, cap_count=8)
    run(trainer, 100, store)
    assert 4 <= len(store) <= 8 and store.steps[-1] == 100 - 100 % store.every


def test_store_forgets_later_snapshots_after_a_rewind():
    trainer = make_trainer()
    store = SnapshotStore(every=2)
    run(trainer, 10, store)
    restore(trainer, store.get(4))
    store.truncate_after(4)
    run(trainer, 3, store)
    assert store.steps == [2, 4, 6]


def test_a_snapshot_of_another_network_is_refused_and_changes_nothing():
    trainer = make_trainer()
    other = Trainer(Network([2, 3, 2], seed=0), datasets.load("moons", n_samples=90, seed=0))
    before = trainer.net.params.copy()
    with pytest.raises(ValueError, match="does not fit"):
        restore(trainer, capture(other))
    assert np.array_equal(trainer.net.params, before)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_store_rejects_a_bad_interval(bad):
    with pytest.raises(ValueError, match="rewind_every"):
        SnapshotStore(every=bad)


def test_going_back_before_a_divergence_clears_it():
    trainer = make_trainer(optimizer="sgd")
    store = SnapshotStore(every=1)
    run(trainer, 5, store)
    trainer.set_hyperparameters(lr=1000)
    trainer.train(steps=50)
    assert trainer.divergence is not None
    restore(trainer, store.get(5))
    trainer.set_hyperparameters(lr=0.05)
    assert trainer.divergence is None
    reference = make_trainer(optimizer="sgd")
    run(reference, 8)
    run(trainer, 3)
    assert np.array_equal(trainer.net.params, reference.net.params)
