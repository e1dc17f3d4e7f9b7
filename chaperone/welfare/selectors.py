"""Reads of the welfare app, each scoped to the actor (another school's row is a 404)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from chaperone.audit.log import record_read
from chaperone.people.models import Household, Pupil, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404
from chaperone.welfare.calls import LIVE_RUNS
from chaperone.welfare.models import (
    TIER_ORDER,
    CallerAvailability,
    CallLog,
    CallStatus,
    Escalation,
    EscalationStatus,
    EscalationStep,
    PlannedCall,
    RotaRun,
    Tier,
    TierChange,
)
from chaperone.welfare.need import MANAGE, pupil_tier

VIEW = "welfare.view"


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def pupils_with_tiers(*, actor: Actor, school: School, tier: str = "") -> list[tuple[Pupil, str]]:
    pupils = (
        Pupil.objects.for_actor(actor, MANAGE)
        .filter(school=school, is_active=True)
        .select_related("welfare_need", "household")
        .order_by("last_name", "first_name", "pk")
    )
    rows = [(p, pupil_tier(p)) for p in pupils]
    if tier:
        rows = [(p, t) for p, t in rows if t == tier]
    return sorted(rows, key=lambda r: (TIER_ORDER.index(r[1]), r[0].last_name, r[0].pk))


def pupil_for_tier(*, actor: Actor, pupil_id: int) -> Pupil:
    return get_for_actor_or_404(
        Pupil.objects.select_related("welfare_need", "school"), actor, MANAGE, pk=pupil_id
    )


def tier_history(*, actor: Actor, pupil: Pupil) -> QuerySet[TierChange]:
    return (
        TierChange.objects.for_actor(actor, MANAGE).filter(pupil=pupil).select_related("changed_by")
    )


def household_for_preferences(*, actor: Actor, household_id: int) -> Household:
    return get_for_actor_or_404(Household.objects.all(), actor, MANAGE, pk=household_id)


def households_of_school(*, actor: Actor, school: School) -> QuerySet[Household]:
    return (
        Household.objects.for_actor(actor, MANAGE)
        .filter(pupils__school=school)
        .distinct()
        .select_related("welfare_preference")
        .order_by("name", "pk")
    )


def callers_of_school(*, actor: Actor, school: School) -> list[StaffMember]:
    staff = (
        StaffMember.objects.for_actor(actor, MANAGE)
        .filter(assignments__school=school, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    availability = {
        a.staff_id: a for a in CallerAvailability.objects.filter(staff__in=[s.pk for s in staff])
    }
    listed = list(staff)
    for s in listed:
        s.availability = availability.get(s.pk)  # type: ignore[attr-defined]
    return listed


def staff_for_availability(*, actor: Actor, staff_id: int) -> StaffMember:
    return get_for_actor_or_404(StaffMember.objects.all(), actor, MANAGE, pk=staff_id)


def runs_of_school(*, actor: Actor, school: School) -> QuerySet[RotaRun]:
    return (
        RotaRun.objects.for_actor(actor, MANAGE)
        .filter(schools=school)
        .order_by("-created_at", "-pk")
    )


def run_get(*, actor: Actor, run_id: int) -> RotaRun:
    return get_for_actor_or_404(RotaRun.objects.all(), actor, MANAGE, pk=run_id)


@dataclass
class RunView:
    run: RotaRun
    by_day: list[tuple[dt.date, list[PlannedCall]]]
    unplaced: list[Any]
    load: list[tuple[StaffMember, int]]


def run_detail(*, actor: Actor, run: RotaRun) -> RunView:
    calls = list(
        PlannedCall.objects.filter(run=run)
        .select_related("household", "staff")
        .order_by("day", "staff__last_name", "household__name")
    )
    days: dict[dt.date, list[PlannedCall]] = defaultdict(list)
    load: dict[int, int] = defaultdict(int)
    staff: dict[int, StaffMember] = {}
    for c in calls:
        days[c.day].append(c)
        load[c.staff_id] += 1
        staff[c.staff_id] = c.staff
    return RunView(
        run=run,
        by_day=sorted(days.items()),
        unplaced=list(run.unplaced.select_related("household")),
        load=sorted(((staff[s], n) for s, n in load.items()), key=lambda r: -r[1]),
    )


def escalations_of_school(*, actor: Actor, school: School, open_only: bool = True) -> Any:
    qs = Escalation.objects.for_actor(actor, MANAGE).filter(school=school)
    if open_only:
        qs = qs.filter(status=EscalationStatus.OPEN)
    steps = Prefetch("steps", queryset=EscalationStep.objects.order_by("opened_at", "pk"))
    return qs.select_related("household").prefetch_related(steps)


def escalation_get_for_viewing(*, actor: Actor, escalation_id: int) -> Escalation:
    """An escalation with its attempts and steps (else 404), and the audited read of it."""
    escalation = get_for_actor_or_404(
        Escalation.objects.select_related("household", "school"),
        actor,
        MANAGE,
        pk=escalation_id,
    )
    record_read("welfare.escalation_viewed", actor=actor, target=escalation)
    return escalation


def step_get(*, actor: Actor, step_id: int) -> EscalationStep:
    return get_for_actor_or_404(
        EscalationStep.objects.select_related("escalation"), actor, MANAGE, pk=step_id
    )


# --- coverage -------------------------------------------------------------------------------


@dataclass
class Tally:
    due: int = 0
    made: int = 0
    reached: int = 0

    @property
    def percent_reached(self) -> int:
        return round(100 * self.reached / self.due) if self.due else 0


@dataclass
class Coverage:
    first: dt.date
    last: dt.date
    by_tier: list[tuple[str, Tally]] = field(default_factory=list)
    by_caller: list[tuple[str, Tally]] = field(default_factory=list)
    total: Tally = field(default_factory=Tally)


def school_calls(*, actor: Actor, school: School, first: dt.date, last: dt.date) -> Any:
    """The school's planned calls from ``first`` to ``last`` (families with a child there)."""
    return (
        PlannedCall.objects.for_actor(actor, VIEW)
        .filter(
            run__status__in=LIVE_RUNS,
            household__pupils__school=school,
            day__gte=first,
            day__lte=last,
        )
        .exclude(status=CallStatus.MOVED)
        .distinct()
    )


