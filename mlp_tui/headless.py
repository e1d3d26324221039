"""``mlp-tui train``: train without the dashboard, show progress, export the results.

On a terminal a Rich progress bar shows the epoch, the loss and the test accuracy; otherwise
(a pipe, a log file, CI) plain lines are printed about every 10% of the run. Results go to
JSON, CSV and a checkpoint, each written atomically.

Exit status: 0 done, 1 the run diverged or an output could not be written, 130 Ctrl+C,
128 + the signal number for SIGTERM, SIGHUP and a broken pipe (the epochs completed so far are
still written; see stopping.py).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from engine.atomic import atomic_write, missing_place, not_replaceable
from engine.errors import EngineError, file_error

from .divergence import divergence_message
from .early_stop import early_stop_message
from .stopping import StopRequested, StopSignals, quietly
from .task import task_note

PROG = "mlp-tui"


def _err(message: str) -> None:
    quietly(lambda: print(f"{PROG}: {message}", file=sys.stderr, flush=True))


def _clean(value):
    """JSON-safe: NaN and infinity become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_output_path(path) -> str | None:
    """Why ``path`` cannot be written (one line naming it), or None if it looks writable."""
    shown = os.fspath(path)
    p = Path(shown).expanduser()
    problem = missing_place(p, shown, "cannot write")
    if problem:
        return problem
    reason = not_replaceable(p)
    if reason:
        return f"{shown}: cannot write, {reason}"
    if not os.access(p.parent, os.W_OK):
        return f"{shown}: cannot write, permission denied in folder {p.parent}"
    return None


def _write_bytes(path, data: bytes) -> None:
    shown = os.fspath(path)
    problem = check_output_path(shown)
    if problem:
        raise OSError(problem)
    try:
        with atomic_write(Path(shown).expanduser()) as f:
            f.write(data)
    except OSError as e:
        raise OSError(file_error(shown, "cannot write", e)) from None


def write_json(path, config, records: list[dict], final: dict, events: Sequence[dict] = ()) -> None:
    """The settings, the per-epoch history, the final metrics and, when there are any, the
    history's events (weights edited by hand in the dashboard before a checkpoint was saved)."""
    payload = {"config": config.to_dict() if config is not None else None, "history": records, "final": final}
    if events:
        payload["events"] = list(events)
    payload = _clean(payload)
    _write_bytes(path, (json.dumps(payload, indent=2, allow_nan=False) + "\n").encode("utf-8"))


def write_csv(path, records: list[dict], columns: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: ("" if v is None else v) for k, v in _clean(rec).items()})
    _write_bytes(path, buf.getvalue().encode("utf-8"))


