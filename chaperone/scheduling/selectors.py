"""Reads of the scheduling app, each scoped to the actor (another school's session is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.people.models import Pupil, StaffMember
from chaperone.scheduling.models import Session, SessionQuerySet, SessionStep
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import can_for, get_for_actor_or_404


def _with_people(qs: SessionQuerySet) -> SessionQuerySet:
    pupils = Prefetch("pupils", queryset=Pupil.objects.order_by("last_name", "first_name", "id"))
    steps = Prefetch("steps", queryset=SessionStep.objects.order_by("order", "id"))
    return (
        qs.select_related("host", "second_staff", "planned_by")
        .prefetch_related(pupils)
        .prefetch_related(steps)
    )


def my_sessions(*, actor: Actor, school: School, past: bool = False) -> SessionQuerySet:
    """Sessions at ``school`` the actor hosts, planned or is the second adult on: the coming
    ones (soonest first), or with ``past`` the ones that have started (latest first)."""
    if actor.staff_id is None:
        return Session.objects.none()
    mine = Q(host_id=actor.staff_id) | Q(planned_by_id=actor.staff_id)
    mine |= Q(second_staff_id=actor.staff_id)
    qs = Session.objects.for_actor(actor, "session.view").filter(mine, school=school)
    now = timezone.now()
    if past:
        return _with_people(qs.filter(starts_at__lt=now)).order_by("-starts_at", "-id")
    return _with_people(qs.filter(starts_at__gte=now)).order_by("starts_at", "id")


def session_get_for_viewing(*, actor: Actor, session_id: int) -> Session:
    """A session within the actor's scope (else 404), and the audited read of it."""
    session = get_for_actor_or_404(
        _with_people(Session.objects.select_related("school")),
        actor,
        "session.view",
        pk=session_id,
    )
    record_read("session.viewed", actor=actor, target=session)
    return session


def may_manage(actor: Actor, session: Session) -> bool:
    return can_for(actor, "session.manage", session)


@dataclass(frozen=True)
class TimetableFilter:
    staff_id: int | None = None
    pupil_id: int | None = None
    kind: str = ""
    outcome: str = ""


@dataclass(frozen=True)
class TimetableDay:
    day: date
    sessions: list[Session]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def timetable(
    *, actor: Actor, school: School, start: date, days: int, filters: TimetableFilter
) -> list[TimetableDay]:
    """Every session at ``school`` from ``start`` for ``days`` days, by day, in the school's
    time: a fixed number of queries whatever the number of sessions."""
    tz = ZoneInfo(school.time_zone)
    begin = datetime.combine(start, time.min, tzinfo=tz)
    end = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    qs = Session.objects.for_actor(actor, "session.timetable").filter(
        school=school, starts_at__gte=begin, starts_at__lt=end
    )
    if filters.staff_id:
        qs = qs.filter(Q(host_id=filters.staff_id) | Q(second_staff_id=filters.staff_id))
    if filters.pupil_id:
        qs = qs.filter(pupils__id=filters.pupil_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    by_day: dict[date, list[Session]] = {start + timedelta(days=n): [] for n in range(days)}
    for session in _with_people(qs).order_by("starts_at", "id"):
        by_day[timezone.localtime(session.starts_at, tz).date()].append(session)
    record_read(
        "session.timetable_viewed",
        actor=actor,
        target=school,
        details={"from": start.isoformat(), "days": days},
    )
    return [TimetableDay(day, sessions) for day, sessions in by_day.items()]


def pupils_to_choose(*, actor: Actor, school: School) -> QuerySet[Pupil]:
    return (
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(school=school, is_active=True)
        .order_by("last_name", "first_name", "id")
    )


def staff_to_choose(*, actor: Actor, school: School) -> QuerySet[StaffMember]:
    """Active staff with a confirmed role at ``school`` (hosts and second adults)."""
    return (
        StaffMember.objects.for_actor(actor, "staff.view")
        .filter(
            is_active=True,
            assignments__school=school,
            assignments__awaiting_confirmation=False,
        )
        .distinct()
        .order_by("last_name", "first_name", "id")
    )
