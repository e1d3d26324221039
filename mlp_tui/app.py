"""The mlp-tui dashboard: five panels (form, metrics, decision boundary, inspector, network view)
over one training session, the decision boundary and the metrics first. Training runs in the
session's worker thread at the chosen pace; a timer polls its snapshots and refreshes each panel
at its own rate (side panels only while on screen), so keys stay responsive at any pace."""
from __future__ import annotations

import gc
import signal
from functools import partial

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Input, Static, Tab, Tabs

from engine import config as cfg
from engine.derivation import output_delta_name
from engine.errors import EngineError
from engine.gradcheck import check_trace
from mlp_tui import fields, gradcheck_view
from mlp_tui.divergence import divergence_message
from mlp_tui.early_stop import early_stop_message
from mlp_tui.options import DashboardOptions
from mlp_tui.pace import capped, faster, format_speed, slower
from mlp_tui.param_edit import edit_text
from mlp_tui.screens.file_prompt import FilePrompt
from mlp_tui.screens.gradcheck import GradcheckScreen
from mlp_tui.screens.help import HelpScreen
from mlp_tui.screens.param_prompt import ParamPrompt
from mlp_tui.screens.timeline import TimelineScreen
from mlp_tui.session import Session
from mlp_tui.teacher import FilePolicy, file_field_problem, locked_changes, panel_names
from mlp_tui.task import task_note
from mlp_tui.widgets.boundary import BoundaryPanel
from mlp_tui.widgets.footer import StableFooter
from mlp_tui.widgets.hyperparams import HyperparamForm
from mlp_tui.widgets.inspector import InspectorPanel
from mlp_tui.widgets.locks import lock_fields
from mlp_tui.widgets.matrix_view import MatrixView
from mlp_tui.widgets.metrics import MetricsPanel
from mlp_tui.widgets.network_view import NetworkView
from mlp_tui.network_maps import network_view_args

PANELS = (("form-panel", "1 Hyperparameters"), ("metrics-panel", "2 Metrics"),
          ("boundary-panel", "3 Decision boundary"), ("inspector-panel", "4 Inspector"),
          ("network-panel", "5 Network"))
MIN_SIZE = (80, 24)  # below this: a "terminal too small" message
WIDE_SIZE = (110, 34)  # from this size the boundary, the metrics and a side panel show at once
LESSON_PANEL = 2  # the opening view: the decision boundary (with the metrics beside it)
SIDE_PANELS = (0, 3, 4)  # the form, the inspector and the network view share the wide layout's side
INSPECTOR_PANEL, NETWORK_PANEL = 3, 4
METRICS_PANEL = 1
# Keys that act on one panel: off (and out of the footer) when the teacher hides it.
PANEL_ACTIONS = {"next_stage": INSPECTOR_PANEL, "prev_stage": INSPECTOR_PANEL, "derive": INSPECTOR_PANEL,
                 "edit_param": INSPECTOR_PANEL, "gradcheck": INSPECTOR_PANEL,
                 "draw": LESSON_PANEL, "hidden_space": LESSON_PANEL,
                 "derive_elsewhere": INSPECTOR_PANEL, "chart": METRICS_PANEL, "log_scale": METRICS_PANEL}


def size_breakpoints(dimension: int) -> list[tuple[int, str]]:
    """Textual breakpoints for the width (0) or height (1). Both lists name the same classes and
    Textual sets each list's class, so the screen is -compact when either side is below
    WIDE_SIZE and -tiny when either is below MIN_SIZE ("-roomy": this side has room)."""
    return [(0, "-tiny"), (MIN_SIZE[dimension], "-compact"), (WIDE_SIZE[dimension], "-roomy")]


class DashboardScreen(Screen):
    """The dashboard's screen: its layout classes follow the terminal's size."""

    HORIZONTAL_BREAKPOINTS = size_breakpoints(0)
    VERTICAL_BREAKPOINTS = size_breakpoints(1)

    def on_screen_resume(self) -> None:
        # Textual sets breakpoint classes on the screen on top only: a resize under a modal
        # (help, file prompt) reaches this screen when it comes back.
        self.post_message(events.Resize.from_dimensions(self.app.size, None))


