"""Metrics panel: loss and accuracy sparklines with current values, progress figures, per-layer
gradient norms (to spot vanishing or exploding gradients), and a full plotext chart on demand.
A regression run (the panel's class ``-regression``) shows R² where a classifier shows accuracy."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static
from textual_plotext import PlotextPlot

from engine.gradients import depth_ratio, depth_trend

SERIES = (("train_loss", "train loss"), ("test_loss", "test loss"),
          ("train_acc", "train acc"), ("test_acc", "test acc"),
          ("train_r2", "train R\u00b2"), ("test_r2", "test R\u00b2"))
SCORES = ("train_acc", "test_acc", "train_r2", "test_r2")  # plotted beside the loss on a linear scale
BARS = " ▁▂▃▄▅▆▇█"


def finite(values) -> list[float]:
    """Only finite numbers reach a widget (Sparkline's scaling breaks on NaN)."""
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)].tolist()


def fmt(x, spec=".4f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def norm_bar(value: float) -> str:
    """One character on a log scale from 1e-8 to 1e2, so small and huge norms both show."""
    if not math.isfinite(value) or value <= 0:
        return BARS[0]
    level = (math.log10(value) + 8) / 10
    return BARS[int(np.clip(round(level * (len(BARS) - 1)), 1, len(BARS) - 1))]


def grad_depth_text(norms: list[float]) -> str:
    """The first-to-last gradient ratio, flagged when it says the gradient vanishes or explodes."""
    if len(norms) < 2:
        return ""
    trend = depth_trend(norms)
    text = f"  L1/L{len(norms)} {fmt(depth_ratio(norms), '.1e')}"
    return text + (f" {trend}" if trend else "")


class MetricsPanel(Vertical):
    DEFAULT_CSS = """
    MetricsPanel .metric-row { height: 1; }
    MetricsPanel .score-r2, MetricsPanel.-regression .score-acc { display: none; }
    MetricsPanel.-regression .score-r2 { display: block; }
    MetricsPanel .metric-label { width: 11; color: $text-muted; }
    MetricsPanel .metric-value { width: 9; text-align: right; }
    MetricsPanel Sparkline { width: 1fr; height: 1; margin: 0 1; }
    MetricsPanel #progress, MetricsPanel #grad-norms { height: auto; }
    MetricsPanel PlotextPlot { height: 1fr; min-height: 6; display: none; }
    MetricsPanel.-chart PlotextPlot { display: block; }
    MetricsPanel.-chart .metric-row { display: none; }
    """

    def __init__(self, show_rate: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.show_rate = show_rate
        self.log_scale = False
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="progress")
        for key, label in SERIES:
            with Horizontal(classes=f"metric-row score-{key.rpartition('_')[2]}"):
                yield Label(label, classes="metric-label")
                yield Sparkline([], id=f"spark-{key}", summary_function=lambda v: sum(v) / len(v))
                yield Label("-", id=f"value-{key}", classes="metric-value")
        yield Static("", id="grad-norms")
        yield PlotextPlot(id="chart")

    @property
    def chart_shown(self) -> bool:
        return self.has_class("-chart")

    @property
    def _score_name(self) -> str:
        return "R\u00b2" if self.has_class("-regression") else "accuracy"

    def toggle_chart(self) -> None:
        self.toggle_class("-chart")
        self._shown.pop("chart", None)

    def toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self._shown.pop("chart", None)

    def _set(self, key: str, widget, value, fixed: bool = False) -> None:
        """Update only what changed: every refresh is re-sent whole over SSH. A new layout (the
        screen's costliest step) only when the text's length changed and the widget's size
        follows its text (``fixed``: it never does)."""
        old = self._shown.get(key)
        if old != value:
            self._shown[key] = value
            resize = not fixed and (old is None or len(old) != len(value))
            widget.update(Text(value), layout=resize)  # plain text: "[running]" is not markup

    def show_numbers(self, snap) -> None:
        last = snap.last or {}
        rate = snap.samples_per_sec if self.show_rate else 0
        text = (f"epoch {snap.epoch}  step {snap.step:,}  lr {snap.lr:.3g}  "
                f"{rate:,.0f} samples/s  [{snap.state}]" if rate else
                f"epoch {snap.epoch}  step {snap.step:,}  lr {snap.lr:.3g}  [{snap.state}]")
        self._set("progress", self.query_one("#progress", Static), text)
        for key, _ in SERIES:
            spec = ".1%" if key.endswith("acc") else ".4f"  # R² as a plain number: it can be negative
            self._set(f"value-{key}", self.query_one(f"#value-{key}", Label), fmt(last.get(key), spec), fixed=True)
        norms = [last.get(f"grad_norm_{l}") for l in range(1, 11) if f"grad_norm_{l}" in last]
        if norms:
            parts = [f"L{l} {fmt(g, '.1e')} {norm_bar(g)}" for l, g in enumerate(norms, 1)]
            self._set("grad", self.query_one("#grad-norms", Static),
                      "|dW| " + "  ".join(parts) + grad_depth_text(norms))

    def show_series(self, snap) -> None:
        hist = snap.history
        for key, _ in SERIES:
            data = finite(hist.get(key, []))
            if self._shown.get(f"spark-{key}") != (len(data), data[-1] if data else None):
                self._shown[f"spark-{key}"] = (len(data), data[-1] if data else None)
                self.query_one(f"#spark-{key}", Sparkline).data = data
        if self.chart_shown:
            self._draw_chart(hist)

    def _draw_chart(self, hist) -> None:
        epochs = finite(hist.get("epoch", []))
        key = (len(epochs), epochs[-1] if epochs else None, self.log_scale)
        if self._shown.get("chart") == key:
            return
        self._shown["chart"] = key
        plot = self.query_one("#chart", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        title = "loss (log)" if self.log_scale else f"loss and {self._score_name}"
        plt.title(title)
        plotted, lows, highs = 0, [], []
        names = ("train_loss", "test_loss") + (() if self.log_scale else SCORES)
        for name in (n for n in names if n in hist):
            x = np.asarray(hist.get("epoch", []), float)
            y = np.asarray(hist.get(name, []), float)
            ok = np.isfinite(x) & np.isfinite(y) & ((y > 0) if self.log_scale else True)
            if ok.any():
                # Log scale is drawn as log10 values on a linear axis: plotext's own log scale
                # rewrites its data in place on every build, so a second render (resize, hover)
                # takes the log of a log and raises.
                values = np.log10(y[ok]) if self.log_scale else y[ok]
                plt.plot(x[ok].tolist(), values.tolist(), label=name.replace("_", " "))
                lows.append(values.min())
                highs.append(values.max())
                plotted += 1
        if self.log_scale and plotted:
            powers = range(math.floor(min(lows)), math.ceil(max(highs)) + 1)
            plt.yticks(list(powers), [f"1e{p}" for p in powers])
        if not plotted:
            plt.title(title + ": no finished epoch yet")
        plt.xlabel("epoch")
        plot.refresh()
