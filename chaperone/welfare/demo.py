"""Demo welfare calls: a two-week closure in every demo trust, from the Monday of last week. The
callers are the demo staff with logins (so a newcomer signing in as one sees their sheet); the
rota is made by the real planner through the same services as the web pages; the days before
today have their calls recorded (most families reached, some not), one family per school is
missed on two days and so escalated to the DSL, and one escalation has its first step recorded.
Called by ``chaperone demo``."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from chaperone.core.extensions import DemoData
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Household, Pupil, StaffMember
from chaperone.people.selectors import holders_at_school
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import SYSTEM, roles_with
from chaperone.welfare import calls, escalation, need, planning, preferences
from chaperone.welfare.models import (
    CallerAvailability,
    CallLog,
    Escalation,
    HouseholdPreference,
    Outcome,
    PlannedCall,
    PupilNeed,
    RotaRun,
    Tier,
    TierChange,
    WelfareSettings,
)

#: what the demo's recorded calls say, by outcome
NOTES: dict[str, str] = {
    Outcome.SPOKE_TO_CHILD: "Spoke to the child on speaker with a parent in the room; all well.",
    Outcome.PARENT_ONLY: "Parent says everyone is fine; the child was asleep.",
    Outcome.NO_ANSWER: "Rang twice, no answer.",
    Outcome.VOICEMAIL: "Left a message asking them to ring the school office.",
    Outcome.WRONG_NUMBER: "The number on file is someone else's.",
}
#: outcomes of the recorded calls, one picked per call by a stable hash
SPREAD = (
    [Outcome.SPOKE_TO_CHILD] * 10
    + [Outcome.PARENT_ONLY] * 6
    + [Outcome.NO_ANSWER] * 2
    + [Outcome.VOICEMAIL, Outcome.WRONG_NUMBER]
)


def _closure_days(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return monday, monday + dt.timedelta(days=11)


def _callers(school: School) -> list[StaffMember]:
    """The school's staff with a login who may make welfare calls, but not the DSL and deputies
    (they take the escalations)."""
    makers = set(holders_at_school(action="welfare.call", school_id=school.pk))
    leads = set(holders_at_school(action="welfare.escalation_notice", school_id=school.pk))
    return sorted(
        (s for s in makers - leads if s.user_id is not None), key=lambda s: (s.last_name, s.pk)
    )


def _pick(call: PlannedCall) -> str:
    digest = hashlib.sha256(f"{call.household_id}:{call.day}".encode()).digest()
    return SPREAD[digest[0] % len(SPREAD)]


def load_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    today = timezone.localdate()
    first, last = _closure_days(today)
    for trust, schools in trust_and_schools:
        _load_trust(trust, list(schools), first, last, today)


def _load_trust(
    trust: Trust, schools: list[School], first: dt.date, last: dt.date, today: dt.date
) -> None:
    qualified = roles_with("welfare.call_vulnerable")
    for school in schools:
        for staff in _callers(school):
            is_qualified = staff.assignments.filter(role__in=sorted(qualified)).exists()
            preferences.availability_set(
                actor=SYSTEM,
                staff=staff,
                values={
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "hours_from": dt.time(9, 30),
                    "hours_to": dt.time(14, 30),
                    "calls_per_day": 10 if is_qualified else 8,
                    "school_phone": f"School office, extension {200 + staff.pk % 100}",
                    "withheld_number": "school_phone",
                },
            )
        _load_needs_and_preferences(school)
    run = planning.rota_request(
        actor=SYSTEM, schools=schools, first_day=first, last_day=last, title="Snow closure"
    )
    planning.rota_plan(run_id=run.pk, seconds=5.0)
    _record_past_calls(run, today)
    escalation.escalations_daily(day=today - dt.timedelta(days=1))
    _first_step_recorded(schools)


def _load_needs_and_preferences(school: School) -> None:
    pupils = list(Pupil.objects.filter(school=school, is_active=True).order_by("pk"))
    plain = [p for p in pupils if need.tier_from_flags(p) == Tier.FORTNIGHTLY]
    if len(plain) >= 2:
        need.tier_set(
            actor=SYSTEM,
            pupil=plain[0],
            tier="",
            known_to_us=True,
            reason="Known to us: the family has struggled since a bereavement in the autumn.",
        )
        need.tier_set(
            actor=SYSTEM,
            pupil=plain[1],
            tier=Tier.TWICE_WEEKLY,
            reason="Stepped up: the child told their tutor home has been tense lately.",
        )
    households = Household.objects.filter(pupils__school=school).distinct().order_by("pk")
    for n, household in enumerate(households[:30]):
        preferences.preferences_set(
            actor=SYSTEM,
            household=household,
            values={
                "channel": ["phone", "phone", "text", "email", "video"][n % 5],
                "avoid_days": ["fri"] if n % 7 == 0 else [],
                "avoid_times": "before 10am" if n % 4 == 0 else "",
                "language": "Polish" if n % 9 == 0 else "English",
                "ask_for": "Mum" if n % 3 == 0 else "",
            },
        )


def _record_past_calls(run: RotaRun, today: dt.date) -> None:
    past = list(
        PlannedCall.objects.filter(run=run, day__lt=today)
        .select_related("staff__user", "run")
        .order_by("day", "pk")
    )
    missed = _families_to_miss(run)
    actors = {}
    for call in past:
        if call.status != "planned":
            continue
        staff = call.staff
        if staff.pk not in actors:
            actors[staff.pk] = actor_for_user(staff.user)
        outcome = Outcome.NO_ANSWER if call.household_id in missed else _pick(call)
        with transaction.atomic():
            entry = calls.call_record(
                actor=actors[staff.pk],
                call=call,
                outcome=outcome,
                answers={"food": "fine", "safety": "fine"}
                if outcome in ("child", "parent")
                else {},
                notes=NOTES[outcome],
                day=call.day,
            )
            made = timezone.make_aware(dt.datetime.combine(call.day, dt.time(10, 15)))
            CallLog.objects.filter(pk=entry.pk).update(made_at=made)


def _families_to_miss(run: RotaRun) -> set[int]:
    """One daily-tier family per school is not reached on any day: it is escalated."""
    daily = (
        PlannedCall.objects.filter(run=run, tier=Tier.DAILY)
        .order_by("household_id")
        .values_list("household_id", flat=True)
        .distinct()
    )
    return set(list(daily)[: max(1, run.schools.count())])


def _first_step_recorded(schools: list[School]) -> None:
    for school in schools:
        item = Escalation.objects.filter(school=school).order_by("pk").first()
        dsl = (
            holders_at_school(action="welfare.manage", school_id=school.pk)
            .filter(user__isnull=False)
            .first()
        )
        if item is None or dsl is None or dsl.user is None:
            continue
        step = item.steps.order_by("pk").first()
        if step is not None and step.done_at is None:
            escalation.escalation_step_record(
                actor=actor_for_user(dsl.user),
                step=step,
                outcome="Checked the file and rang the other parent: no answer either. "
                "Asking the family's social worker.",
                resolved=False,
            )


def delete_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    trust_ids = [t.pk for t, _ in trust_and_schools]
    school_ids = [s.pk for _, schools in trust_and_schools for s in schools]
    CallLog.objects.filter(household__trust_id__in=trust_ids).delete()
    Escalation.objects.filter(school_id__in=school_ids).delete()
    RotaRun.objects.filter(trust_id__in=trust_ids).delete()
    HouseholdPreference.objects.filter(household__trust_id__in=trust_ids).delete()
    CallerAvailability.objects.filter(staff__trust_id__in=trust_ids).delete()
    TierChange.objects.filter(pupil__school_id__in=school_ids).delete()
    PupilNeed.objects.filter(pupil__school_id__in=school_ids).delete()
    WelfareSettings.objects.filter(school_id__in=school_ids).delete()


#: the welfare app's part of ``chaperone demo`` (see :mod:`chaperone.core.extensions`)
DEMO = DemoData(load=load_for_demo_tenants, delete=delete_for_demo_tenants)
