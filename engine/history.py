"""Training history whose memory stays bounded however long the run.

A ``DecimatedSeries`` holds rows of float columns in one preallocated array of ``cap`` rows.
When it fills up, the older part (everything but the newest ``recent`` rows) is thinned to
the rows whose append number is a multiple of a stride (doubled whenever the old part would
take more than half the free room), so old history keeps its shape, evenly spaced at coarser
resolution from the very first row on, while the most recent points stay at full resolution.
Memory never grows past cap * (columns + 1) numbers.
"""
from __future__ import annotations

import numpy as np


class DecimatedSeries:
    def __init__(self, columns: list[str], cap: int = 2000, recent: int = 500):
        if not 0 < recent <= cap - 2:
            raise ValueError(f"recent must be in 1..cap-2 ({cap - 2}); got {recent}")
        self.columns = list(columns)
        self._col = {c: i for i, c in enumerate(self.columns)}
        self.cap, self.recent = cap, recent
        self._rows = np.full((cap, len(columns)), np.nan)
        self._index = np.zeros(cap, np.int64)  # each row's append number (0 for the first row)
        self._stride = 1  # old rows kept are those whose append number is a multiple of this
        self._n = 0
        self.total_appended = 0

    def __len__(self) -> int:
        return self._n

    def append(self, values: dict) -> None:
        if self._n == self.cap:
            self._decimate()
        row = self._rows[self._n]
        row.fill(np.nan)
        for key, value in values.items():
            i = self._col.get(key)
            if i is not None:
                row[i] = value
        self._index[self._n] = self.total_appended
        self._n += 1
        self.total_appended += 1

    def _decimate(self) -> None:
        old = self._n - self.recent
        room = (self.cap - self.recent) // 2  # old rows kept: at least half the free space is freed
        index = self._index[:old]
        keep = np.flatnonzero(index % self._stride == 0)
        while keep.size > room:  # ends: for a stride past the largest number only row 0 is kept
            self._stride *= 2
            keep = np.flatnonzero(index % self._stride == 0)
        k = keep.size
        self._rows[:k] = self._rows[keep]  # fancy indexing copies, and keep[i] >= i
        self._index[:k] = self._index[keep]
        self._rows[k:k + self.recent] = self._rows[old:self._n].copy()
        self._index[k:k + self.recent] = self._index[old:self._n].copy()
        self._n = k + self.recent

    def drop_after(self, name: str, value: float) -> None:
        """Forget the rows from the first whose column ``name`` exceeds ``value`` on (the column
        grows row by row, as the step does): the history of a run rewound to that point."""
        n = int(np.searchsorted(self._rows[:self._n, self._col[name]], value, side="right"))
        self._n = n
        self.total_appended = int(self._index[n - 1]) + 1 if n else 0

    def column(self, name: str) -> np.ndarray:
        """A copy of one column (oldest first)."""
        return self._rows[:self._n, self._col[name]].copy()

    def last(self) -> dict | None:
        if not self._n:
            return None
        return {c: float(v) for c, v in zip(self.columns, self._rows[self._n - 1])}

    def to_dict(self) -> dict[str, np.ndarray]:
        return {c: self.column(c) for c in self.columns}

    def load(self, data: dict[str, np.ndarray]) -> None:
        n = min(len(next(iter(data.values()), [])), self.cap)
        self._rows.fill(np.nan)
        for c, values in data.items():
            if c in self._col:
                self._rows[:n, self._col[c]] = np.asarray(values, dtype=float)[-n:]
        self._index[:n] = np.arange(n)
        self._stride = 1
        self._n = n
        self.total_appended = n


EPOCH_COLUMNS = ["step", "epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr",
                 "samples_per_sec", "seconds"]
# A regression run scores R² where a classifier scores accuracy.
REGRESSION_COLUMNS = [{"train_acc": "train_r2", "test_acc": "test_r2"}.get(c, c) for c in EPOCH_COLUMNS]


MAX_EVENTS = 1000  # events kept (the newest): a learner's hand edits, one per key press


class History:
    """Per-step batch losses and per-evaluation (epoch) metrics, both bounded, and the events
    between steps (a hand-edited weight), the newest MAX_EVENTS of them, as plain dicts."""

    def __init__(self, n_layers: int, cap: int = 2000, recent: int = 500, extra: tuple[str, ...] = (),
                 task: str = "classification"):
        if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 4:
            raise ValueError(f"history_cap must be an integer >= 4; got {cap!r}")
        recent = min(recent, cap // 2)  # a small cap keeps its newest half at full resolution
        self.n_layers = n_layers
        self.layer_columns = [f"grad_norm_{l}" for l in range(1, n_layers + 1)] + \
                             [f"weight_norm_{l}" for l in range(1, n_layers + 1)]
        self.task = task
        columns = REGRESSION_COLUMNS if task == "regression" else EPOCH_COLUMNS
        # ``extra``: columns a feature adds only when on (early stopping's kept_epoch)
        self.epochs = DecimatedSeries(columns + list(extra) + self.layer_columns, cap, recent)
        self.steps = DecimatedSeries(["step", "loss", "lr"], cap, recent)
        self.events: list[dict] = []

    def add_event(self, event: dict) -> None:
        self.events.append(dict(event))
        del self.events[:-MAX_EVENTS]

    def load_events(self, events) -> None:
        """Events read back from a checkpoint: a list of dicts with a "step" and an "event"."""
        if not isinstance(events, list) or not all(
                isinstance(e, dict) and isinstance(e.get("step"), int) and isinstance(e.get("event"), str)
                for e in events):
            raise ValueError("history events must be a list of records with a step and an event")
        self.events = [dict(e) for e in events[-MAX_EVENTS:]]

    def __len__(self) -> int:
        return len(self.epochs)

    def drop_after(self, step: int) -> None:
        """Forget what was recorded after training step ``step``."""
        self.epochs.drop_after("step", step)
        self.steps.drop_after("step", step)

    def records(self) -> list[dict]:
        """Epoch records as a list of dicts (for JSON/CSV export)."""
        data = self.epochs.to_dict()
        return [{c: _plain(data[c][i]) for c in self.epochs.columns} for i in range(len(self.epochs))]

    def state(self) -> dict[str, np.ndarray]:
        out = {f"epochs/{k}": v for k, v in self.epochs.to_dict().items()}
        out.update({f"steps/{k}": v for k, v in self.steps.to_dict().items()})
        return out

    def load_state(self, data: dict[str, np.ndarray]) -> None:
        self.epochs.load({k[7:]: v for k, v in data.items() if k.startswith("epochs/")})
        self.steps.load({k[6:]: v for k, v in data.items() if k.startswith("steps/")})


def _plain(x: float):
    x = float(x)
    if np.isnan(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 2 ** 53 else x
