"""Display options for the dashboard, decided on the command line (see ``mlp_tui.cli``)."""
from __future__ import annotations

from dataclasses import dataclass

from mlp_tui.pace import DEFAULT_SPEED


@dataclass(frozen=True)
class DashboardOptions:
    """How the dashboard should draw itself; none of this changes the training run.

    color:          "color" or "ascii" (already resolved from --color auto, NO_COLOR and TERM)
    mouse:          False with --no-mouse
    low_bandwidth:  True with --low-bandwidth (fewer, smaller redraws: SSH over a slow link)
    fps:            how often the numbers refresh per second, 1..30
    preset:         the --preset name the run came from, if any
    config_path:    the --config TOML file the run came from, if any (a natural place to save to)
    show_rate:      show samples/s (off for deterministic screenshots)
    speed:          training steps per second at start, None for max (--speed; + and - change it)
    max_speed:      the fastest pace + reaches, None for no cap (--max-speed; mlp-tui serve sets it)
    locked:         form fields kept at their starting values (--lock; mlp_tui.teacher)
    hidden:         panels not shown, by name (--hide)
    files:          the folder save and load are confined to, names only (--files DIR)
    files_off:      no saving or loading at all (--no-files)
    """

    color: str = "color"
    mouse: bool = True
    low_bandwidth: bool = False
    fps: float = 10.0
    preset: str | None = None
    config_path: str | None = None
    show_rate: bool = True
    speed: float | None = DEFAULT_SPEED
    max_speed: float | None = None
    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    files: str | None = None
    files_off: bool = False

    @property
    def mode(self) -> str:
        """How pictures are drawn: ASCII on a slow link, else the colour choice."""
        return "ascii" if self.low_bandwidth else self.color

    @property
    def refresh_hz(self) -> float:
        """How often the numbers refresh: 2 Hz on a slow link, else ``fps``."""
        return 2.0 if self.low_bandwidth else self.fps
