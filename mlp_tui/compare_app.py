"""Compare mode: two networks trained in lockstep on the same data and batches. Their decision
boundaries side by side, their losses on one chart, and the inspector on the network chosen
with tab. At 80x24 one boundary shows at a time (the chosen one) beside the chart."""
from __future__ import annotations

import signal

import numpy as np
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Static
from textual_plotext import PlotextPlot

from mlp_tui.compare_session import NAMES, CompareSession
from mlp_tui.divergence import divergence_message
from mlp_tui.options import DashboardOptions
from mlp_tui.pace import faster, format_speed, slower
from mlp_tui.widgets.boundary import BoundaryPanel
from mlp_tui.widgets.footer import StableFooter
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.metrics import fmt

WIDE_SIZE = (110, 34)  # from this size both boundaries, the chart and the inspector show at once


def settings_text(run) -> str:
    """A network's size and the settings that shape it, e.g. '2-3-1 sigmoid sgd lr 5'."""
    c = run.config
    return f"{'-'.join(map(str, run.net.sizes))} {c.activation} {c.optimizer} lr {c.lr:g} batch {c.batch_size}"


def difference_text(runs) -> str:
    """'A: hidden 3  B: hidden 50' naming only the settings the two runs differ in."""
    from mlp_tui.fields import FIELDS, field_value, format_field

    a, b = (run.config for run in runs)
    names = [n for n in FIELDS if field_value(a, n) != field_value(b, n)]
    if not names:
        return "A and B: the same settings"
    return "  ".join(f"{name}: " + ", ".join(f"{n} {format_field(n, field_value(c, n))}" for n in names)
                     for name, c in zip(NAMES, (a, b)))


