"""Planning a staff import: match by staff ID among the staff the importer may edit (see
:mod:`~chaperone.people.importers.scope`); roles at this school are added.

An import never creates logins and never removes a role: a DSL or headteacher role recorded in
Chaperone must not vanish because the MIS does not know about it. Nor does it ever give a
safeguarding or leadership role (``GRANTED_ROLES``): a row asking for one not already held is an
error. Those roles are granted, confirmed and removed on the Roles screen.

Nor does an import change the email address of someone who has a login or holds (or awaits) a
safeguarding or leadership role anywhere in the trust: their invitations, sign-in and
safeguarding notices go there, so whoever could edit the file could take the account over. Such
a row is an error naming the Email column; a headteacher or trust administrator changes the
address on the person's "Login and security" page, and the old address is told.
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


EMAIL_KEPT = (
    "This person has a Chaperone login or a safeguarding or leadership role, so an import cannot "
    "change their email address (it is where their sign-in and safeguarding notices go). Keep "
    "{stored} in this cell. The headteacher or a trust administrator changes it on their "
    "Login and security page, and the old address is told."
)


def _same_email(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def plan_staff(ctx: PlanContext, rows: list[tuple[int, StaffRow]]) -> Plan:
    school = ctx.school
    section = Section("Staff")
    ctx.preview.sections.append(section)

    in_scope = ctx.scope.staff()
    existing = {r["staff_ref"]: r for r in in_scope.values("id", "staff_ref", "user_id", *FIELDS)}
    # whose address an import may not change: a login, or a granted role anywhere (awaiting too)
    email_kept = {r["id"] for r in existing.values() if r["user_id"] is not None}
    email_kept |= set(
        StaffAssignment.objects.filter(
            staff__in=in_scope, role__in=sorted(GRANTED_ROLES)
        ).values_list("staff_id", flat=True)
    )
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
        if (
            old is not None
            and old["id"] in email_kept
            and row.email is not None
            and not _same_email(row.email, old["email"])
        ):
            stored = f"the address on record ({old['email']})" if old["email"] else "it blank"
            ctx.problem(line, "email", EMAIL_KEPT.format(stored=stored))
            continue
        want = {
            name: (old[name] if old else DEFAULTS.get(name))
            if getattr(row, name) is None
            else getattr(row, name)
            for name in FIELDS
        }
        if old is not None and _same_email(want["email"], old["email"]):
            want["email"] = old["email"]  # a change of case only is no change
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
