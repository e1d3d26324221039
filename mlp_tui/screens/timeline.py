"""The ``t`` timeline: the steps the dashboard kept a snapshot of, one to choose and go back to."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from engine.rewind import TrainerState
from mlp_tui.screens.modal import OnceModal

BAR_WIDTH = 64  # characters of the bar from step 0 to the last kept step


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 ** 2 else f"{n / 1024 ** 2:.1f} MB"


def bar(steps: list[int], chosen: int, width: int = BAR_WIDTH) -> tuple[str, str]:
    """A line with a mark at each kept step (scaled from 0 to the last) and a line with ``^``
    under the chosen one."""
    last = max(steps[-1], 1)
    where = [round(s / last * (width - 1)) for s in steps]
    marks = [" "] * width
    for col in where:
        marks[col] = "|"
    cursor = [" "] * width
    cursor[where[chosen]] = "^"
    return "".join(marks), "".join(cursor)


class TimelineScreen(OnceModal[int]):
    """Answers the chosen step (Enter) or None (Escape). ``states`` are the kept snapshots,
    oldest first; the newest is chosen at first."""

    BINDINGS = [Binding("left", "move(-1)", "Earlier"), Binding("right", "move(1)", "Later"),
                Binding("home", "move_to(0)", "First"), Binding("end", "move_to(-1)", "Last"),
                Binding("enter", "choose", "Go back"), Binding("escape,t,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    TimelineScreen { align: center middle; }
    TimelineScreen > Vertical { width: 76; max-width: 100%; height: auto;
                                border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, states: list[TrainerState], every: int, nbytes: int, cap_bytes: int) -> None:
        super().__init__()
        self.states = states
        self.chosen = len(states) - 1
        kept = f"{len(states)} kept step{'s' if len(states) > 1 else ''}, one every {every}"
        self.summary = (f"{kept}\nmemory {format_bytes(nbytes)} of {format_bytes(cap_bytes)} "
                        f"(when full, every other old step is dropped)")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.summary), id="timeline-summary")
            yield Static("", id="timeline-bar")
            yield Static("", id="timeline-chosen")
            yield Static(Text("left/right choose a step, home/end the first/last,\n"
                              "Enter goes back to it (paused), Escape closes"), id="timeline-keys")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        marks, cursor = bar([s.step for s in self.states], self.chosen)
        self.query_one("#timeline-bar", Static).update(Text(f"{marks}\n{cursor}"))
        state = self.states[self.chosen]
        loss = f", batch loss {state.last_loss:.6g}" if state.last_loss is not None else ""
        self.query_one("#timeline-chosen", Static).update(
            Text(f"step {state.step} (epoch {state.epoch}){loss}"))

    def action_move(self, delta: int) -> None:
        self.chosen = min(max(self.chosen + delta, 0), len(self.states) - 1)
        self._show()

    def action_move_to(self, index: int) -> None:
        self.chosen = index % len(self.states)
        self._show()

    def action_choose(self) -> None:
        self.dismiss(self.states[self.chosen].step)
