"""Writes to people records. Views, forms and commands call these; they never save models."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.people.importers import FileProblem, ImportPreview
from chaperone.people.importers.engine import prepare_import
from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

__all__ = [
    "ImportRejected",
    "PreviewOutdated",
    "import_school_for_urn",
    "people_import",
    "people_import_preview",
    "staff_acknowledge_code_of_conduct",
]

IMPORT_ACTIONS = {
    "pupils": "people.pupils_imported",
    "staff": "people.staff_imported",
    "households": "people.households_imported",
}


class ImportRejected(Exception):
    """Some rows are invalid and ``skip_invalid`` was not given: nothing was written."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__(f"{len(preview.invalid_lines)} rows are invalid; nothing was imported.")
        self.preview = preview


class PreviewOutdated(Exception):
    """The records changed after the preview was shown: nothing was written; preview again."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__("The records changed since the preview; nothing was imported.")
        self.preview = preview


def _check_may_import(actor: Actor, school: School) -> None:
    """The command line imports as :data:`~chaperone.tenancy.policies.SYSTEM`."""
    if not actor.can("people.import", school.id):
        raise PermissionDenied("You may not import records into this school.")


def import_school_for_urn(*, actor: Actor, urn: str) -> School:
    """The school to import into, by URN. Raises :class:`FileProblem` with a clear message."""
    urn = urn.strip()
    school = School.objects.select_related("trust").filter(urn=urn).first()
    if school is None:
        raise FileProblem(f"No school has the URN {urn!r}.")
    if not actor.can("people.import", school.id):
        raise FileProblem(f"You may not import records into the school with URN {urn}.")
    return school


def people_import_preview(*, actor: Actor, school: School, kind: str, data: bytes) -> ImportPreview:
    """What importing the CSV ``data`` would create and change. Writes nothing.

    Raises :class:`FileProblem` if the file cannot be imported at all.
    """
    _check_may_import(actor, school)
    return prepare_import(kind=kind, school=school, data=data).plan().preview


def people_import(
    *,
    actor: Actor,
    school: School,
    kind: str,
    data: bytes,
    skip_invalid: bool = False,
    expected_fingerprint: str | None = None,
) -> ImportPreview:
    """Import pupils, staff or households from CSV ``data`` into ``school``, in one transaction.

    With invalid rows, nothing is written (:class:`ImportRejected`) unless ``skip_invalid``, when
    the valid rows are written and the invalid ones listed. ``expected_fingerprint`` (from the
    preview the user confirmed) makes the import refuse if the outcome would now differ
    (:class:`PreviewOutdated`). Records ``people.<kind>_imported`` with counts only.
    """
    _check_may_import(actor, school)
    prepared = prepare_import(kind=kind, school=school, data=data)
    with transaction.atomic():
        plan = prepared.plan()
        preview = plan.preview
        if preview.problems and not skip_invalid:
            raise ImportRejected(preview)
        if expected_fingerprint is not None and preview.fingerprint() != expected_fingerprint:
            raise PreviewOutdated(preview)
        plan.write()
        preview.applied = True
        record(
            IMPORT_ACTIONS[kind],
            actor=actor,
            target=school,
            details={**preview.counts(), "skip_invalid": skip_invalid},
        )
    return preview


def staff_acknowledge_code_of_conduct(*, actor: Actor) -> StaffMember:
    """The signed-in staff member confirms they have read the staff code of conduct."""
    if actor.staff_id is None:
        raise PermissionDenied("Only staff acknowledge the code of conduct.")
    with transaction.atomic():
        staff = StaffMember.objects.select_for_update().get(pk=actor.staff_id)
        if staff.code_of_conduct_acknowledged_at is None:
            staff.code_of_conduct_acknowledged_at = timezone.now()
            staff.save(update_fields=["code_of_conduct_acknowledged_at", "updated_at"])
            record("staff.code_of_conduct_acknowledged", actor=actor, target=staff)
    return staff
