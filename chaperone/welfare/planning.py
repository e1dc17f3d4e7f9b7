"""The rota: the app's families and callers turned into the planner's input
(``../shared/contracts/rota-plan.md``), planned by :func:`chaperone.rota.plan_from_dict`, and the
plan stored (the calls, and what could not be placed with its reason in the DSL's words).

A run covers school days of a closure and every school the person asking may plan for (the whole
trust for its administrators). Households are trust-wide, so a family with children at two of the
trust's schools is one household with one call. The key adult is the family's previous caller.
A re-plan after an absence hands the old plan to the planner as ``previous`` so that only the
families who must move do.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import holidays
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format

from chaperone.audit.log import record
from chaperone.people.models import Household, Pupil, StaffAssignment, StaffMember
from chaperone.people.selectors import holders_at_school
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import SYSTEM, Actor
from chaperone.welfare.models import (
    WEEKDAYS,
    CallerAvailability,
    CallLog,
    CallStatus,
    HouseholdPreference,
    PlannedCall,
    RotaRun,
    RunStatus,
    UnplacedContact,
)
from chaperone.welfare.need import MANAGE, WelfareProblem, pupil_tier

log = logging.getLogger(__name__)

QUALIFIED = "welfare.call_vulnerable"
#: rotas whose calls stand (a replaced one keeps its calls before the re-plan's first day)
OTHERS_LIVE = (RunStatus.PLANNED, RunStatus.GAPS, RunStatus.REPLACED)
CALL = "welfare.call"
MAX_DAYS = 60


def school_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday to Friday from ``first`` to ``last``, England's bank holidays left out."""
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    days = []
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        day = dt.date.fromordinal(ordinal)
        if day.weekday() < 5 and day not in bank:
            days.append(day)
    return days


def _staff_id(pk: int) -> str:
    return f"st-{pk}"


def _household_id(pk: int) -> str:
    return f"hh-{pk}"


def _pk(contract_id: str) -> int:
    return int(contract_id.split("-", 1)[1])


def rota_request(
    *,
    actor: Actor,
    schools: Sequence[School],
    first_day: dt.date,
    last_day: dt.date,
    title: str = "",
) -> RotaRun:
    """Ask for a rota of ``schools`` over the school days from ``first_day`` to ``last_day``;
    the planning runs as a background task once this commits."""
    if not schools:
        raise WelfareProblem("schools", "Schools: choose at least one school.")
    if any(not actor.can(MANAGE, s.pk) for s in schools):
        raise PermissionDenied("Only the DSL plans the welfare call rota of a school.")
    if last_day < first_day:
        raise WelfareProblem("last_day", "Last day: it must not come before the first day.")
    if abs(first_day.year - timezone.localdate().year) > 10:
        raise WelfareProblem("first_day", "First day: choose a date in the next few years.")
    if (last_day - first_day).days > 7 * MAX_DAYS:
        raise WelfareProblem("last_day", f"Last day: a rota covers at most {MAX_DAYS} school days.")
    days = school_days(first_day, last_day)
    if not days:
        raise WelfareProblem("first_day", "First day: there is no school day in these dates.")
    if len(days) > MAX_DAYS:
        raise WelfareProblem("last_day", f"Last day: a rota covers at most {MAX_DAYS} school days.")
    trust_id = schools[0].trust_id
    with transaction.atomic():
        run = RotaRun.objects.create(
            trust_id=trust_id,
            title=title.strip()[:120] or f"Closure from {date_format(first_day, 'j F Y')}",
            first_day=days[0],
            last_day=days[-1],
            days=[d.isoformat() for d in days],
            created_by_id=actor.staff_id,
        )
        run.schools.set(schools)
        record("welfare.rota_requested", actor=actor, target=run, details={"days": len(days)})
        _enqueue(run.pk)
    return run