class CompareChart(PlotextPlot):
    """Both networks' losses per epoch on one plot (log10 values with ``log_scale``)."""

    def __init__(self, has_test: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.has_test = has_test  # False when the test set is the training set (XOR's four points)
        self.log_scale = False
        self._key = None

    def show(self, snaps, force: bool = False) -> None:
        key = (tuple((len(s.history.get("epoch", [])), s.step) for s in snaps), self.log_scale)
        if key == self._key and not force:
            return
        self._key = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss (log10)" if self.log_scale else "loss")
        for name, snap in zip(NAMES, snaps):
            for series in ("train_loss", "test_loss") if self.has_test else ("train_loss",):
                x = np.asarray(snap.history.get("epoch", []), float)
                y = np.asarray(snap.history.get(series, []), float)
                ok = np.isfinite(x) & np.isfinite(y) & ((y > 0) if self.log_scale else True)
                if ok.any():
                    # log10 values on a linear axis: plotext's log scale rewrites its data in place
                    values = np.log10(y[ok]) if self.log_scale else y[ok]
                    plt.plot(x[ok].tolist(), values.tolist(), label=f"{name} {series.replace('_', ' ')}")
        plt.xlabel("epoch")
        self.refresh()


class CompareApp(App):
    TITLE = "mlp-tui compare"
    # Textual sets each list's class: -compact when either side is below WIDE_SIZE (no modal here
    # hides the screen from a resize). "-roomy": this side has room.
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (WIDE_SIZE[0], "-roomy")]
    VERTICAL_BREAKPOINTS = [(0, "-compact"), (WIDE_SIZE[1], "-roomy")]
    CSS = """
    Screen { layout: vertical; }
    #panels { layout: grid; grid-size: 2 2; grid-rows: 3fr 2fr; height: 1fr; }
    .panel { border: round $primary-darken-2; border-title-color: $text; padding: 0 1; height: 1fr; }
    .panel.-chosen { border: round $accent; }
    Screen.-compact #panels { grid-size: 2 1; grid-rows: 1fr; }
    Screen.-compact BoundaryPanel.-other { display: none; }
    Screen.-compact #inspector { display: none; }
    Screen.-compact.-inspect #inspector { display: block; }
    Screen.-compact.-inspect #chart { display: none; }
    #settings { height: 1; padding: 0 1; color: $text-muted; }
    #status-bar { height: 1; background: $boost; }
    #status { width: 1fr; height: 1; padding: 0 1; }
    #status.-error { color: $error; text-style: bold; }
    #pace { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("space", "toggle", "Start/Pause"),
        Binding("s", "step", "Step both"),
        Binding("tab", "switch", "A/B", priority=True),
        Binding("n,full_stop", "next_stage", "Next stage"),
        Binding("p,comma", "prev_stage", "Prev stage", show=False),
        Binding("i", "inspect", "Inspector", show=False),
        Binding("right_square_bracket", "neuron(1)", "Next neuron", show=False),
        Binding("left_square_bracket", "neuron(-1)", "Prev neuron", show=False),
        Binding("escape", "chart", "Chart", show=False),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("l", "log_scale", "Log scale"),
        Binding("r", "reset", "Reset"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, session: CompareSession, options: DashboardOptions | None = None) -> None:
        super().__init__()
        self.session = session
        self.options = options or DashboardOptions()
        self.mode = self.options.mode
        fps = self.options.refresh_hz
        self.interval = 1.0 / fps
        self.picture_every = max(1, round(fps / (1 if self.options.low_bandwidth else 2)))
        self.chosen = 0  # the network the inspector shows
        self.traces = None  # both networks' traces of the last traced step
        self.speed = self.options.speed
        self._tick = 0
        self._shown = None

    def compose(self) -> ComposeResult:
        with Container(id="panels"):
            for name in NAMES:
                yield BoundaryPanel(self.mode, id=f"boundary-{name.lower()}", classes="panel")
            data = self.session.sides[0].data
            yield CompareChart(data.X_test is not data.X_train, id="chart", classes="panel")
            yield InspectorPanel(self.mode, id="inspector", classes="panel")
        yield Static(Text(difference_text(self.session.runs)), id="settings")
        with Horizontal(id="status-bar"):
            yield Static("", id="status")
            yield Static("", id="pace")
        yield StableFooter()

    def on_mount(self) -> None:
        self.boundaries = [self.query_one(f"#boundary-{name.lower()}", BoundaryPanel) for name in NAMES]
        self.chart = self.query_one(CompareChart)
        self.inspector = self.query_one(InspectorPanel)
        self.status = self.query_one("#status", Static)
        for boundary, side in zip(self.boundaries, self.session.sides):
            boundary.attach(side.net, side.data)
            boundary.border_title = f"{side.name}: {settings_text(side.run)}"
        self.chart.border_title = "Loss: A and B"
        self.inspector.n_train = self.session.sides[0].trainer.n
        self.session.speed = self.speed
        self.query_one("#pace", Static).update(format_speed(self.speed))
        self._choose(0)
        self.inspector.query_one("#matrix").focus()  # arrows pick a cell; w, b, < > reach the inspector
        self.set_interval(self.interval, self.poll)
        self.poll(force=True)
        self.set_status("space trains both, s steps both, tab chooses A or B for the inspector, n walks a step")

    def set_status(self, text: str, level: str = "info") -> None:
        self.status.update(Text(text))  # plain text: messages may contain brackets
        self.status.set_class(level == "error", "-error")
        self.status_text = text

    # ----- polling ------------------------------------------------------------------------------------
    def poll(self, force: bool = False) -> None:
        if not (self.is_running and self.chart.is_mounted):
            return  # a tick during shutdown
        snaps = self.session.snapshot()
        self._tick += 1
        key = tuple((s.step, s.state) for s in snaps)
        if key == self._shown and not force:
            return
        for boundary, snap in zip(self.boundaries, snaps):
            boundary.border_subtitle = self._scores(snap)
        if force or self._tick % self.picture_every == 0:
            self._shown = key
            for boundary, snap in zip(self.boundaries, snaps):
                boundary.show(snap, force=force)
            self.chart.show(snaps, force=force)
            self.inspector.show_weights(self.session.sides[self.chosen].net, snaps[self.chosen].params)
        self._report(snaps)

    @staticmethod
    def _scores(snap) -> str:
        if snap.divergence is not None:
            return f"diverged at step {snap.divergence.step}"
        last = snap.last or {}
        score = (f"R\u00b2 {fmt(last.get('test_r2'), '.3f')}" if "test_r2" in last  # a regression run
                 else f"acc {fmt(last.get('test_acc'), '.1%')}")
        return f"step {snap.step}  loss {fmt(last.get('train_loss'))}  {score}"

    def _report(self, snaps) -> None:
        """A divergence or the end of the epoch budget, said once."""
        diverged = [(name, s.divergence) for name, s in zip(NAMES, snaps) if s.divergence is not None]
        if diverged and self.status_text != (message := f"{diverged[0][0]}: {divergence_message(diverged[0][1])}"):
            self.set_status(message, "error")
        elif snaps[0].state == "finished" and not self.status_text.startswith("finished"):
            self.set_status(f"finished epoch {self.session.budget_end}; space: "
                            f"{self.session.epochs} more epochs")

    # ----- training -----------------------------------------------------------------------------------
    def action_toggle(self) -> None:
        running = self.session.toggle()
        if running:
            self.traces = None
            self.inspector.action_leave_step()
        self.set_status(f"training A and B to epoch {self.session.budget_end} at {format_speed(self.speed)}"
                        if running else "paused")

    def action_step(self) -> None:
        self.session.step()
        self.poll(force=True)
        a, b = self.session.snapshot()
        self.set_status(f"one step of both: A step {a.step}, B step {b.step}")

    def action_faster(self) -> None:
        self._set_speed(faster(self.speed))

    def action_slower(self) -> None:
        self._set_speed(slower(self.speed))

    def _set_speed(self, speed) -> None:
        self.speed = self.session.speed = speed
        self.query_one("#pace", Static).update(format_speed(speed))

    def action_reset(self) -> None:
        self.session.reset()
        self.traces = None
        self.inspector.action_leave_step()
        self.poll(force=True)
        self.set_status("both networks reset to their seeds' initial weights")

    def action_neuron(self, step: int) -> None:
        """[ and ]: the chosen network's boundary panel shows its next hidden neuron's map."""
        self.boundaries[self.chosen].action_neuron(step)

    def action_log_scale(self) -> None:
        self.chart.log_scale = not self.chart.log_scale
        self.chart.show(self.session.snapshot(), force=True)

    # ----- the inspector ------------------------------------------------------------------------------
    def _choose(self, index: int) -> None:
        self.chosen = index
        for i, boundary in enumerate(self.boundaries):
            boundary.set_class(i == index, "-chosen")
            boundary.set_class(i != index, "-other")
        side = self.session.sides[index]
        self.inspector.border_title = f"Inspector: {side.name} ({'-'.join(map(str, side.net.sizes))})"

    def action_switch(self) -> None:
        self._choose(1 - self.chosen)
        if self.traces is not None and self.inspector.trace is not None:
            self._show_trace(self.inspector.stage)
        else:
            self.inspector.show_weights(self.session.sides[self.chosen].net, self.session.snapshot()[self.chosen].params)
        self.boundaries[self.chosen].show(self.session.snapshot()[self.chosen], force=True)
        self.set_status(f"the inspector shows network {NAMES[self.chosen]}")

    def _show_trace(self, stage: int) -> None:
        trace = self.traces[self.chosen]
        if trace is None:
            self.inspector.action_leave_step()
            self.set_status(f"{NAMES[self.chosen]} diverged: no step to walk", "error")
            return
        self.inspector.trace = trace
        self.inspector.move(min(stage, len(trace.steps) - 1))

    def action_next_stage(self) -> None:
        inspector = self.inspector
        if inspector.trace is None or inspector.at_end:
            try:
                self.traces = self.session.traced_step(None if inspector.use_batch else inspector.sample)
            except ValueError as e:
                self.set_status(str(e), "error")
                return
            self._show_trace(0)
            self.action_inspect()
            self.set_status(f"A and B took one real step on the same data; n/p walk {NAMES[self.chosen]}'s, "
                            f"tab shows the other's")
        else:
            inspector.move(1)

    def action_prev_stage(self) -> None:
        self.inspector.move(-1)

    def action_inspect(self) -> None:
        self.screen.add_class("-inspect")
        self.inspector.query_one("#matrix").focus()

    def action_chart(self) -> None:
        self.screen.remove_class("-inspect")

    @on(InspectorPanel.StageChanged)
    def _stage_changed(self, event: InspectorPanel.StageChanged) -> None:
        if event.update:  # the walk reached the update: show both networks' new weights
            self.session.publish()
            self.poll(force=True)

    # ----- quitting ---------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.session.shutdown(timeout=1.0)
        self.exit()

    def on_unmount(self) -> None:
        self.session.shutdown(timeout=1.0)


def run_compare_app(runs, options: DashboardOptions) -> int:
    session = CompareSession(runs, speed=options.speed)
    app = CompareApp(session, options)

    def hang_up(signum, frame):  # the SSH connection dropped: stop training, leave cleanly
        session.shutdown(timeout=1.0)
        app.exit()

    previous = signal.signal(signal.SIGHUP, hang_up) if hasattr(signal, "SIGHUP") else None
    try:
        app.run(mouse=options.mouse)
    finally:
        session.shutdown(timeout=1.0)
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)
    return app.return_code or 0
