"""Shared parts of the three planners: the plan they return and how values are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaperone.people.importers.preview import Change, ImportPreview, RowProblem
from chaperone.people.importers.scope import ImportScope
from chaperone.tenancy.models import School

#: rows per INSERT / UPDATE statement
BATCH = 1000
#: rows per UPDATE ... CASE statement (long CASE lists are slow on PostgreSQL)
UPDATE_BATCH = 250


@dataclass
class PlanContext:
    school: School
    preview: ImportPreview
    #: column key -> header as written in the file
    headers: dict[str, str]
    scope: ImportScope
    labels: dict[str, str] = field(default_factory=dict)
    #: the importing staff member (None for the system), named on flag changes they ask for
    requested_by_id: int | None = None
    #: whether the importer may see stored safeguarding flags (else nothing in the preview
    #: depends on them: see :mod:`~chaperone.people.importers.pupils`)
    sees_flags: bool = True

    def problem(self, line: int, key: str, message: str) -> None:
        header = self.headers.get(key) or self.labels.get(key, key)
        self.preview.problems.append(RowProblem(line=line, column=header, message=message))

    def has_column(self, key: str) -> bool:
        return key in self.headers


@dataclass
class Plan:
    preview: ImportPreview
    #: performs the planned writes (call inside a transaction); returns details for the audit row
    write: Callable[[], dict[str, Any]]


def show(value: Any) -> str:
    """A stored value as the preview shows it."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def changes_between(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    labels: Mapping[str, str],
    shown: Mapping[str, Callable[[Any], str]] | None = None,
) -> tuple[Change, ...]:
    shown = shown or {}
    out = []
    for name, value in new.items():
        before = old.get(name)
        if before != value:
            fmt = shown.get(name, show)
            out.append(Change(field=labels.get(name, name), old=fmt(before), new=fmt(value)))
    return tuple(out)
