"""Making the calls: a caller's sheet for the day, recording a call in a few seconds, a retry on
another day when the family was not reached, and raising a concern in the same step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from chaperone.audit.log import record, record_read
from chaperone.concerns.models import Concern
from chaperone.people.models import Contact, Pupil
from chaperone.people.selectors import holders_at_school
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.welfare.models import (
    KEY_QUESTIONS,
    WEEKDAYS,
    CallerAvailability,
    CallLog,
    CallStatus,
    HouseholdPreference,
    Outcome,
    PlannedCall,
    RunStatus,
    Tier,
)
from chaperone.welfare.need import WelfareProblem
from chaperone.welfare.planning import QUALIFIED

CALL = "welfare.call"
LIVE_RUNS = (RunStatus.PLANNED, RunStatus.GAPS, RunStatus.REPLACED)


@dataclass
class SheetRow:
    call: PlannedCall
    pupils: list[Pupil]
    preference: HouseholdPreference | None
    last_notes: list[CallLog]
    #: the family's numbers: only on the day, only to the assigned caller (else empty)
    contacts: list[Contact]
    made: CallLog | None


def _live_calls() -> Any:
    return PlannedCall.objects.filter(run__status__in=LIVE_RUNS).exclude(status=CallStatus.MOVED)


def call_sheet(*, actor: Actor, school: School, day: dt.date, today: dt.date) -> list[SheetRow]:
    """The actor's calls on ``day`` with each family's preferences and latest notes. Phone
    numbers come with them only when ``day`` is today, and that read is audited."""
    if actor.staff_id is None or not actor.can(CALL, school.pk):
        raise PermissionDenied("Only members of staff make welfare calls.")
    calls = list(
        _live_calls()
        .filter(staff_id=actor.staff_id, day=day)
        .select_related("household")
        .order_by("household__name", "pk")
    )
    household_ids = [c.household_id for c in calls]
    pupils: dict[int, list[Pupil]] = {}
    for p in Pupil.objects.filter(household_id__in=household_ids, is_active=True).select_related(
        "school"
    ):
        pupils.setdefault(p.household_id or 0, []).append(p)
    prefs = {
        p.household_id: p for p in HouseholdPreference.objects.filter(household__in=household_ids)
    }
    notes: dict[int, list[CallLog]] = {}
    for entry in CallLog.objects.filter(household_id__in=household_ids).select_related("caller"):
        if len(notes.setdefault(entry.household_id, [])) < 3:
            notes[entry.household_id].append(entry)
    with_numbers = day == today
    contacts: dict[int, list[Contact]] = {}
    if with_numbers and calls:
        for c in Contact.objects.filter(household_id__in=household_ids).order_by("priority"):
            contacts.setdefault(c.household_id, []).append(c)
        record_read(
            "welfare.call_sheet_viewed",
            actor=actor,
            target=school,
            details={"day": day.isoformat(), "families": len(calls)},
        )
    made = {
        log.planned_call_id: log
        for log in CallLog.objects.filter(planned_call__in=[c.pk for c in calls])
    }
    return [
        SheetRow(
            call=c,
            pupils=pupils.get(c.household_id, []),
            preference=prefs.get(c.household_id),
            last_notes=[n for n in notes.get(c.household_id, []) if n.planned_call_id != c.pk],
            contacts=contacts.get(c.household_id, []),
            made=made.get(c.pk),
        )
        for c in calls
    ]


def planned_call_for_caller(*, actor: Actor, call_id: int) -> PlannedCall:
    """One of the actor's own planned calls (anyone else's, or another school's, is a 404)."""
    call = (
        _live_calls()
        .for_actor(actor, CALL)
        .filter(pk=call_id, staff_id=actor.staff_id)
        .select_related("household", "run")
        .first()
        if actor.staff_id is not None
        else None
    )
    if call is None:
        raise Http404("No such call.")
    return call


def call_record(
    *,
    actor: Actor,
    call: PlannedCall,
    outcome: str,
    answers: dict[str, str] | None = None,
    notes: str = "",
    concern: str = "",
    day: dt.date | None = None,
) -> CallLog:
    """Record one attempt at the planned ``call``: its outcome, the key questions, notes, and
    (with ``concern``) a safeguarding concern raised in the same step. A family not reached
    gets a retry on another day, and two failed days send it to the DSL."""
    if call.staff_id != actor.staff_id:
        raise PermissionDenied("Only the assigned caller records this call.")
    if outcome not in Outcome.values:
        raise WelfareProblem(
            "outcome", f"Outcome: choose what happened ('{outcome}' is not an outcome)."
        )
    answers = answers or {}
    for key, value in answers.items():
        if key not in KEY_QUESTIONS or value not in ("", "fine", "worry"):
            raise WelfareProblem(key, f"{key.capitalize()}: choose fine, a worry or not asked.")
    day = day or timezone.localdate()
    with transaction.atomic():
        entry = CallLog.objects.create(
            household_id=call.household_id,
            planned_call=call,
            caller_id=actor.staff_id,
            day=day,
            outcome=outcome,
            spoke_to_child=outcome == Outcome.SPOKE_TO_CHILD,
            notes=notes.strip(),
            **{k: answers.get(k, "") for k in KEY_QUESTIONS},
        )
        PlannedCall.objects.filter(pk=call.pk).update(status=CallStatus.MADE)
        if concern.strip():
            raised = raise_concern_from_call(actor=actor, entry=entry, summary=concern)
            entry.concern = raised
            entry.save(update_fields=["concern"])
        record(
            "welfare.call_recorded",
            actor=actor,
            target=entry,
            details={"outcome": outcome, "concern": bool(concern.strip())},
        )
        if not entry.reached:
            retry_schedule(call=call, after=day)
            from chaperone.welfare.escalation import escalations_raise_due

            escalations_raise_due(day=day, household_ids=[call.household_id])
    return entry


