"""Tables on a terminal that never cut a value (``print_table``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Column, Table


def print_table(table: Table, *, width: int | None = None) -> None:
    """``table`` on stdout (``width`` columns, default the terminal's), never cutting a value.

    Rich fits a table to the terminal by wrapping text and, as a last resort, cutting every
    column with an ellipsis: at 80 columns a follower count read ``12,5…``. Here right-aligned
    columns (counts, money, rates) keep their full width, text columns share what is left and
    fold onto more lines instead of losing their end (an email address), each at least as wide
    as its header; when even that does not fit, the table is printed wider than the terminal.
    """
    from rich.console import Console
    from rich.padding import Padding

    console = Console(width=width) if width is not None else Console()
    columns = table.columns
    natural = [_widest(column) for column in columns]
    numeric = [column.justify == "right" for column in columns]
    smallest = [
        n if is_number else min(n, max(4, _cell_width(column.header)))
        for n, is_number, column in zip(natural, numeric, columns, strict=True)
    ]
    _, right, _, left = Padding.unpack(table.padding)
    frame = len(columns) * (left + right)
    if table.box is not None:
        frame += len(columns) - 1 + (2 if table.show_edge else 0)
    room = console.width - frame
    if sum(natural) > room:  # Rich would squeeze and cut: set every column's width ourselves
        widths = _share(room, natural, smallest)
        for column, share in zip(columns, widths, strict=True):
            column.width = share
        room = max(room, sum(widths))
    for column, is_number in zip(columns, numeric, strict=True):
        if is_number:
            column.no_wrap = True
        elif column.overflow == "ellipsis":
            column.overflow = "fold"
    if room + frame > console.width:
        console = Console(width=room + frame)
    console.print(table)


def _share(room: int, natural: list[int], smallest: list[int]) -> list[int]:
    """Widths summing to about ``room``: a column that fits a fair share keeps its natural
    width, the wider ones split what is left evenly, none below its ``smallest``."""
    widths = list(natural)
    open_ = [i for i, (n, s) in enumerate(zip(natural, smallest, strict=True)) if n > s]
    fixed = sum(w for i, w in enumerate(widths) if i not in open_)
    while open_:
        fair = (room - fixed) // len(open_)
        fitting = [i for i in open_ if natural[i] <= fair]
        if not fitting:
            for i in open_:
                widths[i] = max(smallest[i], fair)
            while sum(widths) > room:  # a header wider than its share: narrow the others
                narrowable = [i for i in open_ if widths[i] > smallest[i]]
                if not narrowable:
                    break
                widths[max(narrowable, key=lambda i: widths[i])] -= 1
            break
        for i in fitting:
            open_.remove(i)
            fixed += natural[i]
    return widths


def _cell_width(value: object) -> int:
    """Terminal cells of a table cell given as Rich markup text (other renderables: 1)."""
    from rich.text import Text

    if not isinstance(value, str):
        return 1
    return max((len(line) for line in Text.from_markup(value).plain.splitlines()), default=0)


def _widest(column: Column) -> int:
    return max([_cell_width(column.header), *(_cell_width(c) for c in column.cells)])
