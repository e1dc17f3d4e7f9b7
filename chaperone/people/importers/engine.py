"""The import pipeline: read the file, validate each row, plan against the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from chaperone.people.importers.base import Plan, PlanContext
from chaperone.people.importers.columns import COLUMNS_BY_KIND
from chaperone.people.importers.households import plan_households
from chaperone.people.importers.preview import ImportPreview
from chaperone.people.importers.pupils import plan_pupils
from chaperone.people.importers.reading import FileProblem, read_rows
from chaperone.people.importers.rows import ROW_MODELS, error_messages
from chaperone.people.importers.scope import ImportScope
from chaperone.people.importers.staff import plan_staff
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

KINDS: dict[str, str] = {
    "pupils": "Pupils",
    "staff": "Staff",
    "households": "Households and contacts",
}

PLANNERS: dict[str, Callable[[PlanContext, list[Any]], Plan]] = {
    "pupils": plan_pupils,
    "staff": plan_staff,
    "households": plan_households,
}


class Prepared:
    """A file read and validated row by row, ready to be planned against the database."""

    def __init__(self, ctx: PlanContext, valid: list[tuple[int, Any]]) -> None:
        self.ctx = ctx
        self.valid = valid
        self.row_problems = list(ctx.preview.problems)

    def plan(self) -> Plan:
        """Compare with the database (reads only). Call inside the writing transaction."""
        preview = self.ctx.preview
        preview.sections = []
        preview.problems = list(self.row_problems)
        plan = PLANNERS[preview.kind](self.ctx, self.valid)
        preview.problems.sort(key=lambda p: p.line)
        return plan


def prepare_import(
    *, actor: Actor, kind: str, school: School, data: bytes, max_rows: int | None = None
) -> Prepared:
    """Read and validate ``data`` row by row (no database access); only the validated rows are
    kept. Raises :class:`FileProblem` (also for more than ``max_rows`` rows)."""
    if kind not in PLANNERS:
        raise FileProblem(f"Unknown kind of import {kind!r}: use pupils, staff or households.")
    columns = COLUMNS_BY_KIND[kind]
    source = read_rows(data, columns, max_rows=max_rows)
    preview = ImportPreview(
        kind=kind,
        school_id=school.id,
        school_name=school.name,
        ignored_headers=source.ignored_headers,
        encoding=source.encoding,
    )
    ctx = PlanContext(
        school=school,
        preview=preview,
        headers=source.headers,
        scope=ImportScope.for_import(actor, school),
        labels={c.key: c.label for c in columns},
        requested_by_id=actor.staff_id,
        sees_flags=actor.is_system or actor.can("people.view_safeguarding_flags", school.id),
    )
    model = ROW_MODELS[kind]
    valid: list[tuple[int, Any]] = []
    for row in source.rows:
        preview.rows += 1
        try:
            valid.append((row.line, model.model_validate(row.values)))
        except ValidationError as exc:
            for key, message in error_messages(exc):
                ctx.problem(row.line, key, message)
    return Prepared(ctx, valid)
