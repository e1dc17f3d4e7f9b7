"""Reads of the scheduling app, each scoped to the actor (another school's session is a 404)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.people.models import Pupil, StaffMember
from chaperone.scheduling import anomalies
from chaperone.scheduling.models import (
    Outcome,
    Platform,
    Session,
    SessionDecision,
    SessionKind,
    SessionPupil,
    SessionQuerySet,
    SessionState,
    SessionStep,
)
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
class TimetableRow:
    """One session on the timetable, with everything the page shows already worked out."""

    pk: int
    url: str
    title: str
    when: str
    kind: str
    kind_label: str
    platform_label: str
    host_name: str
    second_name: str
    pupils: str
    outcome: str
    state_label: str
    state_colour: str
    dsl_invited: bool
    flags: tuple[anomalies.Flag, ...] = ()


@dataclass(frozen=True)
class TimetableDay:
    day: date
    sessions: list[TimetableRow]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


_KIND_LABELS = dict(SessionKind.choices)
_PLATFORM_LABELS = dict(Platform.choices)
_STATE = {
    "cancelled": ("Cancelled", "grey"),
    Outcome.ALLOWED: ("May go ahead", "green"),
    Outcome.PENDING: ("Steps to complete", "orange"),
    Outcome.REFUSED: ("Cannot go ahead", "red"),
}
_TIMETABLE_FIELDS = (
    "pk",
    "title",
    "kind",
    "platform",
    "starts_at",
    "duration_minutes",
    "outcome",
    "state",
    "account",
    "device",
    "emergency",
    "dsl_invited",
    "bare_signature_text",
    "host_id",
    "host__first_name",
    "host__last_name",
    "second_staff__first_name",
    "second_staff__last_name",
)


class _Decoded:
    """JSON texts decoded once each: a week's sessions share a handful of finding lists and
    signatures, and decoding each row's copy was a quarter of a 2,000-session timetable."""

    def __init__(self) -> None:
        self._seen: dict[str | None, Any] = {None: None}

    def __call__(self, text: str | None) -> Any:
        if text not in self._seen:
            self._seen[text] = json.loads(text)  # type: ignore[arg-type]
        return self._seen[text]


def _latest_codes(qs: SessionQuerySet, decode: _Decoded) -> dict[int, list[str]]:
    """The finding codes of each session's latest decision: one query for the whole page."""
    rows = (
        SessionDecision.objects.filter(session__in=qs.values("pk"))
        .order_by("session_id", "decided_at", "id")
        .annotate(codes_text=Cast("decision__codes", output_field=TextField()))
        .values_list("session_id", "codes_text")
    )
    # ordered by time: the latest decision of each session wins
    return {session_id: decode(text) for session_id, text in rows}


def _pupils_by_session(qs: SessionQuerySet) -> dict[int, list[tuple[int, str]]]:
    """Each session's pupils (id, name), by surname: one query for the whole page."""
    rows = (
        SessionPupil.objects.filter(session__in=qs.values("pk"))
        .order_by("pupil__last_name", "pupil__first_name", "pupil_id")
        .values_list(
            "session_id",
            "pupil_id",
            "pupil__preferred_name",
            "pupil__first_name",
            "pupil__last_name",
        )
    )
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for session_id, pupil_id, preferred, first, last in rows:
        found[session_id].append((pupil_id, f"{preferred or first} {last}"))
    return found


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(start: datetime, minutes: int) -> str:
    """Like "Mon 7 Dec, 09:15\u201309:45" (strftime is slow enough to count on a big week)."""
    end = start + timedelta(minutes=minutes)
    return (
        f"{_DAYS[start.weekday()]} {start.day} {_MONTHS[start.month - 1]}, "
        f"{start.hour:02d}:{start.minute:02d}\u2013{end.hour:02d}:{end.minute:02d}"
    )


def timetable(
    *, actor: Actor, school: School, start: date, days: int, filters: TimetableFilter
) -> list[TimetableDay]:
    """Every session at ``school`` from ``start`` for ``days`` days, by day, in the school's
    time, each with its anomaly flags: a fixed number of queries whatever the number of
    sessions (the sessions, their pupils, and what each registered check reads)."""
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
    pupils = _pupils_by_session(qs)
    decode = _Decoded()
    codes = _latest_codes(qs, decode)
    values = (
        qs.order_by("starts_at", "id")
        .annotate(bare_signature_text=Cast("bare_signature", output_field=TextField()))
        .values(*_TIMETABLE_FIELDS)
    )
    facts: list[anomalies.SessionFacts] = []
    rows: list[dict[str, Any]] = list(values)
    for row in rows:
        signature = decode(row["bare_signature_text"]) or []
        who = pupils.get(row["pk"], [])
        facts.append(
            anomalies.SessionFacts(
                pk=row["pk"],
                kind=row["kind"],
                state=row["state"],
                starts_at=row["starts_at"],
                host_id=row["host_id"],
                host_name=f"{row['host__first_name']} {row['host__last_name']}",
                account=row["account"],
                device=row["device"],
                emergency=row["emergency"],
                pupil_ids=[pupil_id for pupil_id, _ in who],
                pupil_names=[name for _, name in who],
                codes=frozenset(codes.get(row["pk"], ())),
                bare_codes=frozenset(
                    pair[0] for pair in (signature[1] if len(signature) > 1 else ())
                ),
            )
        )
    flags = anomalies.flags_for(anomalies.Page(school, begin, end, facts))
    detail = reverse("scheduling:detail", args=[0])
    head, tail = detail[: detail.rindex("0")], detail[detail.rindex("0") + 1 :]
    by_day: dict[date, list[TimetableRow]] = {start + timedelta(days=n): [] for n in range(days)}
    for row, fact in zip(rows, facts, strict=True):
        local = row["starts_at"].astimezone(tz)
        cancelled = row["state"] == SessionState.CANCELLED
        label, colour = _STATE.get("cancelled" if cancelled else row["outcome"], _STATE["refused"])
        second = ""
        if row["second_staff__first_name"] is not None:
            second = f"{row['second_staff__first_name']} {row['second_staff__last_name']}"
        by_day[local.date()].append(
            TimetableRow(
                pk=row["pk"],
                url=f"{head}{row['pk']}{tail}",
                title=row["title"],
                when=_when(local, row["duration_minutes"]),
                kind=row["kind"],
                kind_label=_KIND_LABELS.get(row["kind"], row["kind"]),
                platform_label=_PLATFORM_LABELS.get(row["platform"], row["platform"]),
                host_name=fact.host_name,
                second_name=second,
                pupils=", ".join(fact.pupil_names),
                outcome=row["outcome"],
                state_label=label,
                state_colour=colour,
                dsl_invited=row["dsl_invited"],
                flags=tuple(flags.get(row["pk"], ())),
            )
        )
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
