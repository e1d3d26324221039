"""A small modal asking for a file path (save or load); returns the path or None."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from mlp_tui.screens.modal import OnceModal


class FilePrompt(OnceModal[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    FilePrompt { align: center middle; }
    FilePrompt > Vertical { width: 70; max-width: 100%; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    FilePrompt Label { width: 100%; }
    """

    def __init__(self, title: str, default: str, hint: str) -> None:
        super().__init__()
        self.title_text, self.default, self.hint = title, default, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.default, id="path")
            yield Label(self.hint, classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        self.dismiss(path or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
