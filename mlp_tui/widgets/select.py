"""A Select whose dropdown survives PageUp/PageDown pressed the moment it opens.

textual 8.2.8 ``OptionList._move_page`` reads ``_index_to_line[highlighted]``, a line cache that
``_update_lines`` leaves empty until the list has been laid out (a zero content region). A
dropdown opened by Enter is displayed at once but laid out on the next refresh, so a page key
already queued behind the Enter raised ``KeyError`` and ended the app. Its sibling
``scroll_to_highlight`` guards the same lookup; this adds the missing guard.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay


class GuardedSelectOverlay(SelectOverlay):
    def _move_page(self, direction) -> None:
        if self.highlighted not in self._index_to_line:  # not laid out yet: no page to move by
            return
        super()._move_page(direction)


class GuardedSelect(Select):
    def compose(self) -> ComposeResult:
        """Select.compose, with the guarded dropdown (Select finds it as a SelectOverlay)."""
        yield SelectCurrent(self.prompt)
        yield GuardedSelectOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)