def rota_replan(
    *,
    actor: Actor,
    run: RotaRun,
    absent_staff: Sequence[StaffMember],
    from_day: dt.date,
) -> RotaRun:
    """Plan ``run`` again from ``from_day`` with ``absent_staff`` away: a new run, whose
    planner sees the old plan (only families whose caller is away should move)."""
    school_ids = list(run.schools.values_list("pk", flat=True))
    if any(not actor.can(MANAGE, s) for s in school_ids):
        raise PermissionDenied("Only the DSL re-plans the welfare call rota.")
    if run.status not in (RunStatus.PLANNED, RunStatus.GAPS):
        raise WelfareProblem("run", "Rota: only a planned rota can be re-planned.")
    days = [d for d in run.days if d >= from_day.isoformat()]
    if not days:
        raise WelfareProblem("from_day", "From: no day of this rota is left from that date.")
    with transaction.atomic():
        new = RotaRun.objects.create(
            trust_id=run.trust_id,
            title=run.title,
            first_day=dt.date.fromisoformat(days[0]),
            last_day=dt.date.fromisoformat(days[-1]),
            days=days,
            replans=run,
            absent_staff=sorted(s.pk for s in absent_staff),
            replan_from=from_day,
            created_by_id=actor.staff_id,
        )
        new.schools.set(school_ids)
        record(
            "welfare.replan_requested",
            actor=actor,
            target=new,
            details={"replans": run.pk, "absent": len(absent_staff)},
        )
        _enqueue(new.pk)
    return new


def _enqueue(run_id: int) -> None:
    from chaperone.welfare.tasks import plan_rota

    transaction.on_commit(lambda: plan_rota.enqueue(run_id))


# --- the planner's input --------------------------------------------------------------------


def _households(run: RotaRun, school_ids: list[int]) -> list[Household]:
    """Every household with an active pupil at one of the run's schools, with all its active
    pupils of the trust (siblings at the trust's other schools included)."""
    pupils = Prefetch(
        "pupils",
        queryset=Pupil.objects.filter(is_active=True)
        .select_related("school", "welfare_need")
        .order_by("pk"),
        to_attr="active_pupils",
    )
    return list(
        Household.objects.filter(
            trust_id=run.trust_id, pupils__school_id__in=school_ids, pupils__is_active=True
        )
        .distinct()
        .prefetch_related(pupils)
        .order_by("pk")
    )


def _key_adults(household_ids: list[int], previous: RotaRun | None) -> dict[int, int]:
    """Each family's previous caller: who last called them, else who the rota before had."""
    keys: dict[int, int] = {}
    if previous is not None:
        for hh, staff in (
            PlannedCall.objects.filter(run=previous)
            .order_by("day", "pk")
            .values_list("household_id", "staff_id")
        ):
            keys.setdefault(hh, staff)
    for hh, staff in (
        CallLog.objects.filter(household_id__in=household_ids)
        .order_by("made_at", "pk")
        .values_list("household_id", "caller_id")
    ):
        keys[hh] = staff
    return keys


def planner_input(run: RotaRun) -> tuple[dict[str, Any], list[str]]:
    """The contract's input for ``run`` and the warnings about who was left out, in words."""
    school_ids = list(run.schools.values_list("pk", flat=True))
    urn = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "urn"))
    # siblings at the trust's other schools are in the household too (their tier counts)
    all_urns = dict(School.objects.filter(trust_id=run.trust_id).values_list("pk", "urn"))
    days = list(run.days)
    away = set(run.absent_staff)
    warnings: list[str] = []
    qualified: set[int] = set()
    for school_id in school_ids:
        qualified |= set(
            holders_at_school(action=QUALIFIED, school_id=school_id).values_list("pk", flat=True)
        )
    # the schools where each member of staff may make welfare calls (a school administrator,
    # say, may not, whatever availability was entered for them)
    staff_schools: dict[int, set[str]] = defaultdict(set)
    for school_id in school_ids:
        for staff_id in holders_at_school(action=CALL, school_id=school_id).values_list(
            "pk", flat=True
        ):
            staff_schools[staff_id].add(urn[school_id])
    staff_rows: list[dict[str, Any]] = []
    callers = (
        CallerAvailability.objects.filter(staff__trust_id=run.trust_id, staff__is_active=True)
        .select_related("staff")
        .order_by("staff_id")
    )
    for availability in callers:
        staff = availability.staff
        schools = sorted(staff_schools.get(staff.pk, ()))
        if not schools:
            if not StaffAssignment.objects.filter(staff=staff, school__isnull=False).exists():
                warnings.append(f"{staff.full_name} has no school, so was left out of the rota.")
            continue
        weekdays = set(availability.day_list)
        on = [d for d in days if WEEKDAYS[dt.date.fromisoformat(d).weekday()] in weekdays]
        staff_rows.append(
            {
                "id": _staff_id(staff.pk),
                "schools": schools,
                "qualified": staff.pk in qualified,
                "calls_per_day": int(availability.calls_per_day),
                "days": [] if staff.pk in away else on,
            }
        )
    households = _households(run, school_ids)
    prefs = {
        p.household_id: p
        for p in HouseholdPreference.objects.filter(household__in=[h.pk for h in households])
    }
    keys = _key_adults([h.pk for h in households], run.replans)
    callers_by_id = {row["id"] for row in staff_rows}
    rows: list[dict[str, Any]] = []
    for household in households:
        row: dict[str, Any] = {
            "id": _household_id(household.pk),
            "pupils": [
                {"id": f"p-{p.pk}", "school": all_urns[p.school_id], "tier": pupil_tier(p)}
                for p in household.active_pupils  # type: ignore[attr-defined]
            ],
        }
        key = keys.get(household.pk)
        row["key_adult"] = _staff_id(key) if key and _staff_id(key) in callers_by_id else None
        pref = prefs.get(household.pk)
        if pref and pref.avoid_day_list:
            avoid = set(pref.avoid_day_list)
            row["avoid_days"] = [
                d for d in days if WEEKDAYS[dt.date.fromisoformat(d).weekday()] in avoid
            ]
        rows.append(row)
    rows, left = _leave_to_other_rotas(run, rows)
    warnings.extend(left)
    return {"days": days, "staff": staff_rows, "households": rows}, warnings


