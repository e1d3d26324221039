"""The gradient check's table (key g on a dW or db stage), over the dashboard until closed."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlp_tui.screens.modal import OnceModal


class GradcheckScreen(OnceModal):
    BINDINGS = [Binding("escape,g,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    GradcheckScreen { align: center middle; }
    GradcheckScreen > VerticalScroll { width: 80; max-width: 100%; height: auto; max-height: 90%;
                                       border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, table: str) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.table, id="gradcheck-table", markup=False)
            yield Static("Escape or g closes", classes="hint")
