"""Planning a pupils import: match by UPN within the school, diff in memory, write in bulk.

Child protection, child in need, looked-after and vulnerable flags are never changed by an
import: a change the file asks for is stored as a
:class:`~chaperone.people.models.PendingFlagChange` that a DSL confirms or rejects (a blank cell
asks to clear the flag, so it waits too). A later file that agrees with the stored flag withdraws
the waiting change.

An importer who may not see safeguarding flags (a school administrator) learns nothing about
them from the preview or the result: no row lists a flag change, rows that differ only in flags
count as unchanged, and the preview carries one notice for the whole file, worded the same
whatever is stored (see :func:`flag_notice`). The DSL still gets a waiting change for each flag
the file really changes.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chaperone.people import flags
from chaperone.people.importers.base import BATCH, UPDATE_BATCH, Plan, PlanContext, changes_between
from chaperone.people.importers.preview import (
    AWAITING,
    WITHDRAWN,
    Change,
    PlannedRecord,
    Section,
)
from chaperone.people.importers.rows import PupilRow
from chaperone.people.importers.scope import OTHER_SCHOOLS_HOUSEHOLD
from chaperone.people.models import (
    FlagChangeStatus,
    Household,
    PendingFlagChange,
    Pupil,
    PupilFlag,
    SocialCareStatus,
)

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
    """The stored fields this row asks for; a column the file lacks keeps the stored value.
    The flags in it are only asked for: see :func:`plan_pupils`."""

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
    # A child in need, on a protection plan or looked after is always on the vulnerable list: a
    # file does not ask to take such a child off it, and a DSL confirming one of those flags
    # puts the child on it (see flags.keep_vulnerable), so the file need not ask for that.
    held = keep("social_care_status") or keep("is_looked_after")
    want["is_vulnerable"] = bool(flagged or held)
    return want


def _speaks_of(row: PupilRow, flag: str) -> bool:
    """Whether the file has a column for ``flag`` (else the stored flag is left alone)."""
    if flag == PupilFlag.LOOKED_AFTER:
        return row.lac is not None
    if flag == PupilFlag.VULNERABLE:
        return row.vulnerable is not None
    return not (row.social_care is None and row.cin is None and row.cp is None)


#: the columns of a pupils file that speak of safeguarding flags
FLAG_COLUMNS = ("social_care", "cin", "cp", "lac", "vulnerable")


def flag_notice(ctx: PlanContext) -> str:
    """For an importer who may not see safeguarding flags: one notice for the file, which
    depends only on the file's columns (never on a stored flag). Empty if the file has none."""
    headers = [ctx.headers[key] for key in FLAG_COLUMNS if key in ctx.headers]
    if not headers:
        return ""
    return (
        f"The file's safeguarding flag columns ({', '.join(headers)}) are not imported: their "
        "values go to the DSL, who checks them against the record and confirms or rejects any "
        "change. This page does not show stored flags, so rows that differ only in those "
        "columns count as unchanged."
    )


class _FlagPlan:
    """The flag changes an import asks for, and the waiting ones it withdraws."""

    def __init__(self, ctx: PlanContext) -> None:
        self.ctx = ctx
        self.waiting: dict[tuple[int, str], tuple[int, str]] = {
            (pupil_id, flag): (pk, new)
            for pk, pupil_id, flag, new in PendingFlagChange.objects.filter(
                school=ctx.school, status=FlagChangeStatus.PENDING
            ).values_list("id", "pupil_id", "flag", "new_value")
        }
        #: (pupil, flag, stored value, value asked for)
        self.requests: list[tuple[Pupil, str, Any, Any]] = []
        self.withdrawn: list[tuple[Pupil, str, int]] = []

    def plan(
        self, row: PupilRow, pupil: Pupil, old: dict[str, Any] | None, want: dict[str, Any]
    ) -> tuple[Change, ...]:
        """Move the flags out of ``want`` (which then keeps the stored ones); return the changes
        to list in the preview: none for an importer who may not see flags, so that nothing
        the preview shows depends on a stored flag."""
        out: list[Change] = []
        for flag in PupilFlag.values:
            asked = want[flag]
            stored = old[flag] if old is not None else flags.UNFLAGGED[flag]
            want[flag] = stored
            if not _speaks_of(row, flag):
                continue
            label = flags.FLAG_LABELS[flag]
            waiting = self.waiting.get((pupil.pk, flag)) if old is not None else None
            if asked != stored:
                if waiting is not None and waiting[1] == flags.encode(flag, asked):
                    continue  # the same change is already waiting
                if waiting is not None:
                    self.withdrawn.append((pupil, flag, waiting[0]))
                self.requests.append((pupil, flag, stored, asked))
                out.append(
                    Change(label, flags.show(flag, stored), flags.show(flag, asked), AWAITING)
                )
            elif waiting is not None:
                self.withdrawn.append((pupil, flag, waiting[0]))
                before = flags.decode(flag, waiting[1])
                out.append(
                    Change(label, flags.show(flag, before), flags.show(flag, asked), WITHDRAWN)
                )
        return tuple(out) if self.ctx.sees_flags else ()

    def write(self) -> dict[str, Any]:
        now = timezone.now()
        ids = [pk for _p, _f, pk in self.withdrawn]
        for start in range(0, len(ids), BATCH):
            PendingFlagChange.objects.filter(pk__in=ids[start : start + BATCH]).update(
                status=FlagChangeStatus.WITHDRAWN, decided_at=now
            )
        via = "import"
        PendingFlagChange.objects.bulk_create(
            [
                PendingFlagChange(
                    school_id=self.ctx.school.id,
                    pupil_id=pupil.pk,
                    flag=flag,
                    old_value=flags.encode(flag, stored),
                    new_value=flags.encode(flag, asked),
                    requested_by_id=self.ctx.requested_by_id,
                    requested_via=via,
                    requested_at=now,
                )
                for pupil, flag, stored, asked in self.requests
            ],
            batch_size=BATCH,
        )
        return {
            "flag_changes_requested": [
                {
                    "pupil_id": pupil.pk,
                    "pupil": flags.pupil_named(pupil),
                    "flag": flags.FLAG_LABELS[flag],
                    "from": flags.show(flag, stored),
                    "to": flags.show(flag, asked),
                }
                for pupil, flag, stored, asked in self.requests
            ],
            "flag_changes_withdrawn": [
                {
                    "pupil_id": pupil.pk,
                    "pupil": flags.pupil_named(pupil),
                    "flag": flags.FLAG_LABELS[flag],
                }
                for pupil, flag, _pk in self.withdrawn
            ],
        }


