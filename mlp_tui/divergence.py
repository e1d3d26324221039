"""The words a person reads when the trainer's watchdog stops a diverging run."""
from __future__ import annotations

from engine.trainer import DivergenceReport


def divergence_message(report: DivergenceReport) -> str:
    """Where training diverged, what was restored, and what to do next."""
    norms = ", ".join(f"{g:.3g}" for g in report.grad_norms)
    return (f"Diverged at step {report.step} (epoch {report.epoch}): {report.where} in layer {report.layer}; "
            f"gradient norms per layer [{norms}]. Restored the parameters of step {report.restored_step} "
            f"and paused: lower the learning rate (now {report.lr:g}) and resume.")
