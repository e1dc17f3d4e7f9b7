"""Reads for oversight after the call: each staff member's own log, the school's register of
sessions (with its CSV) and a line manager's view of their staff's sessions. Every read starts
from a scoped queryset and the sensitive ones are recorded as reads; each runs a fixed number of
queries whatever the number of sessions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.people.models import Pupil, StaffMember
from chaperone.scheduling.conduct import SessionLog
from chaperone.scheduling.models import Session, SessionQuerySet, SessionState
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor


def _annotated(qs: SessionQuerySet) -> SessionQuerySet:
    pupils = Prefetch("pupils", queryset=Pupil.objects.order_by("last_name", "first_name", "id"))
    return (
        qs.annotate(logged=Exists(SessionLog.objects.filter(session_id=OuterRef("pk"))))
        .select_related("host", "second_staff", "log", "log_removal")
        .prefetch_related(pupils)
    )


def _past(qs: SessionQuerySet) -> SessionQuerySet:
    """Sessions that ran, or were due to run by now (a planned call whose time has passed and
    that was never opened shows as not logged)."""
    return qs.exclude(state=SessionState.CANCELLED).filter(
        Q(starts_at__lt=timezone.now()) | Q(state__in=[SessionState.LIVE, SessionState.ENDED])
    )


def my_log(*, actor: Actor, school: School) -> SessionQuerySet:
    """The actor's own past sessions at ``school`` (as host or second member of staff), latest
    first, each with ``logged``."""
    if actor.staff_id is None:
        return Session.objects.none()
    mine = Q(host_id=actor.staff_id) | Q(second_staff_id=actor.staff_id)
    qs = Session.objects.for_actor(actor, "session.view").filter(mine, school=school)
    return _annotated(_past(qs)).order_by("-starts_at", "-id")


def unlogged_count(rows: SessionQuerySet) -> int:
    """Sessions with no log; one whose log was deleted under retention was logged."""
    return rows.filter(log__isnull=True, log_removal__isnull=True).count()


@dataclass(frozen=True)
class RegisterFilter:
    start: date
    end: date
    staff_id: int | None = None
    kind: str = ""
    #: "yes", "no" or "" (either)
    logged: str = ""


def register(
    *, actor: Actor, school: School, filters: RegisterFilter, export: bool = False
) -> SessionQuerySet:
    """Every session of ``school`` from ``filters.start`` to ``filters.end`` (whole days in the
    school's time), latest first, filtered by staff, kind and whether logged. For
    ``session.view`` holders; recorded as a read (or an export)."""
    tz = ZoneInfo(school.time_zone)
    begin = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    qs = Session.objects.for_actor(actor, "session.view").filter(
        school=school, starts_at__gte=begin, starts_at__lt=end
    )
    if not actor.can("session.view", school.pk):
        qs = qs.none()
    if filters.staff_id:
        qs = qs.filter(Q(host_id=filters.staff_id) | Q(second_staff_id=filters.staff_id))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    qs = _annotated(qs)
    # a log deleted under the retention schedule was written: the session counts as logged
    if filters.logged == "yes":
        qs = qs.filter(Q(log__isnull=False) | Q(log_removal__isnull=False))
    elif filters.logged == "no":
        qs = _past(qs.filter(log__isnull=True, log_removal__isnull=True))
    record_read(
        "session.register_exported" if export else "session.register_viewed",
        actor=actor,
        target=school,
        details={
            "from": filters.start.isoformat(),
            "to": filters.end.isoformat(),
            **({"staff_id": filters.staff_id} if filters.staff_id else {}),
            **({"kind": filters.kind} if filters.kind else {}),
            **({"logged": filters.logged} if filters.logged else {}),
        },
    )
    return qs.order_by("-starts_at", "-id")


CSV_HEADER = (
    "Date",
    "Planned start",
    "Planned minutes",
    "Session",
    "Kind",
    "Purpose",
    "Host",
    "Second member of staff",
    "Pupils",
    "State",
    "Protocol's answer",
    "Opened at",
    "Ended at",
    "Ended and reported",
    "Logged",
    "Actual start",
    "Actual end",
    "Recording made",
)


def _hm(at: datetime | None, tz: ZoneInfo) -> str:
    return "" if at is None else timezone.localtime(at, tz).strftime("%H:%M")


def _logged_cell(s: Session, entry: SessionLog | None, tz: ZoneInfo) -> str:
    if entry is not None:
        return "yes"
    removal = getattr(s, "log_removal", None)
    if removal is not None:
        day = timezone.localtime(removal.removed_at, tz).date().isoformat()
        return f"removed under the retention schedule on {day}"
    return "no"


def csv_rows(sessions: Iterable[Session], tz: ZoneInfo) -> Iterator[list[Any]]:
    for s in sessions:
        starts = timezone.localtime(s.starts_at, tz)
        entry: SessionLog | None = getattr(s, "log", None) if s.logged else None  # type: ignore[attr-defined]
        yield [
            starts.date().isoformat(),
            starts.strftime("%H:%M"),
            s.duration_minutes,
            s.title,
            s.get_kind_display(),
            s.get_purpose_display(),
            s.host.full_name,
            s.second_staff.full_name if s.second_staff else "",
            "; ".join(p.display_name for p in s.pupils.all()),
            s.get_state_display(),
            s.get_outcome_display(),
            _hm(s.started_at, tz),
            _hm(s.ended_at, tz),
            "yes" if s.reported_concern_id else "no",
            _logged_cell(s, entry, tz),
            _hm(entry.actual_start, tz) if entry else "",
            _hm(entry.actual_end, tz) if entry else "",
            ("yes" if entry.recording_made else "no") if entry else "",
        ]


# --- a line manager's view ---------------------------------------------------------------------


def team_of(*, actor: Actor, school: School) -> list[StaffMember]:
    """The active staff at ``school`` whose line manager is the actor."""
    if actor.staff_id is None:
        return []
    return list(
        StaffMember.objects.for_actor(actor, "staff.view")
        .filter(
            line_manager_id=actor.staff_id,
            is_active=True,
            assignments__school=school,
            assignments__awaiting_confirmation=False,
        )
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def team_sessions(
    *,
    actor: Actor,
    school: School,
    team: list[StaffMember],
    start: datetime,
    end: datetime,
) -> list[Session]:
    """The sessions at ``school`` between ``start`` and ``end`` hosted by (or with as second
    member of staff) someone the actor line-manages, soonest first. The line manager sees them
    because they manage the staff, whatever their own role: the read is recorded."""
    ids = [s.pk for s in team]
    if not ids:
        return []
    qs = Session.objects.filter(
        Q(host_id__in=ids) | Q(second_staff_id__in=ids),
        school=school,
        starts_at__gte=start,
        starts_at__lt=end,
    ).exclude(state=SessionState.CANCELLED)
    sessions = list(_annotated(qs).order_by("starts_at", "id"))
    record_read(
        "session.team_viewed",
        actor=actor,
        target=school,
        details={"staff": len(ids), "sessions": len(sessions)},
    )
    return sessions
