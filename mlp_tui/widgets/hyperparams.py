"""The hyperparameter form: every field validates as you type, with the message under the field.

Live fields (learning rate, momentum, batch size, L1/L2, clipping, schedule) are sent to the
running trainer as soon as they hold a valid new value; the others take effect on Apply, which
rebuilds the network. Apply stays disabled while any field is invalid.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from engine import config as cfg
from engine.datasets import DATASETS
from engine.presets import PRESETS
from mlp_tui import fields
from mlp_tui.widgets.select import GuardedSelect

ORDER = ("dataset", "n_samples", "noise", "test_fraction", "classes", "standardize", "task", "features", "hidden",
         "activation", "output", "single_output", "loss", "init", "init_scale", "optimizer", "lr", "momentum", "batch_size",
         "l1", "l2", "clip_norm", "clip_value", "schedule", "decay", "decay_every", "seed", "epochs", "dtype",
         "grad_scale", "bias", "init_weights", "steps", "log_every", "dropout", "early_stop")
# Not in the form: points and targets (data, from a preset or a settings file); they come from
# the configuration last shown.


class HyperparamForm(VerticalScroll, can_focus=False):
    class LiveChange(Message):
        def __init__(self, changes: dict) -> None:
            super().__init__()
            self.changes = changes

    class PresetChosen(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class Apply(Message):
        def __init__(self, config: cfg.RunConfig) -> None:
            super().__init__()
            self.config = config

    def __init__(self, config: cfg.RunConfig, **kw) -> None:
        super().__init__(**kw)
        self.applied = config  # the configuration the running network was built from
        self.base = config  # the last configuration shown: gives the fields the form does not show
        self.values = {name: fields.field_value(config, name) for name in ORDER}
        self.errors: dict[str, str] = {}
        self._pending: dict[str, str] = {}  # field -> text set by code, not typed by the user
        self._held: set[str] = set()  # live fields edited while another field was invalid
        self.pinned: dict = {}  # fields the teacher locked -> their values, kept whatever is loaded
        self.regression_data = False  # the run on screen has a float target (set by the app)

    def compose(self) -> ComposeResult:
        options = [(f"{name}", name) for name in PRESETS]
        with Horizontal(classes="field"):
            yield Label("Preset", classes="field-label")
            yield GuardedSelect(options, prompt="choose...", id="preset", compact=True)
        for name in ORDER:
            spec = fields.FIELDS[name]
            label = spec.label + ("*" if spec.live else "")
            with Horizontal(classes="field", id=f"row-{name}"):
                yield Label(label, classes="field-label")
                value = self.values[name]
                if spec.kind == "choice":
                    yield GuardedSelect([(c, c) for c in spec.choices], value=value, allow_blank=False,
                                 id=f"field-{name}", compact=True)
                elif spec.kind == "bool":
                    yield Checkbox(value=bool(value), id=f"field-{name}", compact=True)
                else:
                    suggester = SuggestFromList(DATASETS) if name == "dataset" else None
                    yield Input(fields.format_field(name, value), id=f"field-{name}", compact=True,
                                placeholder="(default)" if spec.optional else "", suggester=suggester, select_on_focus=False)
            yield Static("", classes="field-error", id=f"error-{name}")
        yield Static("", classes="field-error", id="form-problem")
        yield Static("* applies live while training; Enter in a field = Apply", classes="form-hint")
        yield Button("Apply (rebuild network)", id="apply", variant="primary", compact=True)

    # ----- filling the form ----------------------------------------------------------------------
    def load_config(self, config: cfg.RunConfig, applied: bool = True) -> None:
        """Show ``config`` in every field (after a preset, a reset or a loaded checkpoint)."""
        config = config.replace(**self.pinned)
        if applied:
            self.applied = config
        self.base = config
        for name in ORDER:
            value = fields.field_value(config, name)
            widget = self.query_one(f"#field-{name}")
            if isinstance(widget, Input):
                text = fields.format_field(name, value)
                if widget.value != text:
                    self._pending[name] = text
                    widget.value = text
            elif isinstance(widget, Checkbox):
                widget.value = bool(value)
            else:
                widget.value = value
            self.values[name] = value
            self._set_error(name, None)
        self._held.clear()
        self._refresh_apply()
        self._fix_task_fields()

    def show_task(self, regression: bool) -> None:
        """The run on screen is a regression (or not): fix the output and loss fields to suit."""
        self.regression_data = regression
        self._fix_task_fields()

    def _fix_task_fields(self) -> None:
        """Show a regression's fixed output and loss, disabled; freed again for a classifier.
        Regression is known from the fields (a regression set, task regression) or from the
        run on screen (a file whose target was found to be float)."""
        candidate = self._candidate()
        regression = cfg.names_regression(candidate) or (self.regression_data and cfg.same_data(candidate, self.applied))
        for name, value in cfg.REGRESSION_SETTINGS.items():
            widget = self.query_one(f"#field-{name}")
            if regression and self.values[name] != value:
                widget.value = value
                self.values[name] = value
            widget.disabled = regression

    # ----- validation -------------------------------------------------------------------------------
    def _set_error(self, name: str, message: str | None) -> None:
        err = self.query_one(f"#error-{name}", Static)
        if message:
            self.errors[name] = message
            err.update(Text(message))
        else:
            self.errors.pop(name, None)
            err.update("")
        err.set_class(bool(message), "-shown")
        self.query_one(f"#row-{name}").set_class(bool(message), "-invalid")

    def _refresh_apply(self) -> None:
        """Cross-field problems (e.g. a loss that needs another output) also block Apply."""
        problems = [] if self.errors else fields.check(self._candidate())
        problem = self.query_one("#form-problem", Static)
        problem.update(Text(problems[0][1]) if problems else "")
        problem.set_class(bool(problems), "-shown")
        self.query_one("#apply", Button).disabled = bool(self.errors or problems)

    def _candidate(self) -> cfg.RunConfig:
        changes: dict = {}
        for k, v in self.values.items():
            changes.update(fields.field_changes(k, v))
        return self.base.replace(**changes)

    def _accept(self, name: str, raw) -> None:
        try:
            value = fields.parse_field(name, raw)
        except ValueError as e:
            self._set_error(name, str(e))
            self._refresh_apply()
            return
        self._set_error(name, None)
        self.values[name] = value
        if name in cfg.DATA_FIELDS:
            self._fix_task_fields()
        self._refresh_apply()
        if fields.FIELDS[name].live:
            self._held.add(name)
        self._send_live()

    def _send_live(self) -> None:
        """Send the edited live fields to the trainer, but only while no field is invalid: a live
        value typed while another field shows an error is held and sent once the form is valid."""
        if self.errors:
            return
        changes = {k: self.values[k] for k in ORDER
                   if k in self._held and self.values[k] != getattr(self.applied, k)}
        self._held.clear()
        if changes:
            self.applied = self.applied.replace(**changes)
            self.post_message(self.LiveChange(changes))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        if name not in fields.FIELDS:
            return
        event.stop()
        if self._pending.get(name) == event.value:
            del self._pending[name]  # our own write: valid by construction, not a user change
            return
        self._accept(name, event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in any field applies the form, as the Apply button does."""
        event.stop()
        self.request_apply()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "preset":
            if event.value in PRESETS:
                self.load_config(PRESETS[event.value].config, applied=False)
                self.post_message(self.PresetChosen(event.value))
            return
        name = (event.select.id or "").removeprefix("field-")
        if name in fields.FIELDS and event.value is not Select.BLANK and event.value != self.values.get(name):
            self._accept(name, str(event.value))

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        name = (event.checkbox.id or "").removeprefix("field-")
        if name in fields.FIELDS:
            self._accept(name, "true" if event.value else "false")

    @on(Button.Pressed, "#apply")
    def _apply(self, event: Button.Pressed) -> None:
        event.stop()
        self.request_apply()

    def request_apply(self) -> bool:
        if self.errors:
            return False
        candidate = self._candidate()
        if fields.check(candidate):
            return False
        self.post_message(self.Apply(candidate))
        return True
