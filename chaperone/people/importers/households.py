"""Planning a households import: one row per contact, grouped by household reference.

Households are matched by reference among those the importer may edit (see
:mod:`~chaperone.people.importers.scope`); a reference another school's records use is a problem.
Contacts are matched within their household by email, then by name, then by priority (so a new
name in a stored contact's place updates that contact). A stored contact the file does not match
is kept; if the file gives its priority to someone else it moves to the end of the list (shown in
the preview as an update).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from chaperone.people.importers.base import BATCH, UPDATE_BATCH, Plan, PlanContext, changes_between
from chaperone.people.importers.columns import ADDRESS_PARTS
from chaperone.people.importers.preview import PlannedRecord, Section
from chaperone.people.importers.rows import ContactRow
from chaperone.people.importers.scope import OTHER_SCHOOLS_HOUSEHOLD
from chaperone.people.models import Channel, Contact, Household

HOUSEHOLD_LABELS = {"name": "household name", "address": "address", "postcode": "postcode"}
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "has_parental_responsibility",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "priority",
)
CONTACT_LABELS = {
    "first_name": "forename",
    "last_name": "surname",
    "relationship": "relationship",
    "has_parental_responsibility": "parental responsibility",
    "email": "email",
    "phone": "phone",
    "preferred_channel": "preferred channel",
    "language": "language",
    "priority": "priority",
}
CONTACT_DEFAULTS: dict[str, Any] = {
    "relationship": "parent",
    "has_parental_responsibility": True,
    "email": "",
    "phone": "",
    "preferred_channel": Channel.EMAIL.value,
    "language": "English",
}
#: added to a priority while contacts swap places, so the unique constraint holds at every step
PRIORITY_PARKING = 1000


@dataclass
class _Group:
    ref: str
    line: int
    rows: list[tuple[int, ContactRow]] = field(default_factory=list)
    household: dict[str, Any] = field(default_factory=dict)
    household_lines: dict[str, int] = field(default_factory=dict)


def _address_of(row: ContactRow, has_parts: bool) -> str | None:
    if row.address is not None:
        return row.address
    if has_parts:
        return "\n".join(p for name in ADDRESS_PARTS if (p := getattr(row, name)))
    return None


def _household_value(group: _Group, name: str, old: Mapping[str, Any] | None) -> str:
    """The file's value; blank if the file's column is blank on every row; else as stored."""
    if name in group.household:
        return str(group.household[name])
    if name + "_blank" in group.household:
        return ""
    return str(old[name]) if old is not None else ""


def _contact_wants(row: ContactRow, priority: int, old: dict[str, Any] | None) -> dict[str, Any]:
    def pick(name: str, value: Any) -> Any:
        if value is None:
            return old[name] if old is not None else CONTACT_DEFAULTS[name]
        return value

    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "relationship": pick(
            "relationship",
            (row.relationship or "parent").lower() if row.relationship is not None else None,
        ),
        "has_parental_responsibility": pick(
            "has_parental_responsibility", row.parental_responsibility
        ),
        "email": pick("email", row.email),
        "phone": pick("phone", row.phone),
        "preferred_channel": pick("preferred_channel", row.preferred_channel),
        "language": pick(
            "language", (row.language or "English") if row.language is not None else None
        ),
        "priority": priority,
    }


def _same_name(c: dict[str, Any], row: ContactRow) -> bool:
    return (c["first_name"].lower(), c["last_name"].lower()) == (
        row.first_name.lower(),
        row.last_name.lower(),
    )


def _match_contacts(
    existing: list[dict[str, Any]], wanted: list[tuple[int, ContactRow, int]]
) -> dict[int, dict[str, Any]]:
    """Index in ``wanted`` -> the stored contact it updates."""
    tests = (
        lambda c, row, _p: bool(row.email) and c["email"].lower() == row.email,
        lambda c, row, _p: _same_name(c, row),
        lambda c, _row, priority: c["priority"] == priority,
    )
    matched: dict[int, dict[str, Any]] = {}
    used: set[int] = set()
    for same in tests:
        for i, (_line, row, priority) in enumerate(wanted):
            if i in matched:
                continue
            hit = next(
                (c for c in existing if c["id"] not in used and same(c, row, priority)), None
            )
            if hit is not None:
                matched[i] = hit
                used.add(hit["id"])
    return matched


def plan_households(ctx: PlanContext, rows: list[tuple[int, ContactRow]]) -> Plan:
    school = ctx.school
    households = Section("Households")
    contacts = Section("Contacts")
    ctx.preview.sections += [households, contacts]
    has_parts = any(ctx.has_column(p) for p in ADDRESS_PARTS)
    address_key = (
        "address"
        if ctx.has_column("address")
        else next((p for p in ADDRESS_PARTS if ctx.has_column(p)), "address")
    )

    # Group rows by household. Household details come from the first row that gives them; a
    # later row giving a different value is a problem (blank cells never disagree).
    groups: dict[str, _Group] = {}
    for line, row in rows:
        group = groups.setdefault(row.household_ref, _Group(ref=row.household_ref, line=line))
        given = {
            "name": (row.household_name, "household_name"),
            "address": (_address_of(row, has_parts), address_key),
            "postcode": (row.postcode, "postcode"),
        }
        clashes = [
            (name, key)
            for name, (value, key) in given.items()
            if value and group.household.get(name, value) != value
        ]
        for name, key in clashes:
            first = group.household_lines[name]
            ctx.problem(line, key, f"This differs from line {first} for the same household.")
        if clashes:
            continue
        for name, (value, _key) in given.items():
            if value:
                group.household.setdefault(name, value)
                group.household_lines.setdefault(name, line)
            elif value is not None and name != "name":
                group.household.setdefault(name + "_blank", "")
        group.rows.append((line, row))

    stored = {
        h["reference"]: h
        for h in ctx.scope.households().values("id", "reference", "name", "address", "postcode")
    }
    refs_in_use = ctx.scope.taken_household_refs()
    mine = {h["id"] for h in stored.values()}
    stored_contacts: dict[int, list[dict[str, Any]]] = {}
    for c in Contact.objects.filter(household__trust_id=school.trust_id).values(
        "id", "household_id", *CONTACT_FIELDS
    ):
        if c["household_id"] in mine:
            stored_contacts.setdefault(c["household_id"], []).append(c)

    new_households: dict[str, Household] = {}
    household_updates: list[Household] = []
    household_fields: set[str] = set()
    contact_creates: list[tuple[Contact, str]] = []
    contact_updates: list[Contact] = []
    contact_fields: set[str] = set()
    moved_priorities: list[Contact] = []

    for ref, group in groups.items():
        if not group.rows:
            continue
        old_h = stored.get(ref)
        if old_h is None and ref in refs_in_use:
            for line, _row in group.rows:
                ctx.problem(line, "household_ref", OTHER_SCHOOLS_HOUSEHOLD)
            continue
        first_row = group.rows[0][1]
        want_h = {
            "name": group.household.get("name")
            or (old_h["name"] if old_h else f"{first_row.last_name} family"),
            "address": _household_value(group, "address", old_h),
            "postcode": _household_value(group, "postcode", old_h),
        }
        if old_h is None:
            new_households[ref] = Household(
                trust_id=school.trust_id, reference=ref, origin_school_id=school.id, **want_h
            )
            households.creates.append(PlannedRecord(line=group.line, key=ref, label=want_h["name"]))
        else:
            h_changes = changes_between(old_h, want_h, HOUSEHOLD_LABELS)
            if h_changes:
                household_fields |= {k for k, v in want_h.items() if v != old_h.get(k)}
                household_updates.append(Household(id=old_h["id"], reference=ref, **want_h))
                households.updates.append(
                    PlannedRecord(line=group.line, key=ref, label=want_h["name"], changes=h_changes)
                )
            else:
                households.unchanged += 1

        # Priorities: as given, else the next free number in file order.
        taken: dict[int, int] = {}
        rows_ok: list[tuple[int, ContactRow]] = []
        for line, row in group.rows:
            seen = taken.setdefault(row.priority, line) if row.priority is not None else line
            if seen != line:
                ctx.problem(line, "priority", f"Line {seen} gives this household that priority.")
                continue
            rows_ok.append((line, row))
        with_priority: list[tuple[int, ContactRow, int]] = []
        next_free = 1
        for line, row in rows_ok:
            if row.priority is None:
                while next_free in taken:
                    next_free += 1
                taken[next_free] = line
                with_priority.append((line, row, next_free))
            else:
                with_priority.append((line, row, row.priority))

        # Match stored contacts: by email, then by name, then by priority.
        existing = stored_contacts.get(old_h["id"], []) if old_h else []
        matched = _match_contacts(existing, with_priority)
        used = {c["id"] for c in matched.values()}

        for i, (line, row, priority) in enumerate(with_priority):
            old_c = matched.get(i)
            want_c = _contact_wants(row, priority, old_c)
            label = f"{row.first_name} {row.last_name}"
            key = f"{ref} #{priority}"
            if old_c is None:
                contact_creates.append((Contact(**want_c), ref))
                contacts.creates.append(PlannedRecord(line=line, key=key, label=label))
                continue
            c_changes = changes_between(old_c, want_c, CONTACT_LABELS)
            if not c_changes:
                contacts.unchanged += 1
                continue
            contact_fields |= {k for k in want_c if want_c[k] != old_c[k]}
            contact = Contact(id=old_c["id"], household_id=old_c["household_id"], **want_c)
            contact_updates.append(contact)
            if want_c["priority"] != old_c["priority"]:
                moved_priorities.append(contact)
            contacts.updates.append(
                PlannedRecord(line=line, key=key, label=label, changes=c_changes)
            )

        # Stored contacts left out of the file keep their place unless it was given away.
        final = set(taken)
        last = max([*final, *(c["priority"] for c in existing)], default=0)
        for c in existing:
            if c["id"] in used or c["priority"] not in final:
                continue
            last += 1
            moved = Contact(**{k: c[k] for k in ("id", "household_id", *CONTACT_FIELDS)})
            moved.priority = last
            contact_fields.add("priority")
            contact_updates.append(moved)
            moved_priorities.append(moved)
            contacts.updates.append(
                PlannedRecord(
                    line=0,
                    key=f"{ref} #{c['priority']}",
                    label=f"{c['first_name']} {c['last_name']} (not in the file)",
                    changes=changes_between(
                        {"priority": c["priority"]}, {"priority": last}, CONTACT_LABELS
                    ),
                )
            )

    def write() -> dict[str, Any]:
        Household.objects.bulk_create(new_households.values(), batch_size=BATCH)
        if household_updates:
            now = timezone.now()
            for h in household_updates:
                h.updated_at = now
            Household.objects.bulk_update(
                household_updates,
                sorted(household_fields | {"updated_at"}),
                batch_size=UPDATE_BATCH,
            )
        if moved_priorities:
            finals = {c.pk: c.priority for c in moved_priorities}
            for c in moved_priorities:
                c.priority = PRIORITY_PARKING + finals[c.pk]
            Contact.objects.bulk_update(moved_priorities, ["priority"], batch_size=UPDATE_BATCH)
            for c in moved_priorities:
                c.priority = finals[c.pk]
        if contact_updates:
            Contact.objects.bulk_update(
                contact_updates, sorted(contact_fields), batch_size=UPDATE_BATCH
            )
        ids = {ref: h["id"] for ref, h in stored.items()}
        ids |= {ref: h.pk for ref, h in new_households.items()}
        created = []
        for contact, ref in contact_creates:
            contact.household_id = ids[ref]
            created.append(contact)
        Contact.objects.bulk_create(created, batch_size=BATCH)
        return {}

    return Plan(preview=ctx.preview, write=write)
