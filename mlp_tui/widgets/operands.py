"""OperandStrip: the operand parts that produced the inspector's selected cell, on screen.

A row or column of an operand is one line of numbers, labelled with its index (``a0[0,:]``,
``W1[:,2]``); the vectors of a product share their index, so a0[0,k] stands above W1[k,2] and
the product reads term by term. Single cells (``b1[2]``, the paired cells of an element-wise
stage) share one line. Every number shown is one the cell used, so each is marked: reverse video
in colour, ``[brackets]`` in ASCII. A vector wider than the panel shows its first entries and
where it is cut, e.g. ``cols 0-3 of 16 ->``; ``page`` (the inspector's keys [ and ]) scrolls it.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from mlp_tui.widgets.matrix_view import format_value

VALUE_WIDTH = 7  # "+0.565", "-12.345", "+1e-05"
CELL_WIDTH = VALUE_WIDTH + 2  # the marks either side: brackets in ASCII, blanks around reverse video
CELL_GAP = "  "  # between two single cells on one line


@dataclass(frozen=True)
class OperandVector:
    """A contributing row or column: ``axis`` names what its entries run over ("cols"/"rows")."""
    label: str
    values: tuple[float, ...]
    axis: str


@dataclass(frozen=True)
class OperandCell:
    label: str
    value: float


class OperandStrip(Widget):
    DEFAULT_CSS = """
    OperandStrip { height: auto; display: none; }
    OperandStrip.-shown { display: block; }
    """

    def __init__(self, mode: str = "color", **kw) -> None:
        super().__init__(**kw)
        self.mode = mode
        self._vectors: tuple[OperandVector, ...] = ()
        self._cells: tuple[OperandCell, ...] = ()
        self._offset = 0  # the first entry shown of a vector wider than the panel ([ and ] move it)
        self._page = 1  # how many entries the last render showed of a cut vector

    def show(self, vectors=(), cells=()) -> None:
        """Show these operand parts; nothing (the widget hides) when both are empty."""
        vectors, cells = tuple(vectors), tuple(cells)
        if (vectors, cells) == (self._vectors, self._cells):
            return  # the cursor's new cell came from the same operand parts: nothing to redraw
        lines = self._line_count()
        self._vectors, self._cells = vectors, cells
        self.set_class(bool(vectors or cells), "-shown")  # a class: the inspector's CSS may still hide it
        self.refresh(layout=self._line_count() != lines)  # the panel's layout only when the height changes

    def _line_count(self) -> int:
        return len(self._vectors) + len(self._cell_lines(max(self.size.width, 1)))

    def render(self) -> Text:
        width = max(self.size.width, 1)
        label_width = max((len(v.label) for v in self._vectors), default=0)
        lines = [self._vector_line(v, label_width, width) for v in self._vectors]
        lines += self._cell_lines(width)
        return Text("\n").join(lines)

    def _cell_lines(self, width: int) -> list[Text]:
        """The single cells side by side, as many to a line as fit (a label never leaves its value)."""
        lines: list[Text] = []
        for cell in map(self._cell_text, self._cells):
            if lines and lines[-1].cell_len + len(CELL_GAP) + cell.cell_len <= width:
                lines[-1].append(CELL_GAP)
                lines[-1].append_text(cell)
            else:
                lines.append(cell)
        return lines

    def _mark(self, number: str) -> Text:
        return Text(f"[{number}]") if self.mode == "ascii" else Text(number, style="reverse")

    def _marked(self, value: float) -> Text:
        """One entry of a vector, CELL_WIDTH wide, so the vectors of a product line up."""
        number = format_value(value, VALUE_WIDTH)
        if self.mode == "ascii":
            return Text(f"{f'[{number}]':>{CELL_WIDTH}}")
        return Text.assemble(" ", self._mark(f"{number:>{VALUE_WIDTH}}"), " ")

    def _cell_text(self, cell: OperandCell) -> Text:
        return Text.assemble((cell.label, "bold"), " ", self._mark(format_value(cell.value, VALUE_WIDTH)))

    def page(self, direction: int) -> None:
        """Scroll the vectors by one screenful of entries (the same for all, so they stay aligned)."""
        longest = max((len(v.values) for v in self._vectors), default=0)
        offset = min(max(self._offset + direction * self._page, 0), max(longest - self._page, 0))
        if offset != self._offset:
            self._offset = offset
            self.refresh()

    def _vector_line(self, vector: OperandVector, label_width: int, width: int) -> Text:
        size = len(vector.values)
        room = width - label_width - 1
        shown = min(size, max(room // CELL_WIDTH, 1))
        start, where = 0, ""
        if shown < size:  # leave room for the position and recount
            back, ahead = ("<-", "->") if self.mode == "ascii" else ("\u2190", "\u2192")
            tail = len(f"  {vector.axis} {size - 1}-{size - 1} of {size} {back} {ahead}")
            shown = max((room - tail) // CELL_WIDTH, 1)
            start = min(self._offset, size - shown)
            marks = " ".join(m for m, cut in ((back, start > 0), (ahead, start + shown < size)) if cut)
            where = f"  {vector.axis} {start}-{start + shown - 1} of {size} {marks}"
            self._page = shown
        line = Text(f"{vector.label:<{label_width}} ", style="bold")
        for value in vector.values[start:start + shown]:
            line.append_text(self._marked(value))
        line.append(where, style="dim")
        return line