def coverage(*, actor: Actor, school: School, first: dt.date, last: dt.date) -> Coverage:
    """Calls due, made and reaching someone, per tier and per caller, from ``first`` to
    ``last``."""
    calls = list(
        school_calls(actor=actor, school=school, first=first, last=last).select_related("staff")
    )
    logs: dict[int, list[CallLog]] = defaultdict(list)
    for entry in CallLog.objects.filter(planned_call__in=[c.pk for c in calls]):
        logs[entry.planned_call_id or 0].append(entry)
    tiers: dict[str, Tally] = {t: Tally() for t in TIER_ORDER}
    callers: dict[str, Tally] = defaultdict(Tally)
    result = Coverage(first=first, last=last)
    for c in calls:
        made = logs.get(c.pk, [])
        for tally in (tiers[c.tier], callers[c.staff.full_name], result.total):
            tally.due += 1
            tally.made += bool(made)
            tally.reached += any(e.reached for e in made)
    result.by_tier = [(Tier(t).label, tiers[t]) for t in TIER_ORDER]
    result.by_caller = sorted(callers.items())
    return result


def export_rows(*, actor: Actor, school: School, first: dt.date, last: dt.date) -> list[list[str]]:
    """The school's calls as rows for the CSV: never a phone number."""
    calls = (
        school_calls(actor=actor, school=school, first=first, last=last)
        .select_related("household", "staff")
        .order_by("day", "staff__last_name", "household__name", "pk")
    )
    logs: dict[int, CallLog] = {}
    for entry in CallLog.objects.filter(planned_call__in=[c.pk for c in calls]).order_by("made_at"):
        logs[entry.planned_call_id or 0] = entry
    rows = [["day", "family", "tier", "caller", "outcome", "spoke_to_child", "notes"]]
    for c in calls:
        found = logs.get(c.pk)
        rows.append(
            [
                c.day.isoformat(),
                c.household.name,
                c.tier,
                c.staff.full_name,
                found.get_outcome_display() if found else "not yet called",
                ("yes" if found.spoke_to_child else "no") if found else "",
                found.notes if found else "",
            ]
        )
    return rows


def day_sheets(*, actor: Actor, school: School, day: dt.date) -> list[tuple[str, list[Any]]]:
    """Every caller's calls on ``day`` for the printed sheets (no phone numbers)."""
    calls = (
        school_calls(actor=actor, school=school, first=day, last=day)
        .select_related("household", "household__welfare_preference", "staff")
        .order_by("staff__last_name", "staff__first_name", "household__name")
    )
    sheets: dict[str, list[Any]] = defaultdict(list)
    for c in calls:
        sheets[c.staff.full_name].append(c)
    return list(sheets.items())
