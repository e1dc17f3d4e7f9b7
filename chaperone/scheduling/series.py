"""Weekly series of sessions, and clashes.

A series (:class:`SessionSeries`) keeps its RFC 5545 rule (``FREQ=WEEKLY;COUNT=n`` or
``FREQ=WEEKLY;UNTIL=...Z``) and the local start of its first occurrence. Each occurrence is a
:class:`~chaperone.scheduling.models.Session` of its own, planned through
:func:`~chaperone.scheduling.services.session_plan`: judged by the protocol in force on its own
date, with its own checklist, moved or cancelled alone, and sent out as its own calendar event.
Occurrences keep the local wall time across clock changes (16:00 in October is 16:00 in
November).

A clash is another planned session of the school, overlapping in time, with the same member of
staff (host or second adult) or one of the same pupils. Clashes are shown, never blocked.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from chaperone import rules
from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope

if TYPE_CHECKING:
    from chaperone.scheduling.models import Session
    from chaperone.scheduling.services import PlanData
    from chaperone.tenancy.policies import Actor

#: the most occurrences one series may have (a school year of weekly sessions)
MAX_OCCURRENCES = 40
#: the longest a session may last (``services._check_plan``): clashes are looked for this far back
LONGEST = timedelta(minutes=480)


class SeriesQuerySet(ScopedQuerySet["SessionSeries"]):
    school_path = "school_id"


class SessionSeries(models.Model):
    """A weekly series: its rule, and the first occurrence's start in the school's time."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="session_series")
    title = models.CharField(max_length=120)
    #: the RFC 5545 RRULE value, e.g. ``FREQ=WEEKLY;COUNT=10``
    rrule = models.CharField(max_length=200)
    first_starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=60, default="Europe/London")
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        ordering = ["first_starts_at", "id"]
        verbose_name_plural = "session series"

    def __str__(self) -> str:
        return f"{self.title} ({self.describe()})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)

    def local_start(self) -> datetime:
        return timezone.localtime(self.first_starts_at, ZoneInfo(self.time_zone))

    def starts(self) -> list[datetime]:
        """Every start the rule gives, in the school's time (aware)."""
        return expand(self.rrule, self.local_start())

    def describe(self) -> str:
        start = self.local_start()
        parts = dict(p.split("=", 1) for p in self.rrule.split(";"))
        head = f"every {start:%A} at {start:%H:%M}"
        if "COUNT" in parts:
            return f"{head}, {parts['COUNT']} times"
        last = self.starts()[-1]
        return f"{head} until {last.day} {last:%B %Y}"