def plan_pupils(ctx: PlanContext, rows: list[tuple[int, PupilRow]]) -> Plan:
    school = ctx.school
    pupils = Section("Pupils")
    households = Section("Households")
    ctx.preview.sections += [pupils, households]
    if not ctx.sees_flags:
        ctx.preview.flag_notice = flag_notice(ctx)

    existing = {
        r["upn"]: r
        for r in Pupil.objects.filter(school=school).values("id", "upn", "household_id", *FIELDS)
    }
    household_ids: dict[str, int] = dict(ctx.scope.households().values_list("reference", "id"))
    taken = ctx.scope.taken_household_refs()
    ref_of = {pk: ref for ref, pk in household_ids.items()}
    new_households: dict[str, Household] = {}
    creates: list[tuple[Pupil, str | None]] = []
    updates: list[tuple[Pupil, str | None]] = []
    changed_fields: set[str] = set()
    first_line: dict[str, int] = {}
    flag_plan = _FlagPlan(ctx)

    for line, row in rows:
        if (seen := first_line.setdefault(row.upn, line)) != line:
            ctx.problem(line, "upn", f"This UPN is already on line {seen} of the file.")
            continue
        ref = row.household_ref or None
        if ref and ref not in household_ids and ref not in new_households:
            if ref in taken:
                ctx.problem(line, "household_ref", OTHER_SCHOOLS_HOUSEHOLD)
                continue
            name = f"{row.last_name} family"
            new_households[ref] = Household(
                trust_id=school.trust_id, reference=ref, name=name, origin_school_id=school.id
            )
            households.creates.append(PlannedRecord(line=line, key=ref, label=name))
        old = existing.get(row.upn)
        want = wanted_fields(row, old)
        label = f"{want['preferred_name'] or want['first_name']} {want['last_name']}"
        if old is None:
            pupil = Pupil(
                school_id=school.id, upn=row.upn, household_id=household_ids.get(ref or "")
            )
            flag_changes = flag_plan.plan(row, pupil, None, want)
            for name, value in want.items():
                setattr(pupil, name, value)
            creates.append((pupil, ref))
            pupils.creates.append(
                PlannedRecord(line=line, key=row.upn, label=label, changes=flag_changes)
            )
            continue
        pupil = Pupil(
            id=old["id"], school_id=school.id, upn=row.upn, household_id=old["household_id"]
        )
        flag_changes = flag_plan.plan(row, pupil, old, want)
        for name, value in want.items():
            setattr(pupil, name, value)
        old_ref = ref_of.get(old["household_id"]) if old["household_id"] else None
        changes = changes_between(old, want, LABELS, SHOWN)
        if ref and ref != old_ref:
            changes += changes_between({"household": old_ref}, {"household": ref}, LABELS)
        changes += flag_changes
        if not changes:
            pupils.unchanged += 1
            continue
        changed_fields.update(k for k in want if want[k] != old[k])
        if ref and ref != old_ref:
            changed_fields.add("household_id")
        updates.append((pupil, ref if ref and ref != old_ref else None))
        pupils.updates.append(PlannedRecord(line=line, key=row.upn, label=label, changes=changes))
    pupils.not_in_file = len(set(existing) - set(first_line))

    def write() -> dict[str, Any]:
        if new_households:
            Household.objects.bulk_create(new_households.values(), batch_size=BATCH)
            household_ids.update({ref: h.pk for ref, h in new_households.items()})
        for pupil, ref in creates:
            if ref:
                pupil.household_id = household_ids[ref]
        Pupil.objects.bulk_create([p for p, _ in creates], batch_size=BATCH)
        if changed_fields:
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
        return flag_plan.write()

    return Plan(preview=ctx.preview, write=write)