class MlpApp(App):
    # Steps per second while training (None: max); watched to pace the worker and the status bar.
    speed: reactive[float | None] = reactive(None, init=False, always_update=True)
    # The snapshot each part shows, set by poll at the part's rate; a watcher draws it. Snapshots
    # compare by identity (a new one per publish), so setting the one already shown costs nothing.
    numbers = var(None, init=False)  # the metrics' numbers and the status line
    series = var(None, init=False)  # the metrics' sparklines or chart
    picture = var(None, init=False)  # the decision boundary
    weights = var(None, init=False)  # the inspector's weights, while it is on screen
    network_state = var(None, init=False)  # the network view, while it is on screen
    # What the status line announces once: a divergence, the step training finished at, an
    # early stop, and a failure of the training thread.
    divergence = var(None, init=False)
    finished_at = var(None, init=False)
    stopped_early = var(None, init=False)
    failure = var(None, init=False)

    CSS_PATH = "app.tcss"
    TITLE = "mlp-tui"
    BINDINGS = [
        Binding("space", "toggle", "Start/Pause"),
        Binding("s", "step", "Step"),
        Binding("n,full_stop", "next_stage", "Next stage"),
        Binding("p,comma", "prev_stage", "Prev stage", show=False),
        # One key, two bindings: the footer shows "Derive" only where it applies (check_action
        # hides the first elsewhere), and the hidden second one says where it applies.
        Binding("d", "derive", "Derive"),
        Binding("d", "derive_elsewhere", "Derive", show=False),
        # Twins as for d, both kept out of the footer (the inspector's weights view names e):
        # with the inspector open at 120 columns one more key pushes Quit off. A priority
        # binding acts when the key arrives, not after the focused widget has passed it up, so
        # the prompt is open before the next key ("e1.5 Enter" typed at once) is delivered.
        Binding("e", "edit_param", "Edit", show=False, priority=True),
        Binding("e", "edit_elsewhere", "Edit", show=False),
        Binding("g", "gradcheck", "Gradcheck"),
        Binding("g", "gradcheck_elsewhere", "Gradcheck", show=False),
        Binding("r", "reset", "Reset"),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("1", "panel(0)", "Form", show=False),
        Binding("2", "panel(1)", "Metrics", show=False),
        Binding("3", "panel(2)", "Boundary", show=False),
        Binding("4", "panel(3)", "Inspector", show=False),
        Binding("5", "panel(4)", "Network", show=False),
        Binding("escape", f"panel({LESSON_PANEL})", "Boundary", show=False),  # out of a form field, too
        Binding("t", "timeline", "Timeline", show=False),
        Binding("h", "hidden_space", "Hidden space", show=False),
        Binding("c", "chart", "Chart", show=False),
        Binding("l", "log_scale", "Log scale", show=False),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "load", "Load"),
        Binding("ctrl+s,ctrl+o", "files_off", "Files", show=False),  # only with --no-files
        Binding("m", "draw", "Draw", show=False),
        Binding("ctrl+e", "export", "Export", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, session: Session, options: DashboardOptions | None = None) -> None:
        super().__init__()
        self.session = session
        self.options = options or DashboardOptions()
        self.mode = self.options.mode
        fps = self.options.refresh_hz
        self.interval = 1.0 / fps
        # Numbers every tick, sparklines at about 5 Hz and the heatmap at about 2 Hz; on a slow
        # link numbers at 2 Hz and both pictures at 1 Hz. Keys are answered at once either way.
        series_hz, heatmap_hz = (1, 1) if self.options.low_bandwidth else (5, 2)
        self.series_every = max(1, round(fps / series_hz))
        self.heatmap_every = max(1, round(fps / heatmap_hz))
        self.network_every = 2 * self.heatmap_every  # the network view: about 1 Hz (0.5 on a slow link)
        self._tick = 0
        self.active_panel = LESSON_PANEL
        self._blas = None
        self.files = FilePolicy(self.options.files, enabled=not self.options.files_off)
        self.hidden = {i for i, name in enumerate(panel_names()) if name in self.options.hidden}
        self.teacher_config = session.config  # locked fields keep these values

    @property
    def main_screen(self):
        """The dashboard's screen, under any modal."""
        return self.screen_stack[0]

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """While a modal (help, file prompt) is open it owns the keyboard: the dashboard's keys
        would act unseen beneath it, or open a second modal on top. Quitting always works."""
        if action == "quit":
            return True
        if len(self.screen_stack) > 1:
            return False
        if action in ("save", "load", "files_off"):
            return self.files.enabled == (action != "files_off")
        if PANEL_ACTIONS.get(action) in self.hidden:
            return False
        if action in ("derive", "edit_param", "gradcheck") and not hasattr(self, "inspector"):
            return False  # before mounting there is no inspector yet
        if action == "derive":
            return self.inspector.on_output_delta
        if action == "edit_param":
            return self._panel_shown(INSPECTOR_PANEL) and self.inspector.edit_target() is not None
        if action == "gradcheck":
            return self._panel_shown(INSPECTOR_PANEL) and self.inspector.gradcheck_cells() is not None
        return True

    # ----- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Tabs(*[Tab(title, id=f"tab-{i}") for i, (_, title) in enumerate(PANELS)],
                   active=f"tab-{LESSON_PANEL}", id="tabs")
        with Container(id="panels"):  # grid order: the boundary first, it spans the left column
            yield BoundaryPanel(self.mode, drawable=True, id="boundary-panel", classes="panel -active")
            yield MetricsPanel(self.options.show_rate, id="metrics-panel", classes="panel")
            yield HyperparamForm(self.session.config, id="form-panel", classes="panel side-panel -side-shown")
            yield InspectorPanel(self.mode, editable=True, id="inspector-panel", classes="panel side-panel")
            yield NetworkView(self.mode, id="network-panel", classes="panel side-panel")
        yield Static(f"terminal too small: need at least {MIN_SIZE[0]}x{MIN_SIZE[1]}", id="too-small")
        with Horizontal(id="status-bar"):
            yield Static("", id="status")
            yield Static("", id="pace")
        yield StableFooter()

    def on_mount(self) -> None:
        try:  # one BLAS thread: two would fight the UI for the two cores
            from threadpoolctl import threadpool_limits

            self._blas = threadpool_limits(limits=1, user_api="blas")
        except Exception:  # threadpoolctl missing or no BLAS found: run with the defaults
            self._blas = None
        # Widgets are kept here and reached from these: a key or message queued behind one that
        # opened a modal is handled with the modal on top, where a query would search the modal.
        self.tabs = self.query_one(Tabs)
        self.form = self.query_one(HyperparamForm)
        self.metrics = self.query_one(MetricsPanel)
        self.boundary = self.query_one(BoundaryPanel)
        self.inspector = self.query_one(InspectorPanel)
        self.network = self.query_one(NetworkView)
        self.status = self.query_one("#status", Static)
        self.pace = self.query_one("#pace", Static)
        self.panels = [self.query_one(f"#{panel_id}") for panel_id, _ in PANELS]
        for panel, (_, title) in zip(self.panels, PANELS):
            panel.border_title = title
        self.speed = self.options.speed
        self._apply_teacher_controls()
        self._bind_session()
        self.action_panel(next(i for i in (LESSON_PANEL, METRICS_PANEL, *range(len(PANELS))) if i not in self.hidden))
        self.set_interval(self.interval, self.poll)
        walk = "" if INSPECTOR_PANEL in self.hidden else ", n to walk one step"
        note = task_note(self.session.config, self.session.data)
        self.set_status(f"{self.session.data!r}{'; ' + note if note else ''}. Press space to train{walk}, ? for help.")
        self.call_after_refresh(self._freeze_startup_objects)

    def _apply_teacher_controls(self) -> None:
        """Lock the teacher's fields and take the hidden panels out of the layout and the tabs;
        the wide layout's side shows the first side panel not hidden."""
        lock_fields(self.form, self.options.locked)
        for i in self.hidden:
            self.panels[i].display = False
            self.tabs.hide(f"tab-{i}")
        side = next((i for i in SIDE_PANELS if i not in self.hidden), None)
        for i in SIDE_PANELS:
            self.panels[i].set_class(i == side, "-side-shown")

    def _freeze_startup_objects(self) -> None:
        """Move what start-up built (imports, widgets, styles) out of the garbage collector's
        sight: a full collection scanning them took ~100 ms, one key press in ten waited for it."""
        gc.collect()
        gc.freeze()

    def _bind_session(self) -> None:
        """Point the panels at the session's current run (after start, Reset, Apply or Load)."""
        self.boundary.attach(self.session.net, self.session.data)
        self.metrics.set_class(self.session.data.is_regression, "-regression")
        self.form.show_task(self.session.data.is_regression)
        self._net_copy = self.session.net.copy()  # the network view draws snapshots with it
        self.network.highlight_layer = None
        self.inspector.trace = None
        self.inspector.n_train = self.session.trainer.n
        self.inspector.features = tuple(self.session.data.features)
        self.poll(force=True)

    # ----- polling the training snapshot -----------------------------------------------------------
    def poll(self, force: bool = False) -> None:
        snap = self.session.snapshot()
        self._tick += 1
        metrics = self.metrics
        # A tick can land while the app shuts down and the panels' children are already gone.
        if not (self.is_running and metrics.is_mounted and metrics.is_attached):
            return
        self.failure = self.session.controller.error
        self.numbers = snap
        if self._due(self.series_every, force):
            self.series = snap
        if self._due(self.heatmap_every, force):
            self.picture = snap
        # The side panels are drawn only while on screen; one coming into view shows an older
        # snapshot than the current one, so the next poll draws it.
        if self._panel_shown(INSPECTOR_PANEL) and self._due(self.heatmap_every, force):
            self.weights = snap
        if self._panel_shown(NETWORK_PANEL) and self._due(self.network_every, force):
            self.network_state = snap

    def _due(self, every: int, force: bool) -> bool:
        """Is this a tick for a part drawn every ``every`` ticks (or a ``force``d poll)?"""
        return force or self._tick % every == 0

    def watch_numbers(self, snap) -> None:
        self.metrics.show_numbers(snap)
        self.divergence = snap.divergence
        self.finished_at = snap.step if snap.state == "finished" else None
        self.stopped_early = snap.early_stop

    def watch_series(self, snap) -> None:
        self.metrics.show_series(snap)

    def watch_picture(self, snap) -> None:
        self.boundary.show(snap)

    def watch_weights(self, snap) -> None:
        self.inspector.show_weights(self.session.net, snap.params)

    def watch_network_state(self, snap) -> None:
        self._net_copy.params[...] = snap.params
        self.network.show(**network_view_args(self._net_copy, self.session.data))

    def _panel_shown(self, index: int) -> bool:
        """Is side panel ``index`` on screen?"""
        if self.main_screen.has_class("-compact"):
            return self.active_panel == index
        return self.panels[index].has_class("-side-shown")

    def watch_finished_at(self, step: int | None) -> None:
        """Say so once when training pauses at the end of the epoch budget."""
        if step is not None and self.numbers.early_stop is None:  # an early stop says why itself
            snap = self.numbers
            last = snap.last or {}
            scores = ", ".join(f"{label} {last[key]:{spec}}" for key, label, spec in
                               (("test_acc", "test acc", ".1%"), ("test_r2", "test R\u00b2", ".4g"),
                                ("test_loss", "test loss", ".4g"), ("train_acc", "train acc", ".1%"),
                                ("train_r2", "train R\u00b2", ".4g")) if last.get(key) is not None)
            self.set_status(f"finished epoch {snap.epoch} of {self.session.budget_end}: {scores}; "
                            f"space: {self.session.config.epochs} more epochs")

    def watch_stopped_early(self, report) -> None:
        if report is not None:
            self.set_status(f"{early_stop_message(report)}; space: train on from there")

    def watch_divergence(self, report) -> None:
        if report is not None:
            self.set_status(divergence_message(report), "error")

    def watch_failure(self, error: Exception | None) -> None:
        """Say so once when the training thread died (the snapshot may not say: it can fail too)."""
        if error is not None:
            self._step_failed(error)

    def _step_failed(self, error: Exception) -> None:
        self.set_status(f"training stopped, a step failed: {type(error).__name__}"
                        + (f": {error}" if str(error) else "") + " (space or s tries again)", "error")

    def set_status(self, text: str, level: str = "info") -> None:
        status = self.status
        status.update(Text(text))  # plain text: messages may contain brackets
        status.set_class(level == "error", "-error")
        status.set_class(level == "warning", "-warning")
        self.status_text = text

    # ----- training actions ---------------------------------------------------------------------------
    def action_toggle(self) -> None:
        running = self.session.toggle()
        if running:
            self.inspector.action_leave_step()
            self.network.highlight_layer = None
        self.set_status(f"training to epoch {self.session.budget_end} at {format_speed(self.speed)} "
                        f"(space pauses, +/- speed)" if running else "paused")

    def action_faster(self) -> None:
        self.speed = capped(faster(self.speed), self.options.max_speed)

    def action_slower(self) -> None:
        self.speed = slower(self.speed)

    def watch_speed(self, speed: float | None) -> None:
        self.session.speed = speed
        self.pace.update(format_speed(speed))

    def action_step(self) -> None:
        try:
            self.session.step()
        except Exception as e:  # what kills the training thread (MemoryError, ...) must not kill the app
            self._step_failed(e)
            return
        self.poll(force=True)
        snap = self.session.snapshot()
        self.set_status(f"one step: step {snap.step}, batch loss {snap.step_loss:.6g}"
                        if snap.step_loss is not None else "one step")

    def action_next_stage(self) -> None:
        inspector = self.inspector
        if inspector.trace is None or inspector.at_end:
            try:
                trace = self.session.traced_step(None if inspector.use_batch else inspector.sample)
            except ValueError as e:
                self.set_status(str(e), "error")
                return
            except Exception as e:  # as in action_step: a failing step must not kill the app
                self._step_failed(e)
                return
            inspector.trace = trace
            self._mark_stage_layer(0)
            self.set_status(f"took one real step on {trace.n} sample(s); n/p walk it, arrows pick a cell")
            if not self.panels[3].has_class("-side-shown") or (
                    self.active_panel != 3 and self.main_screen.has_class("-compact")):
                self.action_panel(3)
        else:
            inspector.move(1)

    def action_prev_stage(self) -> None:
        self.inspector.move(-1)

    def action_derive(self) -> None:
        self.inspector.toggle_derivation()
        name = self.inspector.current.name
        self.set_status(f"{name} derived by the chain rule: arrows pick the cell, d folds it"
                        if self.inspector.derive else f"{name}: one-line explanation")

    def action_derive_elsewhere(self) -> None:
        trace = self.inspector.trace
        where = f"walk to {output_delta_name(trace)} with n/p" if trace is not None else "press n, then walk to it"
        self.set_status(f"d derives the output layer's delta by the chain rule (dL/da times the output's "
                        f"Jacobian): {where}")

    def action_edit_param(self) -> None:
        target = self.inspector.edit_target()
        if target is None:
            return
        layer, kind, index, label, value = target
        self.push_screen(ParamPrompt(label, value), partial(self._edit_to, layer, kind, index))

    def _edit_to(self, layer: int, kind: str, index: tuple, value: float | None) -> None:
        if value is None:
            self.set_status("edit cancelled: the network is unchanged")
            return
        try:
            event = self.session.edit_param(layer, kind, index, value)
        except ValueError as e:
            self.set_status(f"not changed: {e}", "error")
            return
        self.poll(force=True)  # the loss, the boundary, the weights and the network view at once
        self.set_status(edit_text(event))

    def action_edit_elsewhere(self) -> None:
        where = "press x for the weights view" if self.inspector.trace is not None else "open the inspector (4)"
        self.set_status(f"e edits the weight or bias at the inspector's cursor: {where}, pick a cell of a W or b")

    def action_gradcheck(self) -> None:
        inspector = self.inspector
        cells, trace = inspector.gradcheck_cells(), inspector.trace
        if cells is None or trace is None:
            return
        stage, cursor = inspector.current.name, inspector.query_one(MatrixView).cursor
        self.set_status(f"checking {stage}: {2 * len(cells)} losses on {trace.n} sample(s) in extended precision")
        # In a thread: in extended precision (no BLAS) a 784-256-10 network on 128 samples takes
        # seconds; the dashboard answers keys meanwhile.
        self.run_worker(partial(self._check_gradient, trace, cells, stage,
                                gradcheck_view.selected_label(stage, cursor)),
                        thread=True, exclusive=True, group="gradcheck", exit_on_error=False)

    def _check_gradient(self, trace, cells: list, stage: str, selected: str) -> None:
        """The gradient check, in a worker thread; its table or its failure is shown on the UI's."""
        try:
            checks = check_trace(trace, cells, h=gradcheck_view.H)
        except (ValueError, ArithmeticError, MemoryError) as e:
            self.call_from_thread(self.set_status, f"gradient check failed: {e}", "error")
            return
        self.call_from_thread(self._show_gradient_check, gradcheck_view.table_text(checks, selected, trace.n), stage)

    def _show_gradient_check(self, table: str, stage: str) -> None:
        if len(self.screen_stack) > 1:  # another modal opened meanwhile: never stack a second
            self.set_status(f"gradient check of {stage} done while another window was open: press g again to see it")
            return
        self.push_screen(GradcheckScreen(table))
        self.set_status(f"gradient check of {stage}: backprop against the central difference, every layer")

    def action_gradcheck_elsewhere(self) -> None:
        trace = self.inspector.trace
        if trace is not None and trace.config["loss"] == "perceptron":
            where = "the perceptron rule is not a loss gradient, there is nothing to check"
        else:
            where = "walk to a dW or db stage with n/p" if trace is not None else "press n, then walk to a dW or db stage"
        self.set_status(f"g checks the selected gradient cell against the finite difference: {where}")

    @on(InspectorPanel.DerivationShown)
    def _derivation_shown(self, event: InspectorPanel.DerivationShown) -> None:
        for panel in (self.boundary, self.metrics):  # app.tcss: the inspector spans their place
            panel.set_class(event.shown, "-yield")

    @on(InspectorPanel.StageChanged)
    def _stage_changed(self, event: InspectorPanel.StageChanged) -> None:
        self._mark_stage_layer(event.index)
        if event.update:  # the walk reached the update: now show the new weights, loss and boundary
            self.session.publish()
            self.poll(force=True)
            self.set_status("update applied: the network now has the new weights")

    def _mark_stage_layer(self, index: int) -> None:
        """The network view marks the layer of the inspector's stage (the loss: the output)."""
        trace = self.inspector.trace
        if trace is not None:
            layer = trace.steps[index].layer
            self.network.highlight_layer = self.session.net.n_layers if layer is None else layer

    @on(NetworkView.NeuronSelected)
    def _neuron_selected(self, event: NetworkView.NeuronSelected) -> None:
        """The boundary panel shows the chosen neuron's map large (the output: the prediction)."""
        self.boundary.neuron = event.neuron
        self.boundary.show(self.session.snapshot(), force=True)

    def action_reset(self) -> None:
        self.session.reset()
        self._bind_session()
        self.set_status(f"network reset with seed {self.session.config.seed}")

    # ----- rewind and the hidden space -------------------------------------------------------------
    def action_timeline(self) -> None:
        """Pause and open the timeline of kept steps; the chosen one is restored."""
        self.session.pause()
        store = self.session.snapshots
        self.push_screen(TimelineScreen(self.session.kept_states(), store.every, store.nbytes, store.cap_bytes),
                         self._rewind_to)
        self.set_status("paused: choose a step to go back to")

    def _rewind_to(self, step: int | None) -> None:
        if step is None:
            return
        try:
            self.session.rewind(step)
        except ValueError as e:  # a snapshot that no longer fits the run: nothing was changed
            self.set_status(f"not rewound: {e}", "error")
            return
        self.inspector.action_leave_step()
        self.network.highlight_layer = None
        self.poll(force=True)
        self.set_status(f"rewound to step {step} (epoch {self.session.trainer.epoch}), paused: "
                        f"space continues training from here, n steps it in the inspector")

    def action_hidden_space(self) -> None:
        if not self.boundary.toggle_warp():
            self.set_status("the hidden space needs 2-D data and a hidden layer of two neurons or more", "error")
            return
        self.action_panel(LESSON_PANEL)
        pair = self.boundary.warp_pair
        self.set_status(f"hidden space: data and input grid placed by two neurons of layer {pair[0]}; "
                        f"[ ] other pairs and layers" if pair is not None else "the decision boundary again")

    def action_chart(self) -> None:
        self.metrics.toggle_chart()
        self.mutate_reactive(MlpApp.series)  # the same snapshot, drawn the other way

    def action_log_scale(self) -> None:
        self.metrics.toggle_log()
        self.mutate_reactive(MlpApp.series)

    # ----- panels -----------------------------------------------------------------------------------
    def action_panel(self, index: int) -> None:
        if index in self.hidden:
            self.set_status(f"the {panel_names()[index]} panel is hidden in this class")
            return
        self.active_panel = index
        for i, panel in enumerate(self.panels):
            panel.set_class(i == index, "-active")
            if index in SIDE_PANELS and i in SIDE_PANELS:
                panel.set_class(i == index, "-side-shown")
        # The compact layout's lesson view (the boundary and the metrics side by side). A class
        # on these two panels, not the screen: a screen class restyles every widget, ~50 ms a key.
        # With either of them hidden by the teacher, the other takes the whole width.
        pair_shown = not self.hidden & {LESSON_PANEL, METRICS_PANEL}
        for panel in (self.boundary, self.metrics):
            panel.set_class(pair_shown and index not in SIDE_PANELS, "-lesson")
        if self.tabs.active != f"tab-{index}":
            self.tabs.active = f"tab-{index}"
        widget = self._focus_target(index)
        if widget.focusable:
            widget.focus()
        if self.main_screen.has_class("-compact") or index in SIDE_PANELS:
            self.poll(force=True)  # the panel coming into view may hold a stale picture

    def _focus_target(self, index: int):
        """The widget that takes the focus when panel ``index`` is chosen, found within the panel."""
        panel = self.panels[index]
        if panel is self.form:  # the first field the teacher did not lock
            return next((field for field in panel.query(Input) if field.focusable), panel)
        if panel is self.inspector:
            return panel.query_one(MatrixView)
        return panel

    @on(Tabs.TabActivated)
    def _tab(self, event: Tabs.TabActivated) -> None:
        if event.tab.id != self.tabs.active:
            # Stale: "2 3" typed at once queue tab-1 then tab-2; answering tab-1 after tab-2 was
            # shown would set tab-1 again, and the two would swap back and forth for ever.
            return
        index = int(event.tab.id.removeprefix("tab-"))
        if index != self.active_panel:
            self.action_panel(index)

    # ----- the form -----------------------------------------------------------------------------------
    @on(HyperparamForm.LiveChange)
    def _live(self, event: HyperparamForm.LiveChange) -> None:
        try:
            self.session.apply_live(event.changes)
        except ValueError as e:
            self.set_status(str(e), "error")
            return
        text = ", ".join(f"{fields.FIELDS[k].label} = {fields.format_field(k, v)}" for k, v in event.changes.items())
        self.set_status(f"{text} (applied live)")

    @on(HyperparamForm.PresetChosen)
    def _preset(self, event: HyperparamForm.PresetChosen) -> None:
        from engine.presets import PRESETS

        kept = locked_changes(PRESETS[event.name].config, self.teacher_config, self.options.locked)
        self.set_status(f"preset {event.name}: {PRESETS[event.name].teaches} Press Apply to build it."
                        + (f" Locked, kept as the teacher set them: {self._labels(kept)}." if kept else ""))

    @staticmethod
    def _labels(names) -> str:
        return ", ".join(fields.FIELDS[name].label for name in names)

    def _vet(self, config: cfg.RunConfig) -> None:
        """Raise ValueError if ``config`` would change a locked field, or read a file of the
        server's while files are confined."""
        changed = locked_changes(config, self.teacher_config, self.options.locked)
        if changed:
            raise ValueError(f"it would change locked settings: {self._labels(changed)}")
        problem = file_field_problem(config, self.teacher_config) if self.files.confined else None
        if problem:
            raise ValueError(problem)

    @on(HyperparamForm.Apply)
    def _apply(self, event: HyperparamForm.Apply) -> None:
        try:
            self._vet(event.config)
            self.session.rebuild(event.config)
        except (EngineError, ValueError, OSError) as e:
            self.set_status(f"not applied, the current network is unchanged: {e}", "error")
            return
        self.form.load_config(self.session.config)
        self._bind_session()
        note = task_note(self.session.config, self.session.data)
        self.set_status(f"rebuilt: {self.session.net!r} on {self.session.data!r}{'; ' + note if note else ''}")

    # ----- files --------------------------------------------------------------------------------------
    def _where(self) -> str:
        return " a name in the class folder;" if self.files.folder is not None else ""

    def action_save(self) -> None:
        self.push_screen(FilePrompt(f"Save to ({self._where()} .npz: checkpoint, .toml: settings):",
                                    "mlp-tui-checkpoint.npz", "Enter saves, Escape cancels"), self._save_to)

    def _save_to(self, typed: str | None) -> None:
        if not typed:
            return
        try:
            path = self.files.path(typed)
            if path.endswith(".toml"):
                written = self.session.write_settings(path)
                self.set_status(f"settings written to {self.files.show(written)}")
            else:
                written = self.session.save(path)
                self.set_status(f"checkpoint saved to {self.files.show(written)} "
                                f"(step {self.session.trainer.step_count})")
        except (EngineError, ValueError, OSError) as e:
            self.set_status(f"not saved: {self.files.scrub(str(e))}", "error")

    def action_load(self) -> None:
        self.push_screen(FilePrompt(f"Load checkpoint ({self._where()} .npz):", "mlp-tui-checkpoint.npz",
                                    "Enter loads, Escape cancels"), self._load_from)

    def _load_from(self, typed: str | None) -> None:
        if not typed:
            return
        try:
            self.session.load(self.files.path(typed), vet=self._vet)
        except (EngineError, ValueError, OSError) as e:
            self.set_status(f"not loaded, the current network is unchanged: {self.files.scrub(str(e))}", "error")
            return
        self.form.load_config(self.session.config)
        self._bind_session()
        self.set_status(f"loaded {typed}: {self.session.net!r}, step {self.session.trainer.step_count}")

    def action_files_off(self) -> None:
        self.set_status("saving and loading are off in this class", "warning")

    def action_export(self) -> None:
        if not self.files.enabled:
            self.set_status("exporting is off in this class", "warning")
            return
        self.push_screen(FilePrompt(f"Export to ({self._where()} a folder: data, weights, history; a .csv: the data):",
                                    "mlp-tui-export", "Enter writes, Escape cancels"), self._export_to)

    def _export_to(self, typed: str | None) -> None:
        if not typed:
            return
        try:
            written = self.session.export(self.files.path(typed))
        except (EngineError, ValueError, OSError) as e:
            self.set_status(f"not exported: {self.files.scrub(str(e))}", "error")
            return
        self.set_status(f"exported {', '.join(self.files.show(p) for p in written)}")

    # ----- drawing the data ---------------------------------------------------------------------------
    def action_draw(self) -> None:
        """Draw mode in the boundary panel: a cursor and keys (or clicks) that add and remove points."""
        data = self.session.data
        if not data.is_2d:
            self.set_status(f"points can be drawn on 2-D data only; {data.name} has {data.n_features} "
                            f"features", "error")
            return
        self.action_panel(LESSON_PANEL)
        self.boundary.focus()
        self.boundary.start_drawing()
        self.set_status("draw mode: arrows move the cursor, a adds a point, c changes its class, x removes "
                        "the nearest, g new data, ctrl+e saves it, m ends")

    @on(BoundaryPanel.DrawRequest)
    def _draw_request(self, event: BoundaryPanel.DrawRequest) -> None:
        session = self.session
        try:
            if event.kind == "add":
                session.add_point(event.point, event.label, session.data.extent)
                text = f"added a class {event.label} point at {_point_text(event.point)}"
            elif event.kind == "remove":
                text = f"removed the point at {_point_text(session.remove_point(event.point))}"
            else:
                noise = self.form.values.get("noise")
                seed = session.regenerate_data(noise)
                text = f"new data with seed {seed}" + (f" and noise {noise:g}" if noise is not None else "")
        except (EngineError, ValueError, OSError) as e:
            self.set_status(f"the data is unchanged: {e}", "error")
            return
        self.boundary.set_data(session.data)
        self.inspector.trace = None  # a walk's sample may be gone
        self.inspector.n_train = session.trainer.n
        self.poll(force=True)
        self.set_status(f"{text}: {session.trainer.n} training points, the network keeps its weights")

    # ----- help and quitting --------------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._class_rules()))

    def _class_rules(self) -> str:
        """What the teacher turned off, for the help screen (empty outside a class)."""
        rules = []
        if self.hidden:
            rules.append("hidden panels: " + ", ".join(panel_names()[i] for i in sorted(self.hidden))
                         + " (their keys do nothing)")
        if self.options.locked:
            rules.append("locked fields: " + ", ".join(fields.FIELDS[n].label if n in fields.FIELDS else n
                                                        for n in sorted(self.options.locked)))
        if not self.files.enabled:
            rules.append("ctrl+s, ctrl+o and ctrl+e are off")
        elif self.files.folder is not None:
            rules.append("ctrl+s, ctrl+o and ctrl+e take a plain name in the class folder")
        return "; ".join(rules)

    async def action_quit(self) -> None:
        self.session.shutdown(timeout=1.0)
        self.exit()

    def on_unmount(self) -> None:
        self.session.shutdown(timeout=1.0)
        gc.unfreeze()  # the objects become collectable again once this app is gone
        if self._blas is not None:
            self._blas.restore_original_limits()


def _point_text(point) -> str:
    return f"({point[0]:.2f}, {point[1]:.2f})"


def run_dashboard(run: cfg.Run, options: DashboardOptions) -> int:
    """Open the dashboard on ``run`` (the CLI builds it, from a checkpoint if one is given)."""
    session = Session(run, speed=options.speed)
    app = MlpApp(session, options)

    def hang_up(signum, frame):  # SSH dropped (SIGHUP) or `kill` (SIGTERM): stop training, leave cleanly
        session.shutdown(timeout=1.0)
        app.exit()

    # Without a handler SIGTERM kills the process at once, leaving the terminal in the alternate
    # screen with mouse reporting on; app.exit() lets Textual restore it.
    names = [name for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), hang_up) for name in names}
    try:
        app.run(mouse=options.mouse)
    finally:
        session.shutdown(timeout=1.0)
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
    return app.return_code or 0
