"""The key-binding footer, rebuilt only when what it shows changes."""
from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class StableFooter(Footer):
    """Textual's Footer recomposes (unmounts and mounts every key) whenever the screen's
    bindings are updated, which happens on every focus change. Ours shows the same app-level
    keys whatever has focus, so a recompose costs 50-200 ms of restyling for nothing and
    delays the frame that shows the key's effect. Rebuild only when the shown keys change."""

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple((binding.key, binding.description, enabled)
                      for _, binding, enabled, _ in screen.active_bindings.values() if binding.show)
        recomposes = screen.app.app_focus and self.is_attached and screen is self.screen
        if recomposes and shown == self._shown:
            return
        super().bindings_changed(screen)
        if recomposes:
            self._shown = shown
