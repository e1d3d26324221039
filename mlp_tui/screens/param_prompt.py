"""A small modal asking for the new value of one weight or bias; returns the value or None.

The typed text is checked on Enter; a bad value keeps the prompt open with one line saying what
is wrong, so the network is only ever given a valid number."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from mlp_tui.param_edit import parse_value, range_text
from mlp_tui.screens.modal import OnceModal


class ParamPrompt(OnceModal[float | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ParamPrompt { align: center middle; }
    ParamPrompt > Vertical { width: 70; max-width: 100%; height: auto; border: round $accent;
                             background: $surface; padding: 0 1; }
    ParamPrompt Label { width: 100%; }
    ParamPrompt #problem { color: $error; }
    """

    def __init__(self, label: str, value: float) -> None:
        super().__init__()
        self.label, self.value = label, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"New value of {self.label} (now {self.value:.6g}):")
            yield Input(placeholder=f"{self.value:.6g}", id="value")
            yield Label(f"{range_text()}; Enter sets it, Escape cancels", id="problem-hint")
            yield Label("", id="problem")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            value = parse_value(self.label, event.value)
        except ValueError as e:
            self.query_one("#problem", Label).update(str(e))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
