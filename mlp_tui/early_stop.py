"""Early stopping in words: the one sentence the dashboard's status line and the headless
summary both print."""
from __future__ import annotations

from engine.early_stop import EarlyStopReport


def early_stop_message(report: EarlyStopReport) -> str:
    """e.g. "stopped at epoch 57: best test loss 0.123 at epoch 37, kept"."""
    return (f"stopped at epoch {report.stopped_epoch}: best test loss {report.best_loss:.4g} "
            f"at epoch {report.best_epoch}, kept")
