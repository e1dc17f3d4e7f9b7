"""How families like to be called (a form, or a CSV of many), and when staff can call."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from chaperone.audit.log import record
from chaperone.people.models import Household, StaffAssignment, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.welfare.models import (
    WEEKDAYS,
    CallerAvailability,
    HouseholdPreference,
    WelfareChannel,
    WithheldNumber,
)
from chaperone.welfare.need import MANAGE, WelfareProblem

PREFERENCE_FIELDS = ("channel", "avoid_days", "avoid_times", "language", "ask_for")
CSV_COLUMNS = ("household_reference", *PREFERENCE_FIELDS)
MAX_CSV_BYTES = 2 * 1024 * 1024


def weekdays_clean(raw: str | list[str], field_name: str, label: str) -> str:
    """``"Mon, fri"`` or ``["mon", "fri"]`` -> ``"mon,fri"``; anything else names the field."""
    parts = raw if isinstance(raw, list) else raw.replace(";", ",").replace(" ", ",").split(",")
    days: list[str] = []
    for part in parts:
        day = part.strip().lower()[:3]
        if not day:
            continue
        if day not in WEEKDAYS:
            raise WelfareProblem(
                field_name,
                f"{label}: '{part.strip()}' is not a school day; use mon, tue, wed, thu or fri.",
            )
        if day not in days:
            days.append(day)
    return ",".join(d for d in WEEKDAYS if d in days)


def _clean_preferences(values: dict[str, Any]) -> dict[str, str]:
    channel = str(values.get("channel") or WelfareChannel.PHONE.value).strip().lower()
    if channel not in WelfareChannel.values:
        raise WelfareProblem(
            "channel",
            f"Preferred channel: '{channel}' is not one of {', '.join(WelfareChannel.values)}.",
        )
    cleaned = {
        "channel": channel,
        "avoid_days": weekdays_clean(values.get("avoid_days") or "", "avoid_days", "Days to avoid"),
    }
    limits = {"avoid_times": ("Times to avoid", 100), "language": ("Language", 40)}
    limits["ask_for"] = ("Who to ask for", 100)
    for name, (label, most) in limits.items():
        text = str(values.get(name) or "").strip()
        if len(text) > most:
            raise WelfareProblem(name, f"{label}: at most {most} characters.")
        cleaned[name] = text
    return cleaned


def _check_household(actor: Actor, household: Household) -> None:
    schools = set(household.pupils.values_list("school_id", flat=True))
    if not any(actor.can(MANAGE, s) for s in schools):
        raise PermissionDenied("Only the DSL of the family's school sets its preferences.")


def preferences_set(
    *, actor: Actor, household: Household, values: dict[str, Any]
) -> HouseholdPreference:
    """Store the family's preferred channel, days and times to avoid, language and who to ask
    for (one row for the whole trust: siblings at two schools share it)."""
    _check_household(actor, household)
    cleaned = _clean_preferences(values)
    with transaction.atomic():
        pref, _ = HouseholdPreference.objects.update_or_create(
            household=household, defaults={**cleaned, "updated_by_id": actor.staff_id}
        )
        record("welfare.preferences_changed", actor=actor, target=pref, details={"fields": "form"})
    return pref


@dataclass
class ImportResult:
    rows: int = 0
    saved: int = 0
    #: "Row 3, channel: ..." messages; nothing is saved while there are any
    errors: list[str] = field(default_factory=list)


def preferences_import(*, actor: Actor, school: School, data: bytes) -> ImportResult:
    """Import preferences from a CSV with the columns :data:`CSV_COLUMNS`, matching households by
    their MIS reference among the school's families. Every bad row is listed with the field it
    is about, and nothing is saved until the file has no bad rows."""
    if not actor.can(MANAGE, school.pk):
        raise PermissionDenied("Only the school's DSL imports families' preferences.")
    result = ImportResult()
    if len(data) > MAX_CSV_BYTES:
        result.errors.append("File: larger than 2 MB; split it into smaller files.")
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append("File: not UTF-8 text; save it from the spreadsheet as CSV UTF-8.")
        return result
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("household_reference",) if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        if missing:
            result.errors.append(f"Columns: the file needs a '{missing[0]}' column.")
        if unknown:
            result.errors.append(
                f"Columns: '{unknown[0]}' is not a column we know; use {', '.join(CSV_COLUMNS)}."
            )
        return result
    households = {
        h.reference: h
        for h in Household.objects.filter(
            trust_id=school.trust_id, pupils__school=school
        ).distinct()
    }
    pending: list[tuple[Household, dict[str, str]]] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        result.rows += 1
        reference = row.get("household_reference", "")
        household = households.get(reference)
        if household is None:
            result.errors.append(
                f"Row {number}, household_reference: no family of {school.name} has the "
                f"reference '{reference}'."
            )
            continue
        try:
            pending.append((household, _clean_preferences(row)))
        except WelfareProblem as problem:
            result.errors.append(f"Row {number}, {problem.field}: {problem.message}")
    if result.errors or not pending:
        if not pending and not result.errors:
            result.errors.append("File: no rows to import.")
        return result
    with transaction.atomic():
        for household, cleaned in pending:
            HouseholdPreference.objects.update_or_create(
                household=household, defaults={**cleaned, "updated_by_id": actor.staff_id}
            )
        result.saved = len(pending)
        record(
            "welfare.preferences_imported",
            actor=actor,
            target=school,
            details={"rows": result.saved},
        )
    return result


def _staff_schools(staff: StaffMember) -> set[int]:
    return set(
        StaffAssignment.objects.in_effect()
        .filter(staff=staff, school__isnull=False)
        .values_list("school_id", flat=True)
    )


def availability_set(
    *, actor: Actor, staff: StaffMember, values: dict[str, Any]
) -> CallerAvailability:
    """When ``staff`` can call (days, hours, calls a day) and from which phone. A member of staff
    with no school cannot be a caller: there would be no family they may call."""
    schools = _staff_schools(staff)
    if not schools:
        raise WelfareProblem(
            "staff",
            f"Staff member: {staff.full_name} has no school, so no family to call; give them "
            "a role at a school first.",
        )
    if not any(actor.can(MANAGE, s) for s in schools):
        raise PermissionDenied("Only the DSL of the caller's school sets their availability.")
    days = weekdays_clean(values.get("days") or "", "days", "Days")
    if not days:
        raise WelfareProblem("days", "Days: choose at least one day they can call.")
    hours_from, hours_to = values.get("hours_from"), values.get("hours_to")
    if not isinstance(hours_from, dt.time) or not isinstance(hours_to, dt.time):
        raise WelfareProblem("hours_from", "Hours: give a start and an end, e.g. 09:00 and 15:00.")
    if hours_from >= hours_to:
        raise WelfareProblem("hours_to", "Hours: the end must come after the start.")
    try:
        calls = int(values.get("calls_per_day", ""))
    except (TypeError, ValueError):
        calls = -1
    if not 0 <= calls <= 100:
        raise WelfareProblem("calls_per_day", "Calls a day: a whole number from 0 to 100.")
    withheld = str(values.get("withheld_number") or WithheldNumber.SCHOOL_PHONE.value)
    if withheld not in WithheldNumber.values:
        raise WelfareProblem("withheld_number", "Number policy: choose one of the options.")
    phone = str(values.get("school_phone") or "").strip()[:40]
    if withheld == WithheldNumber.SCHOOL_PHONE and not phone:
        raise WelfareProblem(
            "school_phone",
            "School phone or extension: say which school phone they call from (or choose "
            "the withheld-number policy).",
        )
    with transaction.atomic():
        availability, _ = CallerAvailability.objects.update_or_create(
            staff=staff,
            defaults={
                "days": days,
                "hours_from": hours_from,
                "hours_to": hours_to,
                "calls_per_day": calls,
                "school_phone": phone,
                "withheld_number": withheld,
            },
        )
        record(
            "welfare.availability_changed",
            actor=actor,
            target=availability,
            details={"days": days, "calls_per_day": calls},
        )
    return availability
