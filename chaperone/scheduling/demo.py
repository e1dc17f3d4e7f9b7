"""Demo sessions: the coming week of live calls in every demo school, in each state a DSL meets
(steps to do, approved and ready, not approved, cancelled), planned through the same services
as the web form by the demo's own staff logins; and last week's calls that ran, most of them
logged (see :func:`_load_past` for how they are dated in the past). Called by
``chaperone demo``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from django.utils import timezone

from chaperone.audit.log import AuditEntry, record_many
from chaperone.core.extensions import DemoData
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffMember
from chaperone.protocols.effective import effective_protocol_for_school
from chaperone.scheduling import conduct, services
from chaperone.scheduling.models import (
    ParentalConsent,
    RiskAssessment,
    Session,
    SessionDecision,
    SessionPupil,
    SessionState,
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
    _load_past(school, hosts, approver)


# --- calls that already ran (issue #9, part 7-8) ------------------------------------------------

#: (title, kind, purpose, days ago, hour, pupils, logged)
PAST: tuple[tuple[str, str, str, int, int, int, bool], ...] = (
    ("Year 9 maths catch-up", "group", "teaching", 7, 10, 5, True),
    ("Weekly pastoral check-in", "one_to_one", "pastoral", 6, 13, 1, True),
    ("Reading support", "one_to_one", "sen_support", 5, 11, 1, True),
    ("Science revision group", "group", "teaching", 4, 15, 6, False),
)

DEMO_LOG_NOTES = "Went as planned; the pupil was engaged throughout."
DEMO_LOG_OUTCOME = "Agreed the next small step towards the target; review next week."


def _past_weekday(today: dt.date, days_ago: int) -> dt.date:
    day = today - dt.timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _load_past(school: School, hosts: list[StaffMember], approver: StaffMember) -> None:
    """Sessions of last week that ran, most of them logged.

    The services refuse a plan in the past and open a call only near its time, and the demo has
    no clock of its own. So each call is planned through the services for the same time a few
    weeks ahead (the protocol judges it and its steps are done as for any plan), and then, here
    only, the rows are rewritten to what opening, ending and logging it on the past day would
    have stored: the time moved back, the start-of-call checklist from its stored decision,
    attendance, the end, and the log. The audit log gets the events the run would have written
    (opened, ended, logged), by the host, dated today as every audit row is (the chain is in
    time order) and carrying ``ran_at`` and ``demo`` in their details."""
    tz = ZoneInfo(school.time_zone)
    today = timezone.localtime(timezone.now(), tz).date()
    pupils = list(Pupil.objects.filter(school=school, is_active=True).order_by("-upn")[:20])
    approver_actor = actor_for_user(approver.user)
    taken = 0
    for n, (title, kind, purpose, days_ago, hour, count, logged) in enumerate(PAST):
        host = hosts[(n + 1) % len(hosts)]
        chosen = pupils[taken : taken + count]
        taken += count
        day = _past_weekday(today, days_ago)
        ran_at = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)
        planned_for = ran_at + dt.timedelta(weeks=(days_ago // 7 + 3))
        data = services.PlanData(
            title=title,
            kind=kind,
            purpose=purpose,
            starts_at=planned_for,
            duration_minutes=30 if kind != "group" else 45,
            platform="teams",
            host=host,
            pupils=chosen,
            join_url=f"https://teams.example.invalid/meet/demo-past-{n + 1}",
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
        _follow_up(session, "approved", host_actor, approver_actor)
        session.refresh_from_db()
        if not services.may_start(session):
            session.delete()
            continue
        _as_if_it_ran(session, host, ran_at, logged=logged)
        _audit_the_run(Session.objects.get(pk=session.pk), host_actor, logged=logged)


def _audit_the_run(session: Session, host_actor: Actor, *, logged: bool) -> None:
    """The events opening, ending and logging ``session`` would have written (see
    :func:`_load_past`), with the same details as conduct's own."""
    pupils = list(conduct.Attendance.objects.filter(session=session))
    joined = sum(1 for a in pupils if a.joined)
    ran = {"demo": True, "ran_at": session.started_at.isoformat() if session.started_at else ""}
    started = {
        "checks": list(
            conduct.StartCheck.objects.filter(session=session)
            .order_by("order")
            .values_list("code", flat=True)
        ),
        "joined": joined,
        "pupils": len(pupils),
        "second_adult_present": session.second_adult_present,
    }
    minutes = 0
    if session.started_at and session.ended_at:
        minutes = int((session.ended_at - session.started_at).total_seconds() // 60)
    entries = [
        AuditEntry("session.started", target=session, details={**started, **ran}),
        AuditEntry("session.ended", target=session, details={"minutes": minutes, **ran}),
    ]
    if logged:
        entry = conduct.SessionLog.objects.get(session=session)
        entries.append(
            AuditEntry(
                "session.logged",
                target=session,
                details={
                    "attended": sum(1 for a in pupils if a.attended),
                    "pupils": len(pupils),
                    "minutes": entry.minutes,
                    "recording_made": entry.recording_made,
                    **ran,
                },
            )
        )
    record_many(entries, actor=host_actor)


def _as_if_it_ran(
    session: Session, host: StaffMember, ran_at: dt.datetime, *, logged: bool
) -> None:
    """Write, straight to the rows, what running the call at ``ran_at`` would have stored (see
    :func:`_load_past`: the demo only)."""
    started = ran_at + dt.timedelta(minutes=1)
    ended = ran_at + dt.timedelta(minutes=session.duration_minutes - 2)
    expects_second = conduct.expects_second_adult(session)
    Session.objects.filter(pk=session.pk).update(
        starts_at=ran_at,
        state=SessionState.ENDED,
        started_at=started,
        started_by=host,
        second_adult_present=True if expects_second else None,
        ended_at=ended,
        ended_by=host,
        updated_at=ended,
    )
    conduct.StartCheck.objects.bulk_create(
        conduct.StartCheck(
            session=session, code=item.code, question=item.question, confirmed=True, order=n
        )
        for n, item in enumerate(conduct.start_items(session))
    )
    pupil_ids = sorted(session.pupils.values_list("pk", flat=True))
    absent = pupil_ids[-1] if len(pupil_ids) > 2 else None
    conduct.Attendance.objects.bulk_create(
        conduct.Attendance(
            session=session,
            pupil_id=p,
            joined=p != absent,
            attended=(p != absent) if logged else None,
        )
        for p in pupil_ids
    )
    if logged:
        conduct.SessionLog.objects.create(
            session=session,
            actual_start=started,
            actual_end=ended,
            outcome=DEMO_LOG_OUTCOME if session.plan_outcome else "",
            notes=DEMO_LOG_NOTES,
            recording_made=session.recording,
            written_by=host,
            written_at=ended + dt.timedelta(minutes=10),
        )


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

    conduct.SessionLog.objects.filter(session__in=sessions).delete()
    conduct.StartCheck.objects.filter(session__in=sessions).delete()
    conduct.Attendance.objects.filter(session__in=sessions).delete()
    SessionDecision.objects.filter(session__in=sessions).delete()
    RiskAssessment.objects.filter(session__in=sessions).delete()
    SessionStep.objects.filter(session__in=sessions).delete()
    SessionPupil.objects.filter(session__in=sessions).delete()
    sessions.delete()


#: the scheduling app's part of ``chaperone demo`` (see :mod:`chaperone.core.extensions`)
DEMO = DemoData(load=load_for_demo_tenants, delete=delete_for_demo_tenants)
