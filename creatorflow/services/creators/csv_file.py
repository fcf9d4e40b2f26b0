"""Reading a creators CSV: file-level errors stop everything, row-level errors reject one row.

An unreadable file, a wrong encoding or a missing required column is one ``InputError`` naming the
file (the import writes nothing); a bad row becomes a ``RejectedRow`` with its line number.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from creatorflow.csv_output import csv_writer
from creatorflow.domain.creator_rows import (
    REQUIRED_COLUMNS,
    CreatorRow,
    RejectedRow,
    RowParser,
    UnknownColumn,
    parse_rows,
    unknown_columns,
)
from creatorflow.errors import InputError

REJECT_COLUMNS = ("rejected_line", "rejected_reason")


@dataclass
class ParsedFile:
    """What a creators file contained: its header, the valid rows and the rejected ones."""

    path: Path
    header: tuple[str, ...]
    rows: list[CreatorRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    unknown: list[UnknownColumn] = field(default_factory=list)  # columns not read (ignored)
    text: str = ""  # the file as decoded: a valid row's cells are read again only when needed

    def cells_at(self, lines: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """The cells as read of the records starting at ``lines`` (rows rejected after parsing).

        Read again from ``text`` rather than kept per row: keeping 100,000 rows' cells cost an
        import a tenth of its parsing time, for the few rows that merging or an erasure rejects.
        """
        wanted = set(lines)
        found: dict[int, tuple[str, ...]] = {}
        if wanted:
            for line, cells in _records(self.path, self.text):
                if line in wanted:
                    found[line] = tuple(cells)
        return found


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for every non-blank record, quoted newlines included."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            if cells and (cells[0].strip() or "".join(cells).strip()):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None


def _header(path: Path, cells: list[str]) -> tuple[str, ...]:
    header = tuple(cell.strip().lower() for cell in cells)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise InputError(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        found = ", ".join(name for name in header if name) or "nothing"
        hints = [
            f"{u.name!r} may be {u.closest!r} misspelt"
            for u in unknown_columns(header)
            if u.closest in missing
        ]
        hint = f"; {', '.join(hints)}" if hints else ""
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)} (header has: {found}){hint}"
        )
    return header


def _refuse_unknown(path: Path, unknown: list[UnknownColumn]) -> None:
    """``--strict``: a column creatorflow would ignore stops the import, naming each one."""
    if unknown:
        raise InputError(
            f"{path}: --strict: {', '.join(u.describe() for u in unknown)}; nothing imported"
        )


def _nul_column(header: tuple[str, ...], cells: list[str]) -> str | None:
    """The first column whose cell holds a NUL byte (PostgreSQL refuses them in text)."""
    for name, cell in zip(header, cells, strict=True):
        if "\x00" in cell:
            return name or "(unnamed column)"
    return None


def read_creator_csv(path: Path, *, strict: bool = False) -> ParsedFile:
    """Parse ``path`` completely before anything is written (so file errors write nothing).

    Unknown columns are listed in ``unknown`` (the caller warns); ``strict`` refuses them.
    """
    text = _decode(path)
    records = _records(path, text)
    first = next(records, None)
    if first is None:
        raise InputError(f"{path}: the file is empty (expected a header row)")
    header = _header(path, first[1])
    unknown = unknown_columns(header)
    if strict:
        _refuse_unknown(path, unknown)
    parsed = ParsedFile(path=path, header=header, unknown=unknown, text=text)
    width = len(header)
    has_nul = "\x00" in text  # checked per row only when the file has one at all
    complete: list[tuple[int, list[str]]] = []
    for line, cells in records:
        if len(cells) != width:
            hint = ' (an unquoted comma? quote values like "12,500")' if len(cells) > width else ""
            reason = f"{len(cells)} fields but the header has {width}{hint}"
            parsed.rejected.append(RejectedRow(str(path), line, reason, tuple(cells)))
        elif has_nul and (nul := _nul_column(header, cells)) is not None:
            reason = f"{nul}: contains a NUL byte (\\x00), which no text column can store"
            parsed.rejected.append(RejectedRow(str(path), line, reason, tuple(cells)))
        else:
            complete.append((line, cells))
    parsed.rows, failed = parse_rows(RowParser(header), complete)
    if failed:
        cells_of = dict(complete)
        parsed.rejected.extend(
            RejectedRow(str(path), line, reason, tuple(cells_of[line])) for line, reason in failed
        )
        parsed.rejected.sort(key=lambda row: row.line)
    return parsed


def check_rejects_path(path: Path) -> None:
    """Refuse a ``--rejects`` path that cannot be written before anything is imported."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; --rejects needs a file name")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{path}: no folder {folder} to write the rejects file in")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise InputError(f"{path}: cannot write the rejects file (permission denied)")


def write_rejects(path: Path, header: Iterable[str], rejected: Iterable[RejectedRow]) -> None:
    """The rejected rows as CSV: the original columns plus line and reason, ready to fix."""
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle, lineterminator="\r\n")
            writer.writerow([*header, *REJECT_COLUMNS])
            for row in rejected:
                writer.writerow([*row.raw, row.line, row.reason])
    except OSError as exc:
        raise InputError(f"{path}: cannot write the rejects file ({exc.strerror or exc})") from None
