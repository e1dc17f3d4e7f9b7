"""Planning a pupils import: match by UPN within the school, diff in memory, write in bulk."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chaperone.people.importers.base import BATCH, UPDATE_BATCH, Plan, PlanContext, changes_between
from chaperone.people.importers.preview import PlannedRecord, Section
from chaperone.people.importers.rows import PupilRow
from chaperone.people.models import Household, Pupil, SocialCareStatus

FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "has_ehcp",
    "has_sen",
    "social_care_status",
    "is_looked_after",
    "is_vulnerable",
)
LABELS = {
    "first_name": "forename",
    "last_name": "surname",
    "preferred_name": "preferred forename",
    "date_of_birth": "date of birth",
    "year_group": "year group",
    "has_ehcp": "EHCP",
    "has_sen": "SEN support",
    "social_care_status": "social care status",
    "is_looked_after": "looked after",
    "is_vulnerable": "vulnerable",
    "household": "household",
}
DEFAULTS: dict[str, Any] = {
    "preferred_name": "",
    "has_ehcp": False,
    "has_sen": False,
    "social_care_status": SocialCareStatus.NONE.value,
    "is_looked_after": False,
    "is_vulnerable": False,
}


def _year(value: Any) -> str:
    return {-1: "Nursery", 0: "Reception"}.get(value, f"Year {value}")


def _status(value: Any) -> str:
    return str(SocialCareStatus(value).label) if value in SocialCareStatus.values else str(value)


SHOWN = {"year_group": _year, "social_care_status": _status}


def wanted_fields(row: PupilRow, old: dict[str, Any] | None) -> dict[str, Any]:
    """The stored fields this row asks for; a column the file lacks keeps the stored value."""

    def keep(name: str) -> Any:
        return old[name] if old is not None else DEFAULTS[name]

    want: dict[str, Any] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "preferred_name": keep("preferred_name")
        if row.preferred_name is None
        else row.preferred_name,
        "date_of_birth": row.date_of_birth,
        "year_group": row.year_group,
    }
    if row.ehcp is None and row.sen_status is None:
        want["has_ehcp"] = keep("has_ehcp")
    else:
        want["has_ehcp"] = bool(row.ehcp) or row.sen_status == "E"
    want["has_sen"] = keep("has_sen") if row.sen_status is None else row.sen_status == "K"
    if row.social_care is None and row.cin is None and row.cp is None:
        status = keep("social_care_status")
    elif row.cp or row.social_care == SocialCareStatus.CP:
        status = SocialCareStatus.CP.value
    elif row.cin or row.social_care == SocialCareStatus.CIN:
        status = SocialCareStatus.CIN.value
    else:
        status = SocialCareStatus.NONE.value
    want["social_care_status"] = status
    want["is_looked_after"] = keep("is_looked_after") if row.lac is None else row.lac
    flagged = keep("is_vulnerable") if row.vulnerable is None else row.vulnerable
    # A child in need, on a protection plan or looked after is always on the vulnerable list.
    want["is_vulnerable"] = bool(flagged or status or want["is_looked_after"])
    return want


def plan_pupils(ctx: PlanContext, rows: list[tuple[int, PupilRow]]) -> Plan:
    school = ctx.school
    pupils = Section("Pupils")
    households = Section("Households")
    ctx.preview.sections += [pupils, households]

    existing = {
        r["upn"]: r
        for r in Pupil.objects.filter(school=school).values("id", "upn", "household_id", *FIELDS)
    }
    household_ids: dict[str, int] = dict(
        Household.objects.filter(trust_id=school.trust_id).values_list("reference", "id")
    )
    ref_of = {pk: ref for ref, pk in household_ids.items()}
    new_households: dict[str, Household] = {}
    creates: list[tuple[Pupil, str | None]] = []
    updates: list[tuple[Pupil, str | None]] = []
    changed_fields: set[str] = set()
    first_line: dict[str, int] = {}

    for line, row in rows:
        if (seen := first_line.setdefault(row.upn, line)) != line:
            ctx.problem(line, "upn", f"This UPN is already on line {seen} of the file.")
            continue
        old = existing.get(row.upn)
        want = wanted_fields(row, old)
        ref = row.household_ref or None
        if ref and ref not in household_ids and ref not in new_households:
            name = f"{row.last_name} family"
            new_households[ref] = Household(trust_id=school.trust_id, reference=ref, name=name)
            households.creates.append(PlannedRecord(line=line, key=ref, label=name))
        label = f"{want['preferred_name'] or want['first_name']} {want['last_name']}"
        if old is None:
            pupil = Pupil(
                school_id=school.id, upn=row.upn, household_id=household_ids.get(ref or ""), **want
            )
            creates.append((pupil, ref))
            pupils.creates.append(PlannedRecord(line=line, key=row.upn, label=label))
            continue
        old_ref = ref_of.get(old["household_id"]) if old["household_id"] else None
        changes = changes_between(old, want, LABELS, SHOWN)
        if ref and ref != old_ref:
            changes += changes_between({"household": old_ref}, {"household": ref}, LABELS)
        if not changes:
            pupils.unchanged += 1
            continue
        changed_fields.update(k for k in want if want[k] != old[k])
        if ref and ref != old_ref:
            changed_fields.add("household_id")
        pupil = Pupil(
            id=old["id"], school_id=school.id, upn=row.upn, household_id=old["household_id"], **want
        )
        updates.append((pupil, ref if ref and ref != old_ref else None))
        pupils.updates.append(PlannedRecord(line=line, key=row.upn, label=label, changes=changes))
    pupils.not_in_file = len(set(existing) - set(first_line))

    def write() -> None:
        if new_households:
            Household.objects.bulk_create(new_households.values(), batch_size=BATCH)
            household_ids.update({ref: h.pk for ref, h in new_households.items()})
        for pupil, ref in creates:
            if ref:
                pupil.household_id = household_ids[ref]
        Pupil.objects.bulk_create([p for p, _ in creates], batch_size=BATCH)
        if updates:
            now = timezone.now()
            for pupil, ref in updates:
                pupil.updated_at = now
                if ref:
                    pupil.household_id = household_ids[ref]
            Pupil.objects.bulk_update(
                [p for p, _ in updates],
                sorted(changed_fields | {"updated_at"}),
                batch_size=UPDATE_BATCH,
            )

    return Plan(preview=ctx.preview, write=write)
