"""The teacher's lock on form fields: a locked field is disabled (no focus, so no key, paste or
click reaches it) and its row carries a plain-text mark that reads the same in colour and ASCII."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlp_tui.teacher import PRESET

LOCK_MARK = "[locked]"


class LockMark(Static):
    DEFAULT_CSS = "LockMark { width: auto; height: 1; padding: 0 0 0 1; color: $warning; text-style: bold; }"

    def __init__(self) -> None:
        super().__init__(Text(LOCK_MARK))  # Text: the brackets are not markup


def lock_fields(form, names) -> None:
    """Disable the form's widgets for ``names`` (field names, or ``preset``) and mark their rows;
    the fields keep their current values whatever the form loads later (a preset, a checkpoint)."""
    form.pinned = {name: getattr(form.applied, name) for name in names if name != PRESET}
    for name in names:
        widget = form.query_one("#preset" if name == PRESET else f"#field-{name}")
        widget.disabled = True
        widget.tooltip = "locked by the teacher"
        widget.parent.mount(LockMark())
