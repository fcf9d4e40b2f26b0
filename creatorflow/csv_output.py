"""Every CSV creatorflow writes goes through here, so no cell runs as a spreadsheet formula.

Creator names, handles and rejected rows come from imports and platform look-ups, so a cell may
hold ``=HYPERLINK("https://evil.example", "click")``, ``+SUM(1,2)`` or ``@SUM(1,2)``. A
spreadsheet opening the file would run it. A cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading apostrophe (OWASP's advice), which spreadsheets show as
text; a plain number such as ``-12.5`` is left alone, so figures stay figures.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates (``None`` is empty)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """``csv.writer`` with every cell neutralised: the only CSV writer creatorflow uses."""

    def __init__(self, target: _Writable, *, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(target, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(target: _Writable, *, lineterminator: str = "\n") -> SafeCsvWriter:
    return SafeCsvWriter(target, lineterminator=lineterminator)