class _Plain:
    """Plain progress lines about every 10% of the run (for pipes and logs)."""

    def __init__(self, stream, start: int, end: int, unit: str = "epoch"):
        self.stream, self.start, self.end, self.unit = stream, start, end, unit
        self.every = max(1, (end - start) // 10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, epoch: int, rec: dict | None) -> None:
        done = epoch - self.start
        if rec is None or not (done % self.every == 0 or epoch >= self.end):
            return
        score = f"test_{_score(rec)}"
        print(f"{self.unit} {epoch}/{self.end}  train_loss {_num(rec.get('train_loss'))}  "
              f"{score} {_num(rec.get(score))}", file=self.stream, flush=True)


class _Bar:
    """A Rich progress bar (imported only when a terminal shows it)."""

    def __init__(self, stream, start: int, end: int, unit: str = "epoch"):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.start, self.end = start, end
        self.progress = Progress(TextColumn(unit), MofNCompleteColumn(), BarColumn(),
                                 TextColumn("{task.fields[metrics]}"), TimeElapsedColumn(),
                                 TextColumn("eta"), TimeRemainingColumn(),
                                 console=Console(file=stream), transient=False)
        self.task = self.progress.add_task("train", total=end, completed=start, metrics="")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def update(self, epoch: int, rec: dict | None) -> None:
        metrics = ""
        if rec is not None:
            score = _score(rec)
            metrics = f"loss {_num(rec.get('train_loss'))}  test {SCORE_NAMES[score]} {_num(rec.get('test_' + score))}"
        self.progress.update(self.task, completed=epoch, metrics=metrics)


class _Silent(_Plain):
    def update(self, epoch: int, rec: dict | None) -> None:
        pass


SCORE_NAMES = {"acc": "acc", "r2": "R\u00b2"}  # a classifier's accuracy, a regression's R²


def _score(rec: dict) -> str:
    """The score an evaluation record holds: "acc", or "r2" for a regression run."""
    return "r2" if "test_r2" in rec else "acc"


def _num(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def _reporter(progress: str, stream, start: int, end: int, unit: str = "epoch"):
    if progress == "auto":
        progress = "bar" if getattr(stream, "isatty", lambda: False)() else "plain"
    if progress == "bar":
        return _Bar(stream, start, end, unit)
    if progress == "none":
        return _Silent(stream, start, end, unit)
    return _Plain(stream, start, end, unit)


def final_metrics(trainer, status: str, seconds: float, samples: float) -> dict:
    """The numbers printed at the end and stored under "final" in the JSON."""
    ev = trainer.evaluate()
    score = _score(ev)
    out = {"status": status, "epoch": trainer.epoch, "step": trainer.step_count,
           "train_loss": ev["train_loss"], f"train_{score}": ev[f"train_{score}"],
           "test_loss": ev["test_loss"], f"test_{score}": ev[f"test_{score}"],
           "seconds": seconds, "samples_per_sec": samples / seconds if seconds > 0 else 0.0,
           "divergence": divergence_message(trainer.divergence) if trainer.divergence is not None else None}
    report = trainer.stopped_early
    if report is not None:
        out["early_stop"] = {"stopped_epoch": report.stopped_epoch, "kept_epoch": report.best_epoch,
                             "best_test_loss": report.best_loss, "message": early_stop_message(report)}
    return out


def run_headless(run, epochs: int, json_path=None, csv_path=None, save_path=None,
                 progress: str = "auto", stream=None, steps: int | None = None,
                 log_every: int | None = None) -> int:
    """Train ``run.trainer`` for ``epochs`` more epochs (or ``steps`` more mini-batch steps),
    report progress to ``stream`` (stdout by default) and write the requested outputs.
    ``progress``: "auto", "bar", "plain" or "none". ``log_every``: the written history holds
    exactly the evaluations after every ``log_every`` epochs (steps), instead of the trainer's
    per-epoch history, which thins itself on long runs.

    Returns the exit status: 0 done, 1 diverged or an output failed, 130 interrupted (Ctrl+C),
    128 + signal number for SIGTERM, SIGHUP or a broken pipe.
    """
    stream = sys.stdout if stream is None else stream
    problem = _output_problem(json_path, csv_path, save_path)
    if problem:  # fail before a long run, not after it
        _err(f"error: {problem}")
        return 1
    note = task_note(run.config, run.data)
    if note:
        quietly(lambda: print(note, file=stream, flush=True))

    with StopSignals() as stop:  # until the outputs are written: a second ctrl+c cannot lose them
        status, epochs_run, seconds, samples, logged = _train_until(run.trainer, epochs, progress, stream, stop,
                                                                    steps, log_every)
        return _finish(run, status, stop, epochs_run, seconds, samples, stream, json_path, csv_path,
                       save_path, logged if log_every is not None else None)


def _output_problem(*paths) -> str | None:
    """Why the first of the requested output ``paths`` (None: not requested) cannot be written."""
    for path in paths:
        problem = check_output_path(path) if path is not None else None
        if problem:
            return problem
    return None


def _train_until(trainer, epochs: int, progress: str, stream, stop: "StopSignals", steps: int | None = None,
                 log_every: int | None = None):
    """Train until done, diverged or stopped; returns (status, epochs run, seconds, samples, the
    evaluations logged every ``log_every`` epochs or steps)."""
    start_epoch = trainer.epoch
    unit = "step" if steps is not None else "epoch"
    start = trainer.step_count if steps is not None else start_epoch
    end = start + int(steps if steps is not None else epochs)
    start_progress = trainer.epoch_progress
    status = "completed"
    logged = []
    t0 = time.perf_counter()
    try:
        with _reporter(progress, stream, start, end, unit) as reporter, stop.between_steps(trainer):
            done = start
            while done < end and not stop.requested:
                rec = trainer.run_epoch() if steps is None else _one_step(trainer)
                if trainer.divergence is not None:
                    status = "diverged"
                    break
                done = trainer.epoch if steps is None else trainer.step_count
                if trainer.stopped_early is not None:
                    status = "stopped early"
                    reporter.update(done, rec)
                    break
                if log_every is not None and (done - start) % log_every == 0:
                    logged.append(trainer.evaluate())
                try:
                    reporter.update(done, rec)
                except BrokenPipeError:  # e.g. "mlp-tui train | head": stop as for a signal
                    stop.broken_pipe(stream)
    except (KeyboardInterrupt, StopRequested):
        status = "interrupted"
    if stop.requested and status == "completed":  # stopped at an epoch's end
        status = "interrupted"
    seconds = time.perf_counter() - t0
    samples = max(0.0, trainer.epoch_progress - start_progress) * trainer.n
    return status, trainer.epoch - start_epoch, seconds, samples, logged


def _finish(run, status: str, stop: "StopSignals", epochs_run: int, seconds: float, samples: float,
            stream, json_path, csv_path, save_path, logged: list | None = None) -> int:
    """Report the end of the run and write the outputs (the history: ``logged``, else the
    trainer's); returns the exit status."""
    trainer = run.trainer
    _report_stop(trainer, status, stop, save_path)
    final = final_metrics(trainer, status, seconds, samples)
    quietly(lambda: _print_final(stream, final, epochs_run))

    code = {"completed": 0, "stopped early": 0, "diverged": 1, "interrupted": stop.exit_status()}[status]
    records = trainer.history.records() if logged is None else logged
    if not _write_outputs(_writers(run, records, final, json_path, csv_path, save_path), stream):
        code = code if status == "interrupted" else 1
    return code


def _report_stop(trainer, status: str, stop: "StopSignals", save_path) -> None:
    """On stderr: why the run stopped early (interrupted, diverged) and how to go on."""
    if status == "interrupted":
        _err(f"interrupted{stop.cause()} at epoch {trainer.epoch}, step {trainer.step_count}")
    elif status == "diverged":
        _err(divergence_message(trainer.divergence))
        if save_path is not None:
            _err(f"to continue with a lower rate: {PROG} train --load {save_path} "
                 f"--lr {trainer.lr / 10:g}")


def _writers(run, records: list, final: dict, json_path, csv_path, save_path) -> list:
    """(path, write) for each requested output."""
    trainer = run.trainer
    writers = []
    if json_path is not None:
        writers.append((json_path, lambda: write_json(json_path, run.config, records, final,
                                                          trainer.history.events)))
    if csv_path is not None:
        writers.append((csv_path, lambda: write_csv(csv_path, records, trainer.history.epochs.columns)))
    if save_path is not None:
        def save():
            from engine import checkpoint
            checkpoint.save(save_path, trainer, config=run.config)
        writers.append((save_path, save))
    return writers


def _write_outputs(writers: list, stream) -> bool:
    """Run every writer, each failure one line on stderr; True if all were written."""
    ok = True
    for path, write in writers:
        try:
            write()
        except (OSError, EngineError) as e:
            _err(f"error: {e}")
            ok = False
        else:
            quietly(lambda: print(f"wrote {path}", file=stream, flush=True))  # noqa: B023 (called at once)
    return ok


def _one_step(trainer) -> dict | None:
    """One mini-batch step; the latest evaluation (the trainer evaluates after each epoch)."""
    trainer.step()
    return trainer.history.epochs.last()


def _print_final(stream, final: dict, epochs_run: int) -> None:
    rate = final["samples_per_sec"]
    print(f"{final['status']}: {epochs_run} epochs (epoch {final['epoch']}, step {final['step']}) "
          f"in {final['seconds']:.2f} s, {rate:,.0f} samples/s", file=stream)
    score = _score(final)
    name = "R\u00b2" if score == "r2" else "accuracy"
    print(f"  train  loss {_num(final['train_loss'])}  {name} {_num(final['train_' + score])}", file=stream)
    print(f"  test   loss {_num(final['test_loss'])}  {name} {_num(final['test_' + score])}", file=stream,
          flush=True)
    if "early_stop" in final:
        print(f"  {final['early_stop']['message']}", file=stream, flush=True)