def _leave_to_other_rotas(
    run: RotaRun, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """One call per family, however many rotas: a family that another live rota of the trust
    (another school's, the trust's own, or an earlier rota of the same school) already calls on
    some of these days is left to that rota there. Where the other rota makes every call a
    period of the family's tier needs (a weekly family called once that week), this rota leaves
    the whole period out; otherwise it leaves out the other rota's days (avoided days to the
    planner). A family with no day left is left out altogether. The rotas this one re-plans are
    not "other" rotas, and a replaced rota covers only the days before its re-plan. Returns the
    rows to plan and a warning per other rota, in words."""
    from chaperone.rota import tier_periods  # the planner loads when a plan is made, not before

    days = list(run.days)
    day_set = set(days)
    lineage: set[int] = set()
    parent = run.replans_id
    while parent is not None and parent not in lineage:
        lineage.add(parent)
        parent = RotaRun.objects.filter(pk=parent).values_list("replans_id", flat=True).first()
    others = (
        RotaRun.objects.filter(trust_id=run.trust_id, status__in=OTHERS_LIVE)
        .exclude(pk=run.pk)
        .exclude(pk__in=lineage)
        .prefetch_related("schools")
    )
    candidates = {o.pk: o for o in others if day_set & set(o.days)}
    if not candidates:
        return rows, []
    # a replaced rota's calls from its re-plan's first day on were moved to the re-plan
    replaced_from = {
        old: first.isoformat()
        for old, first in RotaRun.objects.filter(replans_id__in=list(candidates)).values_list(
            "replans_id", "first_day"
        )
    }
    live_days = {
        pk: live
        for pk, o in candidates.items()
        if (live := {d for d in o.days if d in day_set and d < replaced_from.get(pk, "9999-12-31")})
    }
    if not live_days:
        return rows, []
    ids = [_pk(row["id"]) for row in rows]
    covered: dict[int, set[str]] = defaultdict(set)
    made: dict[int, set[str]] = defaultdict(set)
    by_run: dict[int, set[int]] = defaultdict(set)
    for run_id, household_id, day in (
        PlannedCall.objects.filter(run_id__in=list(live_days), household_id__in=ids)
        .exclude(status=CallStatus.MOVED)
        .values_list("run_id", "household_id", "day")
    ):
        covered[household_id] |= live_days[run_id]
        made[household_id].add(day.isoformat())
        by_run[run_id].add(household_id)
    kept: list[dict[str, Any]] = []
    whole: set[int] = set()
    periods_of: dict[str, list[tuple[list[str], int]]] = {}
    for row in rows:
        pk = _pk(row["id"])
        taken = covered.get(pk)
        if not taken:
            kept.append(row)
            continue
        avoid = set(row.get("avoid_days") or [])
        tier = household_tier_of_rows(row["pupils"])
        if tier not in periods_of:
            periods_of[tier] = tier_periods(days, tier)
        for period, due in periods_of[tier]:
            here = taken.intersection(period)
            if not here:
                continue
            if len(made[pk].intersection(period)) >= due:
                avoid.update(period)  # the other rota makes every call this period needs
            else:
                avoid |= here
        if avoid >= day_set:
            whole.add(pk)
            continue
        row["avoid_days"] = sorted(avoid)
        kept.append(row)
    warnings = []
    for run_id, households in sorted(by_run.items()):
        other = candidates[run_id]
        names = ", ".join(sorted(s.name for s in other.schools.all()))
        n, full = len(households), len(households & whole)
        warnings.append(
            f"{n} {'family' if n == 1 else 'families'} with children at {names} "
            f"{'is' if n == 1 else 'are'} already in the rota '{other.title}' for some or "
            f"all of these days, so this rota leaves those days to it"
            + (f" ({full} of them altogether)." if full else ".")
        )
    return kept, warnings


def _previous_plan(run: RotaRun) -> dict[str, Any] | None:
    if run.replans is None:
        return None
    calls = PlannedCall.objects.filter(run=run.replans).values_list(
        "household_id", "day", "staff_id"
    )
    return {
        "calls": [
            {"household": _household_id(h), "day": d.isoformat(), "staff": _staff_id(s)}
            for h, d, s in calls
        ],
        "unplaced": [],
        "stats": {},
    }


# --- planning and storing -----------------------------------------------------------------


def rota_plan(*, run_id: int, seconds: float = 10.0) -> RotaRun | None:
    """Plan a queued run and store what the planner made of it (idempotent: a run already
    planned is left alone). A plan with gaps is stored with its gaps; input the planner refuses
    marks the run failed with the planner's message and the field it names."""
    from chaperone.rota import RotaInputError, plan_from_dict

    with transaction.atomic():
        run = RotaRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return run
        # one plan at a time per trust, so each sees the calls the others stored (siblings)
        Trust.objects.select_for_update().filter(pk=run.trust_id).first()
        data, warnings = planner_input(run)
        run.warnings = warnings
        try:
            plan = plan_from_dict(data, seconds=seconds, previous=_previous_plan(run))
        except RotaInputError as exc:
            run.status = RunStatus.FAILED
            run.error = str(exc)
            run.stats = {"error": {"message": str(exc), "field": getattr(exc, "field", "")}}
            run.planned_at = timezone.now()
            run.save()
            record("welfare.rota_failed", actor=SYSTEM, target=run, details={"error": str(exc)})
            return run
        _store(run, data, plan)
    return run


def _store(run: RotaRun, data: dict[str, Any], plan: dict[str, Any]) -> None:
    tiers = {row["id"]: household_tier_of_rows(row["pupils"]) for row in data["households"]}
    PlannedCall.objects.bulk_create(
        PlannedCall(
            run=run,
            household_id=_pk(call["household"]),
            staff_id=_pk(call["staff"]),
            day=dt.date.fromisoformat(call["day"]),
            tier=tiers[call["household"]],
        )
        for call in plan["calls"]
    )
    UnplacedContact.objects.bulk_create(
        UnplacedContact(
            run=run,
            household_id=_pk(gap["household"]),
            period_start=dt.date.fromisoformat(gap["period"][0]),
            period_end=dt.date.fromisoformat(gap["period"][-1]),
            missing=int(gap["missing"]),
            reason=str(gap["reason"])[:20],
            message=str(gap["message"]),
        )
        for gap in plan["unplaced"]
    )
    if run.replans is not None:
        old = run.replans
        PlannedCall.objects.filter(
            run=old, day__gte=run.first_day, status=CallStatus.PLANNED
        ).update(status=CallStatus.MOVED)
        RotaRun.objects.filter(pk=old.pk).update(status=RunStatus.REPLACED)
    run.status = RunStatus.GAPS if plan["unplaced"] else RunStatus.PLANNED
    run.stats = dict(plan.get("stats", {}))
    run.planned_at = timezone.now()
    run.save()
    record(
        "welfare.rota_planned",
        actor=SYSTEM,
        target=run,
        details={"calls": len(plan["calls"]), "unplaced": run.stats.get("unplaced", 0)},
    )


def household_tier_of_rows(pupils: list[dict[str, Any]]) -> str:
    from chaperone.welfare.models import most_frequent

    return most_frequent([p["tier"] for p in pupils])
