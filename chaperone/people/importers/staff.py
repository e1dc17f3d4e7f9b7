"""Planning a staff import: match by staff ID among the staff the importer may edit (see
:mod:`~chaperone.people.importers.scope`); roles at this school are added.

An import never creates logins and never removes a role: a DSL or headteacher role recorded in
Chaperone must not vanish because the MIS does not know about it. Nor does it ever give a
safeguarding or leadership role (``GRANTED_ROLES``): a row asking for one not already held is an
error. Those roles are granted, confirmed and removed on the Roles screen.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chaperone.people.importers.base import BATCH, UPDATE_BATCH, Plan, PlanContext, changes_between
from chaperone.people.importers.preview import Change, PlannedRecord, Section
from chaperone.people.importers.rows import StaffRow
from chaperone.people.importers.scope import OTHER_SCHOOLS_STAFF
from chaperone.people.models import StaffAssignment, StaffMember
from chaperone.tenancy.policies import GRANTED_ROLES
from chaperone.tenancy.roles import Role

FIELDS = ("title", "first_name", "last_name", "email", "phone", "dbs_checked_on")
LABELS = {
    "title": "title",
    "first_name": "forename",
    "last_name": "surname",
    "email": "email",
    "phone": "phone",
    "dbs_checked_on": "DBS check date",
}
DEFAULTS: dict[str, Any] = {"title": "", "email": "", "phone": "", "dbs_checked_on": None}


def _roles_text(roles: set[str]) -> str:
    return ", ".join(str(Role(r).label) for r in sorted(roles)) or "(none)"


def _granted_only(roles: set[str]) -> str:
    return (
        f"{_roles_text(roles)}: safeguarding and leadership roles are never given by import. "
        "The headteacher or a trust administrator grants them on the Roles screen. Remove them "
        "from this row."
    )


def plan_staff(ctx: PlanContext, rows: list[tuple[int, StaffRow]]) -> Plan:
    school = ctx.school
    section = Section("Staff")
    ctx.preview.sections.append(section)

    existing = {r["staff_ref"]: r for r in ctx.scope.staff().values("id", "staff_ref", *FIELDS)}
    taken = ctx.scope.taken_staff_refs()
    roles_here: dict[int, set[str]] = {}
    for staff_id, role in StaffAssignment.objects.filter(school=school).values_list(
        "staff_id", "role"
    ):
        roles_here.setdefault(staff_id, set()).add(role)

    creates: list[tuple[StaffMember, tuple[str, ...]]] = []
    updates: list[StaffMember] = []
    new_roles: list[StaffAssignment] = []
    changed_fields: set[str] = set()
    first_line: dict[str, int] = {}

    for line, row in rows:
        if (seen := first_line.setdefault(row.staff_ref, line)) != line:
            ctx.problem(line, "staff_ref", f"This staff ID is already on line {seen} of the file.")
            continue
        old = existing.get(row.staff_ref)
        if old is None and row.staff_ref in taken:
            ctx.problem(line, "staff_ref", OTHER_SCHOOLS_STAFF)
            continue
        held = roles_here.get(old["id"], set()) if old else set()
        given = set(row.roles or ())
        if refused := (given - held) & GRANTED_ROLES:
            ctx.problem(line, "roles", _granted_only(refused))
            continue
        if not held and not given:
            ctx.problem(
                line, "roles", "Give at least one role at this school, such as Teacher or TA."
            )
            continue
        want = {
            name: (old[name] if old else DEFAULTS.get(name))
            if getattr(row, name) is None
            else getattr(row, name)
            for name in FIELDS
        }
        label = f"{want['first_name']} {want['last_name']}"
        if old is None:
            member = StaffMember(trust_id=school.trust_id, staff_ref=row.staff_ref, **want)
            creates.append((member, tuple(sorted(given))))
            section.creates.append(PlannedRecord(line=line, key=row.staff_ref, label=label))
            continue
        changes = changes_between(old, want, LABELS)
        added = given - held
        if added:
            changes += (
                Change(
                    field=f"roles at {school.name}",
                    old=_roles_text(held),
                    new=_roles_text(held | added),
                ),
            )
            new_roles += [
                StaffAssignment(staff_id=old["id"], school_id=school.id, role=role)
                for role in sorted(added)
            ]
        if not changes:
            section.unchanged += 1
            continue
        fields_changed = {k for k in want if want[k] != old[k]}
        if fields_changed:
            changed_fields |= fields_changed
            updates.append(StaffMember(id=old["id"], **want))
        section.updates.append(
            PlannedRecord(line=line, key=row.staff_ref, label=label, changes=changes)
        )
    section.not_in_file = sum(
        1 for ref, r in existing.items() if ref not in first_line and r["id"] in roles_here
    )

    def write() -> dict[str, Any]:
        StaffMember.objects.bulk_create([m for m, _ in creates], batch_size=BATCH)
        assignments = list(new_roles)
        for member, roles in creates:
            assignments += [
                StaffAssignment(staff_id=member.pk, school_id=school.id, role=role)
                for role in roles
            ]
        StaffAssignment.objects.bulk_create(assignments, batch_size=BATCH)
        if updates:
            now = timezone.now()
            for member in updates:
                member.updated_at = now
            StaffMember.objects.bulk_update(
                updates, sorted(changed_fields | {"updated_at"}), batch_size=UPDATE_BATCH
            )
        return {}

    return Plan(preview=ctx.preview, write=write)
