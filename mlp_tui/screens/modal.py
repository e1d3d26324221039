"""The base of the dashboard's modal screens."""
from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class OnceModal(ModalScreen[ResultT]):
    """A modal screen that answers once. A real terminal delivers keys faster than a screen
    closes: a second Enter, Escape or ``?`` queued behind the first is handled after the screen
    left the stack, and dismissing it again would pop the dashboard itself (ScreenStackError)
    and run the result callback twice (two saves)."""

    _dismissed = False

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if self._dismissed:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)