def raise_concern_from_call(*, actor: Actor, entry: CallLog, summary: str) -> Concern:
    """The one place the welfare app raises a concern: through the concerns app's service,
    about the family's children at a school where the caller may raise one."""
    from chaperone.concerns.models import ConcernSource, PupilRole
    from chaperone.concerns.services import ConcernProblem, concern_raise

    pupils = list(Pupil.objects.filter(household_id=entry.household_id, is_active=True))
    schools = {p.school_id for p in pupils if actor.can("concern.raise", p.school_id)}
    if not schools:
        raise WelfareProblem("concern", "Concern: you cannot raise concerns at this school.")
    school = School.objects.get(pk=min(schools))
    try:
        concern = concern_raise(
            actor=actor,
            school=school,
            pupils_with_roles=[(p, PupilRole.SUBJECT) for p in pupils if p.school_id == school.pk],
            summary=summary,
            source=ConcernSource.WELFARE_CALL,
            source_label=f"Welfare call on {date_format(entry.day, 'j F Y')}",
            source_ref=str(entry.pk),
        )
    except ConcernProblem as problem:
        raise WelfareProblem("concern", problem.message) from problem
    record("welfare.concern_raised", actor=actor, target=entry, details={"concern": concern.pk})
    return concern


def retry_schedule(*, call: PlannedCall, after: dt.date) -> PlannedCall | None:
    """Another try on a later day of the rota, when the family has no call planned for one:
    the same caller on their next day with room; when they have none, the earliest later day
    on which another caller who may call the family (a role at one of its children's schools
    in the rota, qualified where its tier needs it, not away) has room, the least busy first.
    Days the family asked to avoid are skipped."""
    later = _live_calls().filter(household_id=call.household_id, day__gt=after)
    if later.exists():
        return None
    run = call.run
    pref = HouseholdPreference.objects.filter(household_id=call.household_id).first()
    avoid = set(pref.avoid_day_list) if pref else set()
    days = [
        day
        for day in (dt.date.fromisoformat(iso) for iso in run.days)
        if day > after and WEEKDAYS[day.weekday()] not in avoid
    ]
    if not days:
        return None
    callers = {
        a.staff_id: a
        for a in CallerAvailability.objects.filter(
            staff_id__in=[call.staff_id, *_other_callers(call)], staff__is_active=True
        )
    }
    loads: dict[tuple[int, dt.date], int] = {}
    for staff_id, day in (
        _live_calls()
        .filter(staff_id__in=list(callers), day__in=days)
        .values_list("staff_id", "day")
    ):
        loads[(staff_id, day)] = loads.get((staff_id, day), 0) + 1

    def has_room(staff_id: int, day: dt.date) -> bool:
        availability = callers.get(staff_id)
        return (
            availability is not None
            and WEEKDAYS[day.weekday()] in set(availability.day_list)
            and loads.get((staff_id, day), 0) < availability.calls_per_day
        )

    # the same caller keeps the family wherever they can
    choice = next(((call.staff_id, d) for d in days if has_room(call.staff_id, d)), None)
    if choice is None:
        others = sorted(s for s in callers if s != call.staff_id)
        for day in days:
            free = [s for s in others if has_room(s, day)]
            if free:
                best = min(
                    free, key=lambda s: (loads.get((s, day), 0) / callers[s].calls_per_day, s)
                )
                choice = (best, day)
                break
    if choice is None:
        return None
    staff_id, day = choice
    return PlannedCall.objects.create(
        run=run,
        household_id=call.household_id,
        staff_id=staff_id,
        day=day,
        tier=call.tier,
        is_retry=True,
    )


def _other_callers(call: PlannedCall) -> list[int]:
    """Who else may take the family's retry: the holders of ``welfare.call`` (and of
    ``welfare.call_vulnerable`` unless every child is called fortnightly) at one of its
    children's schools that the rota covers, but those away for a re-plan."""
    run_schools = set(call.run.schools.values_list("pk", flat=True))
    schools = sorted(
        set(
            Pupil.objects.filter(household_id=call.household_id, is_active=True).values_list(
                "school_id", flat=True
            )
        )
        & run_schools
    )
    away = {int(s) for s in call.run.absent_staff}
    found: set[int] = set()
    for school_id in schools:
        may_call = set(
            holders_at_school(action=CALL, school_id=school_id).values_list("pk", flat=True)
        )
        if call.tier != Tier.FORTNIGHTLY:
            may_call &= set(
                holders_at_school(action=QUALIFIED, school_id=school_id).values_list(
                    "pk", flat=True
                )
            )
        found |= may_call
    return sorted(found - away - {call.staff_id})
