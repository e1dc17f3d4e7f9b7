"""What an import would do (or did): the preview shown before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowProblem:
    """A bad cell: the CSV line (1 is the header row), the column as headed in the file."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


#: notes on a flag change: it waits for a DSL, or it withdraws one that was waiting
AWAITING = "needs the DSL's confirmation"
WITHDRAWN = "withdraws the change waiting for the DSL's confirmation"


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str
    #: set when the change does not take effect on import (a DSL must confirm it)
    note: str = ""


@dataclass(frozen=True)
class PlannedRecord:
    """One record to create or update. ``line`` is its first line in the file (0 if implied)."""

    line: int
    key: str
    label: str
    changes: tuple[Change, ...] = ()


@dataclass
class Section:
    """Creates / updates / unchanged for one kind of record (pupils, households, contacts...)."""

    name: str
    creates: list[PlannedRecord] = field(default_factory=list)
    updates: list[PlannedRecord] = field(default_factory=list)
    unchanged: int = 0
    #: records already stored but absent from the file; left as they are
    not_in_file: int | None = None

    @property
    def total(self) -> int:
        return len(self.creates) + len(self.updates) + self.unchanged

    @property
    def waiting_changes(self) -> int:
        """Changes listed that do not take effect on import (a DSL confirms them)."""
        return sum(
            1 for r in (*self.creates, *self.updates) for c in r.changes if c.note == AWAITING
        )

    @property
    def creates_have_changes(self) -> bool:
        return any(r.changes for r in self.creates)


@dataclass
class ImportPreview:
    kind: str
    school_id: int
    school_name: str
    rows: int = 0
    sections: list[Section] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    #: True once the changes have been written
    applied: bool = False
    #: for an importer who may not see safeguarding flags: what happens to the file's flag
    #: columns, the same words whatever is stored (the preview lists no flag change then)
    flag_notice: str = ""

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    @property
    def skipped_rows(self) -> int:
        """Rows left out as invalid (an import goes ahead without them only with skip_invalid)."""
        return len(self.invalid_lines)

    @property
    def has_changes(self) -> bool:
        return any(s.creates or s.updates for s in self.sections)

    def section(self, name: str) -> Section:
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        """Counts only (no personal data): what the audit log records."""
        out: dict[str, int] = {"rows": self.rows, "invalid_rows": len(self.invalid_lines)}
        for s in self.sections:
            prefix = s.name.lower().replace(" ", "_")
            out[f"{prefix}_created"] = len(s.creates)
            out[f"{prefix}_updated"] = len(s.updates)
            out[f"{prefix}_unchanged"] = s.unchanged
        return out

    def fingerprint(self) -> str:
        """A digest of what would be written, to notice that the data moved on since a preview."""
        digest = hashlib.sha256()
        for s in self.sections:
            digest.update(f"§{s.name}".encode())
            for r in s.creates:
                digest.update(f"+{r.key}{r.changes!r}".encode())
            for r in s.updates:
                digest.update(f"~{r.key}{r.changes!r}".encode())
        for p in self.problems:
            digest.update(f"!{p.line}{p.column}".encode())
        return digest.hexdigest()

    def summary_lines(self) -> list[str]:
        created, updated = ("created", "updated") if self.applied else ("to create", "to update")
        lines = []
        for s in self.sections:
            text = (
                f"{s.name}: {len(s.creates)} {created}, {len(s.updates)} {updated}, "
                f"{s.unchanged} unchanged"
            )
            if s.not_in_file:
                text += f" ({s.not_in_file} already stored but not in the file, left as they are)"
            lines.append(text)
            if waiting := s.waiting_changes:
                lines.append(
                    f"{s.name}: {waiting} change{'s' if waiting != 1 else ''} to child protection, "
                    "child in need, looked-after or vulnerable flags, which take effect only when "
                    "the DSL confirms them"
                )
        if self.flag_notice:
            lines.append(self.flag_notice)
        return lines
