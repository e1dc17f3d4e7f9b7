"""Demo sessions: the coming week of live calls in every demo school, in each state a DSL meets
(steps to do, approved and ready, not approved, cancelled), planned through the same services
as the web form by the demo's own staff logins. Called by ``chaperone demo``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from django.utils import timezone

from chaperone.core.extensions import DemoData
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffMember
from chaperone.protocols.effective import effective_protocol_for_school
from chaperone.scheduling import services
from chaperone.scheduling.models import (
    ParentalConsent,
    RiskAssessment,
    Session,
    SessionDecision,
    SessionPupil,
    SessionStep,
    StepKind,
    StepState,
)
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor, roles_with

DEMO_RISK = {
    "why_remote": "The pupil is learning at home this week; the check-in cannot wait.",
    "known_risks": "Nothing on file beyond the pastoral plan.",
    "controls": "School account and device, waiting room on, DSL invited, call recorded.",
    "if_concern": "End the call, report to the DSL at once and log it.",
}

#: (title, kind, purpose, day offset, hour, pupils, what happens after planning)
PLANS: tuple[tuple[str, str, str, int, int, int, str], ...] = (
    ("Year 9 maths catch-up", "group", "teaching", 1, 10, 5, "as planned"),
    ("Weekly pastoral check-in", "one_to_one", "pastoral", 1, 13, 1, "approved"),
    ("Reading support", "one_to_one", "sen_support", 2, 11, 1, "awaiting approval"),
    ("Counselling follow-up", "one_to_one", "counselling", 3, 14, 1, "not approved"),
    ("Science revision group", "group", "teaching", 3, 15, 6, "as planned"),
    ("Attendance check-in", "one_to_one", "pastoral", 4, 12, 1, "cancelled"),
    ("Music lesson", "one_to_one", "music_tuition", 5, 16, 1, "awaiting approval"),
    # sessions (parents): evening tuition, for which a protocol may ask parents' consent (the
    # outbox then holds the request a newcomer can answer as the parent)
    ("Evening maths tuition", "one_to_one", "academic_tuition", 2, 18, 1, "awaiting consent"),
)


def _weekday(start: dt.date, offset: int) -> dt.date:
    day = start + dt.timedelta(days=offset)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _variants(data: services.PlanData) -> Iterator[services.PlanData]:
    """The plan, then the same plan made safer step by step (what a careful host would do when
    the protocol refuses the first version)."""
    yield data
    yield replace(data, recording=True, dsl_invited=True)
    yield replace(data, recording=True, dsl_invited=True, parent_present=True)
    yield replace(data, recording=False, dsl_invited=True, parent_present=True)


def _hosts(school: School) -> list[StaffMember]:
    plan_roles = roles_with("session.plan") - roles_with("session.approve")
    return list(
        StaffMember.objects.filter(
            assignments__school=school,
            assignments__role__in=sorted(plan_roles),
            assignments__awaiting_confirmation=False,
            user__isnull=False,
            is_active=True,
        )
        .distinct()
        .order_by("staff_ref")
    )


def _approver(school: School) -> StaffMember | None:
    return (
        StaffMember.objects.filter(
            assignments__school=school,
            assignments__role__in=sorted(roles_with("session.approve")),
            assignments__awaiting_confirmation=False,
            user__isnull=False,
            is_active=True,
        )
        .distinct()
        .order_by("staff_ref")
        .first()
    )


def load_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    for _, schools in trust_and_schools:
        for school in schools:
            _load_school(school)


def _load_school(school: School) -> None:
    tz = ZoneInfo(school.time_zone)
    today = timezone.localtime(timezone.now(), tz).date()
    if effective_protocol_for_school(school, on=today) is None:
        return
    hosts, approver = _hosts(school), _approver(school)
    pupils = list(Pupil.objects.filter(school=school, is_active=True).order_by("upn")[:40])
    if not hosts or approver is None or len(pupils) < 10:
        return
    next_pupil = 0
    for n, (title, kind, purpose, offset, hour, count, then) in enumerate(PLANS):
        host = hosts[n % len(hosts)]
        chosen = pupils[next_pupil : next_pupil + count]
        next_pupil += count
        starts = dt.datetime.combine(_weekday(today, offset), dt.time(hour, 0), tzinfo=tz)
        data = services.PlanData(
            title=title,
            kind=kind,
            purpose=purpose,
            starts_at=starts,
            duration_minutes=30 if kind != "group" else 45,
            platform="teams",
            host=host,
            pupils=chosen,
            join_url="https://teams.example.invalid/meet/demo-" + str(n + 1),
            waiting_room=True,
            plan_outcome="Progress towards the target in the pupil's plan."
            if kind != "group"
            else "",
        )
        host_actor = actor_for_user(host.user)
        session = None
        for variant in _variants(data):
            try:
                session = services.session_plan(actor=host_actor, school=school, data=variant)
            except (services.PlanRefused, services.PlanProblem):
                continue
            break
        if session is None:
            continue
        _follow_up(session, then, host_actor, actor_for_user(approver.user))


def _follow_up(session: Session, then: str, host_actor: Actor, approver_actor: Actor) -> None:
    steps = {s.kind: s for s in session.steps.all()}
    invite = steps.get(StepKind.INVITE_DSL)
    if then != "cancelled" and invite is not None and invite.state != StepState.DONE:
        services.session_invite_dsl(actor=host_actor, session=session)
    if StepKind.APPROVAL in steps:
        if then == "approved":
            services.session_approve(
                actor=approver_actor, session=session, approve=True, risk=DEMO_RISK
            )
        elif then == "not approved":
            services.session_approve(
                actor=approver_actor,
                session=session,
                approve=False,
                note="Please run this as a small group with a second adult instead.",
                risk=None,
            )
    elif StepKind.RISK_ASSESSMENT in steps and then == "approved":
        services.session_assess_risk(actor=approver_actor, session=session, risk=DEMO_RISK)
    if then == "cancelled":
        services.session_cancel(
            actor=host_actor, session=session, reason="The pupil is back in school this week."
        )


def delete_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    school_ids = [s.pk for _, schools in trust_and_schools for s in schools]
    sessions = Session.objects.filter(school_id__in=school_ids)
    ParentalConsent.objects.filter(school_id__in=school_ids).delete()
    SessionDecision.objects.filter(session__in=sessions).delete()
    RiskAssessment.objects.filter(session__in=sessions).delete()
    SessionStep.objects.filter(session__in=sessions).delete()
    SessionPupil.objects.filter(session__in=sessions).delete()
    sessions.delete()


#: the scheduling app's part of ``chaperone demo`` (see :mod:`chaperone.core.extensions`)
DEMO = DemoData(load=load_for_demo_tenants, delete=delete_for_demo_tenants)
