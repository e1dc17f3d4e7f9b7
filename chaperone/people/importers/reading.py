"""Reading an uploaded MIS export: bytes -> header mapping -> rows of trimmed text.

Problems with the file as a whole raise :class:`FileProblem`; nothing is written then.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, AnyStr

from chaperone.people.importers.columns import Column, squash

#: A larger upload is refused before it is parsed (30,000 pupils is about 5 MB).
MAX_BYTES = 50 * 1024 * 1024
TOO_LARGE = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."
#: A file with more data rows is refused as soon as the row after the last allowed one is read,
#: so memory and time stop growing with the file (the largest schools have about 4,000 pupils).
MAX_ROWS = 100_000
#: The limit in the browser, where the file is read, checked and written while the person waits
#: (each step must end well inside the web worker's timeout; see docs/imports.md for timings).
#: Larger files go through ``chaperone import`` on the server.
WEB_MAX_ROWS = 20_000

_NOT_TEXT = {
    b"PK\x03\x04": "This is an Excel workbook (.xlsx), not a CSV file. "
    "Save it from Excel as 'CSV UTF-8' and upload that.",
    b"\xd0\xcf\x11\xe0": "This is an old Excel workbook (.xls), not a CSV file. "
    "Save it from Excel as 'CSV UTF-8' and upload that.",
    b"%PDF": "This is a PDF, not a CSV file.",
}


class FileProblem(Exception):
    """The file cannot be imported at all (wrong type, empty, a required column missing...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SourceRow:
    line: int
    values: dict[str, str]


def too_many_rows(limit: int) -> FileProblem:
    where = (
        "in the browser (whoever runs the server can import larger files with 'chaperone import')"
        if limit < MAX_ROWS
        else "in one import"
    )
    return FileProblem(
        f"The file has more than {limit:,} data rows, the most a file may hold {where}. Split "
        f"it into files of at most {limit:,} rows and import them one after another."
    )


@dataclass
class SourceFile:
    #: read lazily, once: a CSV error or too many rows raises FileProblem while iterating
    rows: Iterator[SourceRow]
    #: field key -> the header as it is written in the file
    headers: dict[str, str]
    ignored_headers: list[str] = field(default_factory=list)
    encoding: str = "utf-8"


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    for magic, message in _NOT_TEXT.items():
        if data.startswith(magic):
            raise FileProblem(message)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblem("The file could not be read as text.") from exc
        _refuse_nul(text, "\x00", "\n")
        return text, "utf-16"
    _refuse_nul(data, b"\x00", b"\n")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise FileProblem(
            "The file's characters could not be read. Save it as 'CSV UTF-8' and try again."
        ) from exc


def _refuse_nul(data: AnyStr, nul: AnyStr, newline: AnyStr) -> None:
    """A NUL anywhere in the file: no spreadsheet writes one into a CSV, and no database column
    can store one."""
    at = data.find(nul)
    if at >= 0:
        line = data.count(newline, 0, at) + 1
        raise FileProblem(
            f"This does not look like a CSV file: it holds binary data (a NUL character on line "
            f"{line}). Save it from your MIS or spreadsheet as 'CSV UTF-8' and upload that."
        )


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def map_headers(
    headers: Sequence[str], columns: Sequence[Column]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(field key -> column index, field key -> header as written, ignored headers)."""
    by_alias: dict[str, tuple[Column, int]] = {}
    for column in columns:
        for rank, alias in enumerate(column.squashed):
            by_alias[alias] = (column, rank)
    chosen: dict[str, tuple[int, int]] = {}  # key -> (rank, index)
    ignored: list[str] = []
    for index, header in enumerate(headers):
        hit = by_alias.get(squash(header))
        if hit is None:
            if header.strip():
                ignored.append(header.strip())
            continue
        column, rank = hit
        previous = chosen.get(column.key)
        if previous is None or rank < previous[0]:
            if previous is not None:
                ignored.append(headers[previous[1]].strip())
            chosen[column.key] = (rank, index)
        else:
            ignored.append(header.strip())
    missing = [c for c in columns if c.required and c.key not in chosen]
    if missing:
        names = "; ".join(
            f"{c.label} (any of: {', '.join(repr(a) for a in c.aliases)})" for c in missing
        )
        raise FileProblem(f"The file is missing a required column: {names}.")
    indexes = {key: index for key, (_rank, index) in chosen.items()}
    written = {key: headers[index].replace("\ufeff", "").strip() for key, index in indexes.items()}
    return indexes, written, ignored


def read_rows(data: bytes, columns: Sequence[Column], *, max_rows: int | None = None) -> SourceFile:
    """The header mapping now; the rows lazily, refusing the file at row ``max_rows + 1`` (at
    most :data:`MAX_ROWS`)."""
    if len(data) > MAX_BYTES:
        raise FileProblem(TOO_LARGE)
    if not data.strip():
        raise FileProblem("The file is empty.")
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise FileProblem("The file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        headers = next(reader)
        while not any(h.strip() for h in headers):
            headers = next(reader)
    except StopIteration as exc:
        raise FileProblem("The file is empty.") from exc
    except csv.Error as exc:
        raise FileProblem(f"This does not look like a CSV file: {exc}.") from exc
    indexes, written, ignored = map_headers(headers, columns)
    return SourceFile(
        rows=_records(reader, list(indexes.items()), min(max_rows or MAX_ROWS, MAX_ROWS)),
        headers=written,
        ignored_headers=ignored,
        encoding=encoding,
    )


def _records(reader: Any, items: list[tuple[str, int]], limit: int) -> Iterator[SourceRow]:
    """The data rows one at a time, numbered by their first CSV line; blank rows are skipped."""
    line = reader.line_num
    count = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > limit:
                raise too_many_rows(limit)
            width = len(record)
            yield SourceRow(
                line=start, values={k: (record[i].strip() if i < width else "") for k, i in items}
            )
    except csv.Error as exc:
        raise FileProblem(f"Line {line + 1} could not be read as CSV: {exc}.") from exc
    if not count:
        raise FileProblem("The file has a header row but no data rows.")
