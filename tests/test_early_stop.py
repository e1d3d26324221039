"""Early stopping on the test loss: it stops after ``patience`` epochs without a lower test loss,
puts back exactly the parameters of the best epoch, says so in the history, the headless summary
and the JSON, and refuses to run without a test split."""
import json

import numpy as np
import pytest

from engine import config as cfg
from engine.early_stop import EarlyStopping
from mlp_tui import fields
from mlp_tui.cli import main

# A small noisy set and a wide network: the test loss turns up within a few epochs.
OVERFIT = cfg.RunConfig(dataset="moons", n_samples=60, noise=0.35, test_fraction=0.5, hidden=(64, 64), lr=0.03,
                        batch_size=10, epochs=300)


def test_it_keeps_exactly_the_best_epochs_parameters():
    run = cfg.build(OVERFIT.replace(early_stop=5))
    run.trainer.train(epochs=300)
    report = run.trainer.stopped_early
    assert report is not None and report.stopped_epoch == run.trainer.epoch < 300
    losses = run.trainer.history.epochs.column("test_loss")
    epochs = run.trainer.history.epochs.column("epoch")
    assert report.best_loss == losses.min() == losses[epochs == report.best_epoch][0]
    assert report.stopped_epoch == report.best_epoch + 5  # five epochs in a row without a lower loss
    # The same run stopped by hand at the best epoch has the very same parameters.
    by_hand = cfg.build(OVERFIT)
    by_hand.trainer.train(epochs=report.best_epoch)
    np.testing.assert_array_equal(run.net.params, by_hand.net.params)
    assert run.trainer.evaluate()["test_loss"] == report.best_loss
    kept = run.trainer.history.epochs.column("kept_epoch")
    assert kept[-1] == report.best_epoch and np.isnan(kept[:-1]).all()


def test_patience_counts_evaluations_without_improvement():
    watch = EarlyStopping(2)
    params = np.zeros(3)
    assert watch.observe(1, 1.0, params + 1) is None
    assert watch.observe(2, 0.5, params + 2) is None  # better: kept
    assert watch.observe(3, 0.7, params + 3) is None
    report = watch.observe(4, float("nan"), params + 4)  # NaN is never an improvement
    assert (report.stopped_epoch, report.best_epoch, report.best_loss) == (4, 2, 0.5)
    np.testing.assert_array_equal(watch.best_params, params + 2)


def test_training_goes_on_after_a_stop():
    run = cfg.build(OVERFIT.replace(early_stop=3))
    run.trainer.train(epochs=300)
    stopped = run.trainer.epoch
    run.trainer.step()
    assert run.trainer.stopped_early is None and run.trainer.step_count > 0
    run.trainer.train(epochs=300)
    assert run.trainer.epoch > stopped


def test_no_early_stop_keeps_no_copy_and_no_column():
    run = cfg.build(OVERFIT)
    assert run.trainer.early_stopping is None
    assert "kept_epoch" not in run.trainer.history.epochs.columns


def test_it_needs_a_test_split():
    with pytest.raises(ValueError, match=r"^Early stop: needs a test split to watch; the test fraction is 0$"):
        fields.validate(OVERFIT.replace(early_stop=5, test_fraction=0.0))
    with pytest.raises(ValueError, match="needs a test split"):
        cfg.build(cfg.RunConfig(dataset="points", points=((0.0, 1.0),), targets=((1.0, 0.0),), early_stop=2))


def test_headless_summary_and_json_say_which_epoch_was_kept(tmp_path, capsys):
    out = tmp_path / "h.json"
    args = ["train", "--samples", "60", "--noise", "0.35", "--test-fraction", "0.5", "--hidden", "64,64",
            "--lr", "0.03", "--batch-size", "10", "--epochs", "300", "--early-stop", "5", "--progress", "none"]
    assert main(args + ["--json", str(out)]) == 0
    data = json.loads(out.read_text())
    stop = data["final"]["early_stop"]
    printed = capsys.readouterr().out
    assert (f"stopped at epoch {stop['stopped_epoch']}: best test loss {stop['best_test_loss']:.4g} "
            f"at epoch {stop['kept_epoch']}, kept") in printed
    assert printed.startswith("stopped early:")
    assert data["final"]["test_loss"] == stop["best_test_loss"]
    assert data["history"][-1]["kept_epoch"] == stop["kept_epoch"]
    assert data["config"]["early_stop"] == 5
    assert main(args[:-2] + ["--test-fraction", "0"]) == 2
    assert "--early-stop: Early stop: needs a test split" in capsys.readouterr().err
