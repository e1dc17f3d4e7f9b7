"""Writes to people records. Views, forms and commands call these; they never save models."""

from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.core.mail import send_email
from chaperone.people import flags
from chaperone.people.importers import FileProblem, ImportPreview
from chaperone.people.importers.engine import prepare_import
from chaperone.people.models import FlagChangeStatus, PendingFlagChange, Pupil, StaffMember
from chaperone.people.selectors import flag_confirmers, pending_flag_changes
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

__all__ = [
    "ImportRejected",
    "PreviewOutdated",
    "flag_confirmers_notify",
    "import_school_for_urn",
    "people_import",
    "people_import_preview",
    "pupil_flag_changes_decide",
    "staff_acknowledge_code_of_conduct",
    "staff_line_manager_set",
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


def people_import_preview(
    *, actor: Actor, school: School, kind: str, data: bytes, max_rows: int | None = None
) -> ImportPreview:
    """What importing the CSV ``data`` would create and change. Writes nothing.

    Raises :class:`FileProblem` if the file cannot be imported at all (or has more than
    ``max_rows`` data rows).
    """
    _check_may_import(actor, school)
    prepared = prepare_import(actor=actor, kind=kind, school=school, data=data, max_rows=max_rows)
    return prepared.plan().preview


def people_import(
    *,
    actor: Actor,
    school: School,
    kind: str,
    data: bytes,
    skip_invalid: bool = False,
    expected_fingerprint: str | None = None,
    max_rows: int | None = None,
) -> ImportPreview:
    """Import pupils, staff or households from CSV ``data`` into ``school``, in one transaction.

    With invalid rows, nothing is written (:class:`ImportRejected`) unless ``skip_invalid``, when
    the valid rows are written and the invalid ones listed. ``expected_fingerprint`` (from the
    preview the user confirmed) makes the import refuse if the outcome would now differ
    (:class:`PreviewOutdated`). Records ``people.<kind>_imported`` with counts, and each pupil
    and flag of the child protection, child in need, looked-after and vulnerable changes it
    asked for: those wait for a DSL (:func:`pupil_flag_changes_decide`), who is emailed once the
    import commits.
    """
    _check_may_import(actor, school)
    prepared = prepare_import(actor=actor, kind=kind, school=school, data=data, max_rows=max_rows)
    with transaction.atomic():
        plan = prepared.plan()
        preview = plan.preview
        if preview.problems and not skip_invalid:
            raise ImportRejected(preview)
        if expected_fingerprint is not None and preview.fingerprint() != expected_fingerprint:
            raise PreviewOutdated(preview)
        details = plan.write()
        preview.applied = True
        record(
            IMPORT_ACTIONS[kind],
            actor=actor,
            target=school,
            details={**preview.counts(), "skip_invalid": skip_invalid, **details},
        )
        if details.get("flag_changes_requested"):
            _notify_flag_confirmers_on_commit(school_id=school.id)
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


def _notify_flag_confirmers_on_commit(*, school_id: int) -> None:
    from chaperone.people.tasks import send_flag_changes_notice

    transaction.on_commit(lambda: send_flag_changes_notice.enqueue(school_id))


def flag_confirmers_notify(*, school_id: int) -> int:
    """Email the school's DSL and deputy DSLs that flag changes wait for them (a count, never
    names). Returns the number of people emailed."""
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        return 0
    waiting = PendingFlagChange.objects.filter(
        school=school, status=FlagChangeStatus.PENDING
    ).count()
    recipients = [s.notice_email for s in flag_confirmers(school=school)]
    if not waiting or not recipients:
        return 0
    context = {"school": school, "waiting": waiting}
    send_email("people/email/flag_changes", context, recipients)
    return len(recipients)


def pupil_flag_changes_decide(
    *, actor: Actor, school: School, change_ids: Collection[int], confirm: bool
) -> list[PendingFlagChange]:
    """A DSL confirms (the flags take effect) or rejects waiting flag changes of ``school``.
    Ids that are not waiting changes of the school are ignored. Records one audit event naming
    each pupil and flag."""
    if not actor.can("people.confirm_flag_changes", school.id):
        raise PermissionDenied("Only the school's DSL or a deputy DSL decides flag changes.")
    with transaction.atomic():
        changes = list(
            pending_flag_changes(actor=actor, school=school)
            .filter(pk__in=list(change_ids))
            .select_for_update(of=("self",))
        )
        if not changes:
            return []
        now = timezone.now()
        pupils: dict[int, Pupil] = {}
        listed = []
        for change in changes:
            pupil = pupils.setdefault(change.pupil_id, change.pupil)
            before = getattr(pupil, change.flag)
            if confirm:
                setattr(pupil, change.flag, flags.decode(change.flag, change.new_value))
            change.status = FlagChangeStatus.CONFIRMED if confirm else FlagChangeStatus.REJECTED
            change.decided_by_id = actor.staff_id
            change.decided_at = now
            listed.append(
                {
                    "pupil_id": pupil.pk,
                    "pupil": flags.pupil_named(pupil),
                    "flag": flags.FLAG_LABELS[change.flag],
                    "from": flags.show(change.flag, before),
                    "to": flags.show(change.flag, flags.decode(change.flag, change.new_value)),
                    "requested_at": change.requested_at.isoformat(),
                    "requested_by_staff_id": change.requested_by_id,
                }
            )
        PendingFlagChange.objects.bulk_update(changes, ["status", "decided_by", "decided_at"])
        if confirm:
            for pupil in pupils.values():
                flags.keep_vulnerable(pupil)
                pupil.updated_at = now
            Pupil.objects.bulk_update(
                list(pupils.values()),
                ["social_care_status", "is_looked_after", "is_vulnerable", "updated_at"],
            )
        record(
            "people.flag_changes_confirmed" if confirm else "people.flag_changes_rejected",
            actor=actor,
            target=school,
            details={"count": len(listed), "changes": listed},
        )
    return changes


def line_manager_choices(*, school: School, staff: StaffMember) -> QuerySet[StaffMember]:
    """Who may be ``staff``'s line manager: active staff with a confirmed role at ``school``,
    other than themselves."""
    return (
        StaffMember.objects.filter(
            is_active=True, assignments__school=school, assignments__awaiting_confirmation=False
        )
        .exclude(pk=staff.pk)
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def staff_line_manager_set(
    *, actor: Actor, staff: StaffMember, school: School, manager: StaffMember | None
) -> StaffMember:
    """The headteacher (``staff.manage_roles``) names ``staff``'s line manager, or clears it. The
    manager is someone of the same school; nobody manages themselves."""
    if not actor.can("staff.manage_roles", school.pk):
        raise PermissionDenied("You cannot set line managers in this school.")
    if (
        manager is not None
        and not line_manager_choices(school=school, staff=staff).filter(pk=manager.pk).exists()
    ):
        raise ValueError("Line manager: choose a member of staff of this school.")
    with transaction.atomic():
        before = staff.line_manager_id
        staff.line_manager = manager
        staff.save(update_fields=["line_manager", "updated_at"])
        record(
            "staff.line_manager_set",
            actor=actor,
            target=staff,
            school_id=school.pk,
            details={"from": before, "to": manager.pk if manager else None},
        )
    return staff
