"""The ``?`` help screen: every key, and what the panels show."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static
from rich.markup import escape

from mlp_tui.screens.modal import OnceModal

HELP = """\
[b]mlp-tui keys[/b]

  space        start / pause training
  s            one training step (one mini-batch)
  n  or  .     next inspector stage (the first press takes ONE real step and records it)
  p  or  ,     previous inspector stage
  r            reset the network with its seed
  t            timeline of kept steps: left/right choose one, Enter goes back to it (paused)
  h            hidden space: the data and input grid placed by two hidden neurons (h again: back)
  + -          training speed: 1, 2, 5 ... 500 steps/s, max (shown at the bottom right)
  1 2 3 4 5    jump to a panel: form, metrics, boundary, inspector, network (2 and 3: the lesson view)
  escape       back to the decision boundary (also out of a form field)
  tab          move focus (shift+tab: back)
  ctrl+s       save a checkpoint (.npz) or the settings (.toml)
  ctrl+o       load a checkpoint
  ctrl+e       export: a folder gets data.csv, weights.json/.npz, history.csv/.json; a .csv the data
  m            draw mode in the boundary panel (2-D data): edit the data while it trains
  ?            this help        q / ctrl+c   quit

[b]In a panel[/b]
  form         type to edit; fields marked * apply live, the rest on Apply (rebuilds the network)
  metrics      c  full chart      l  log scale
  boundary     [ ]  show one hidden neuron's activation map instead of the prediction
                    (in the hidden space: the next or previous pair of neurons, layer by layer)
  draw mode    arrows move the + cursor    a or enter  add a point of the current class there
               c  next class    x  remove the nearest point    g  new data (next seed, the form's
               noise)    click: add, right click: remove    m or escape  done
  inspector    arrows move the cell cursor: its scalar arithmetic appears below the grid
               w  next weight matrix    b  step with one sample / the mini-batch    x  back to weights
               < >  choose which training sample the next step uses
               [ ]  scroll a cut operand row or column (the numbers above the grid)
               d  on the output layer's dz: the cell derived by the chain rule (dL/da times
                  the output's Jacobian) with the real numbers; d again: one line
               e  in the weights view: type a new value for the weight or bias at the cursor
                  (Enter sets it, Escape cancels); the loss, boundary and network view follow
               g  on a dW or db stage: the gradient check, backprop beside the central
                  difference for the selected cell and the same cell of every layer

Escape closes this screen. Nothing destructive is bound to Escape.
"""


class HelpScreen(OnceModal):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, class_rules: str = "") -> None:
        super().__init__()
        self.class_rules = class_rules

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if self.class_rules:  # first: the keys below that do nothing here are explained at once
                yield Static(f"[b]In this class[/b] (set by the teacher): {escape(self.class_rules)}\n",
                             id="class-rules")
            yield Static(HELP, id="help-text")