class SeriesProblem(ValueError):
    """The repeat asked for cannot be planned: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SeriesRefused(ValueError):
    """The protocol refuses one occurrence of the series (``on``): nothing was stored."""

    def __init__(self, decision: rules.Decision, *, on: datetime) -> None:
        super().__init__(f"The protocol refuses the session of {on.day} {on:%B %Y}.")
        self.decision = decision
        self.on = on


def weekly_rule(start: datetime, *, until: date | None, count: int | None) -> str:
    """The RRULE for a weekly repeat from ``start`` (aware, the school's time) ending on the
    local day ``until`` or after ``count`` occurrences. Raises :class:`SeriesProblem`."""
    if (until is None) == (count is None):
        raise SeriesProblem("repeat_until", "Repeat: give an end date or a number of weeks.")
    if count is not None:
        if not 2 <= count <= MAX_OCCURRENCES:
            raise SeriesProblem(
                "repeat_count", f"Number of weeks: enter between 2 and {MAX_OCCURRENCES}."
            )
        return f"FREQ=WEEKLY;COUNT={count}"
    assert until is not None
    if until <= start.date():
        raise SeriesProblem("repeat_until", "Repeat until: choose a date after the first one.")
    # RFC 5545: with a DTSTART in a time zone, UNTIL is given in UTC
    last = datetime.combine(until, time(23, 59, 59), tzinfo=start.tzinfo)
    rule = f"FREQ=WEEKLY;UNTIL={last.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}"
    if len(expand(rule, start, limit=MAX_OCCURRENCES + 1)) > MAX_OCCURRENCES:
        raise SeriesProblem(
            "repeat_until", f"Repeat until: a series has at most {MAX_OCCURRENCES} sessions."
        )
    return rule


def expand(rule: str, start: datetime, *, limit: int = MAX_OCCURRENCES) -> list[datetime]:
    """The first ``limit`` starts of ``rule`` from ``start`` (aware): the same local wall time
    each week, so a clock change moves the UTC time, not the lesson."""
    found = rrulestr(rule, dtstart=start)
    return [datetime.combine(d.date(), d.time(), tzinfo=start.tzinfo) for d in islice(found, limit)]


@transaction.atomic
def series_plan(
    *,
    actor: Actor,
    school: School,
    data: PlanData,
    until: date | None = None,
    count: int | None = None,
) -> list[Session]:
    """Plan a weekly series: one session per occurrence, each judged by the protocol in force on
    its own date. An occurrence the protocol refuses (or bad input) stores nothing at all:
    :class:`SeriesRefused` or ``PlanProblem`` names its date."""
    from chaperone.audit.log import record as audit_record
    from chaperone.scheduling import services
    from chaperone.scheduling.models import Session

    start = timezone.localtime(data.starts_at, ZoneInfo(school.time_zone))
    rule = weekly_rule(start, until=until, count=count)
    assert actor.staff_id is not None
    series = SessionSeries.objects.create(
        school=school,
        title=data.title,
        rrule=rule,
        first_starts_at=start,
        duration_minutes=data.duration_minutes,
        time_zone=school.time_zone,
        created_by_id=actor.staff_id,
    )
    sessions = []
    for at in expand(rule, start):
        try:
            session = services.session_plan(
                actor=actor, school=school, data=replace(data, starts_at=at)
            )
        except services.PlanRefused as refused:
            raise SeriesRefused(refused.decision, on=at) from refused
        except services.PlanProblem as problem:
            raise services.PlanProblem(
                problem.field, f"{at.day} {at:%B %Y}: {problem.message}"
            ) from problem
        sessions.append(session)
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(series=series)
    for session in sessions:
        session.series = series
    audit_record(
        "session.series_planned",
        actor=actor,
        target=series,
        details={"rrule": rule, "sessions": [s.pk for s in sessions]},
    )
    return sessions


# --- clashes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    """Another session overlapping one of ours, and who is in both. ``visible``: the reader may
    open that session (else the page gives its time and who, not its title)."""

    at: datetime
    session: Session
    staff: tuple[str, ...]
    pupils: tuple[str, ...]
    visible: bool = False

    @property
    def who(self) -> str:
        return ", ".join((*self.staff, *self.pupils))


def clashes(
    *,
    school: School,
    starts: Sequence[datetime],
    duration_minutes: int,
    staff_ids: Sequence[int],
    pupil_ids: Sequence[int],
    exclude_id: int | None = None,
    reader: Actor | None = None,
) -> list[Clash]:
    """Planned sessions of ``school`` that overlap any of ``starts`` (each lasting
    ``duration_minutes``) with one of the same staff or pupils, each marked visible if
    ``reader`` may view it. Three queries, however many starts."""
    from chaperone.scheduling.models import Session, SessionState

    staff = {i for i in staff_ids if i}
    pupils = set(pupil_ids)
    if not starts or not (staff or pupils):
        return []
    length = timedelta(minutes=duration_minutes)
    candidates = (
        Session.objects.filter(
            school=school,
            state=SessionState.PLANNED,
            starts_at__gt=min(starts) - LONGEST,
            starts_at__lt=max(starts) + length,
        )
        .filter(Q(host_id__in=staff) | Q(second_staff_id__in=staff) | Q(pupils__id__in=pupils))
        .exclude(pk=exclude_id or 0)
        .distinct()
        .select_related("host", "second_staff")
        .prefetch_related("pupils")
        .order_by("starts_at", "id")
    )
    rows = list(candidates)
    visible: set[int] = set()
    if reader is not None and rows:
        visible = set(
            Session.objects.for_actor(reader, "session.view")
            .filter(pk__in=[r.pk for r in rows])
            .values_list("pk", flat=True)
        )
    found = []
    for other in rows:
        for at in starts:
            if other.starts_at < at + length and at < other.ends_at:
                members = [m for m in (other.host, other.second_staff) if m and m.pk in staff]
                shared = [p for p in other.pupils.all() if p.pk in pupils]
                found.append(
                    Clash(
                        at=at,
                        session=other,
                        staff=tuple(m.full_name for m in members),
                        pupils=tuple(p.display_name for p in shared),
                        visible=other.pk in visible,
                    )
                )
    return sorted(found, key=lambda c: (c.at, c.session.starts_at, c.session.pk))


def clashes_of_session(session: Session, reader: Actor | None = None) -> list[Clash]:
    """What overlaps a stored session (nothing once it is cancelled)."""
    if session.is_cancelled:
        return []
    return clashes(
        reader=reader,
        school=session.school,
        starts=[session.starts_at],
        duration_minutes=session.duration_minutes,
        staff_ids=[session.host_id, session.second_staff_id or 0],
        pupil_ids=[p.pk for p in session.pupils.all()],
        exclude_id=session.pk,
    )


def clashes_of_plan(
    *,
    school: School,
    data: PlanData,
    repeats: tuple[date | None, int | None] | None,
    exclude_id: int | None = None,
    reader: Actor | None = None,
) -> list[Clash]:
    """What a plan as the form stands would overlap (every week of a series asked for)."""
    starts = [data.starts_at]
    if repeats is not None:
        start = timezone.localtime(data.starts_at, ZoneInfo(school.time_zone))
        with suppress(SeriesProblem):  # the form names a bad repeat; clash the first week
            starts = expand(weekly_rule(start, until=repeats[0], count=repeats[1]), start)
    return clashes(
        school=school,
        starts=starts,
        duration_minutes=data.duration_minutes,
        staff_ids=[data.host.pk, data.second_staff.pk if data.second_staff else 0],
        pupil_ids=[p.pk for p in data.pupils],
        exclude_id=exclude_id,
        reader=reader,
    )
