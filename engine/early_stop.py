"""Early stopping on the test (validation) loss: stop when it has not improved for ``patience``
evaluations in a row and go back to the parameters of the best one.

Only a trainer with early stopping on owns an ``EarlyStopping``, so the best parameters are
copied only then, once per improving evaluation, never inside a step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import validate

KEPT_COLUMN = "kept_epoch"  # the history column: on the stopping epoch's row, the epoch kept


@dataclass(frozen=True)
class EarlyStopReport:
    """Training stopped at ``stopped_epoch``; the parameters of ``best_epoch`` (test loss
    ``best_loss``) were put back."""

    stopped_epoch: int
    best_epoch: int
    best_loss: float


class EarlyStopping:
    def __init__(self, patience: int):
        self.patience = validate.whole("early_stop", patience, 1, validate.RANGES["early_stop"][1])
        self.reset()

    def reset(self) -> None:
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_params: np.ndarray | None = None
        self.waited = 0  # evaluations since the best one

    def observe(self, epoch: int, test_loss: float, params: np.ndarray) -> EarlyStopReport | None:
        """Note the test loss after ``epoch``; a report when patience has run out (the caller
        then restores ``best_params``). A non-finite loss never counts as an improvement."""
        if test_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.waited = test_loss, epoch, 0
            if self.best_params is None:
                self.best_params = params.copy()
            else:
                np.copyto(self.best_params, params)
            return None
        self.waited += 1
        if self.waited < self.patience or self.best_epoch is None:
            return None
        self.waited = 0  # continuing after the stop waits a whole patience again
        return EarlyStopReport(epoch, self.best_epoch, self.best_loss)
