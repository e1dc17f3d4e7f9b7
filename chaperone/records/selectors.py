"""Reads of the records app, each scoped by the policy; reads of a recording are recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.concerns.models import ConcernRoute
from chaperone.concerns.selectors import concerns_visible
from chaperone.records import retention
from chaperone.records.models import (
    HoldQuerySet,
    LegalHold,
    PendingFileDeletion,
    Recording,
    RecordingAccess,
)
from chaperone.scheduling.conduct import SessionLog
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404

#: how far ahead the schedule page looks
LOOK_AHEAD_DAYS = 30


def recordings_for(actor: Actor, school: School) -> QuerySet[Recording]:
    return (
        Recording.objects.for_actor(actor, "recording.list")
        .filter(school=school)
        .select_related("session", "recorded_by", "added_by")
    )


def recording_register(actor: Actor, school: School) -> list[Recording]:
    """The school's register, with the holds on each entry (``active_holds``)."""
    rows = list(recordings_for(actor, school)[:500])
    holds = _holds_by_id(retention.RECORDING, [r.pk for r in rows], actor)
    for row in rows:
        row.active_holds = holds.get(row.pk, [])  # type: ignore[attr-defined]
    record_read(
        "recording.register_viewed",
        actor=actor,
        target=school,
        details={"rows": len(rows)},
    )
    return rows


def recorded_sessions_to_add(actor: Actor, school: School) -> list[Any]:
    """Calls of the last 60 days the actor may add a recording to (their own, as host or second
    member of staff; any, for leaders and the safeguarding team) that were recorded, with how
    many recordings each has."""
    from django.db.models import Count

    from chaperone.scheduling.models import Session

    since = timezone.now() - dt.timedelta(days=60)
    return list(
        Session.objects.for_actor(actor, "recording.add")
        .filter(school=school, recording=True, started_at__isnull=False, starts_at__gte=since)
        .annotate(recordings_count=Count("recordings"))
        .order_by("-starts_at")[:200]
    )


def _allegation_ids(actor: Actor) -> QuerySet[Any, Any]:
    """The allegations (concerns about an adult) the actor may read: the head's, the chair's."""
    return concerns_visible(actor=actor).exclude(route=ConcernRoute.SAFEGUARDING).values("pk")


def hold_shown_to(actor: Actor) -> Q:
    """The holds the actor may know of, wherever records are shown: every hold, except those
    for an allegation, which only whoever may read the allegation sees."""
    return (
        Q(concern__isnull=True)
        | Q(concern__route=ConcernRoute.SAFEGUARDING)
        | Q(concern_id__in=_allegation_ids(actor))
    )


def holds_for(actor: Actor) -> HoldQuerySet:
    """The holds the actor may list and release: the safeguarding team's (``records.hold``) but
    for allegations, and the holds for the allegations the actor handles."""
    team = actor.school_ids_for("records.hold")
    plain = Q(concern__isnull=True) | Q(concern__route=ConcernRoute.SAFEGUARDING)
    return LegalHold.objects.filter(
        Q(school_id__in=sorted(team)) & plain | Q(concern_id__in=_allegation_ids(actor))
    )


def _holds_by_id(record_type: str, ids: list[int], actor: Actor) -> dict[int, list[LegalHold]]:
    found: dict[int, list[LegalHold]] = {}
    for hold in LegalHold.objects.active().filter(
        hold_shown_to(actor), record_type=record_type, object_id__in=ids
    ):
        found.setdefault(hold.object_id, []).append(hold)
    return found


def recording_get_for_viewing(*, actor: Actor, recording_id: int) -> Recording:
    """One entry of the register (its metadata, not the file); recorded."""
    recording = get_for_actor_or_404(
        Recording.objects.select_related("session", "recorded_by", "added_by"),
        actor,
        "recording.list",
        pk=recording_id,
    )
    record_read("recording.viewed", actor=actor, target=recording)
    return recording


def recording_get_for_opening(*, actor: Actor, recording_id: int) -> Recording:
    return get_for_actor_or_404(
        Recording.objects.select_related("session"), actor, "recording.view", pk=recording_id
    )


def holds_of(recording: Recording, actor: Actor) -> list[LegalHold]:
    return list(
        LegalHold.objects.filter(
            hold_shown_to(actor), record_type=retention.RECORDING, object_id=recording.pk
        )
        .select_related("concern", "placed_by", "released_by")
        .order_by("-placed_at", "-id")
    )


def access_log(actor: Actor, school: School, recording: Recording | None = None) -> list[Any]:
    """Who opened which recording, when and why (the safeguarding team)."""
    rows = RecordingAccess.objects.for_actor(actor, "recording.access_log").filter(school=school)
    if recording is not None:
        rows = rows.filter(recording=recording)
    return list(rows.select_related("staff", "recording", "recording__session")[:500])


def access_log_for_viewing(actor: Actor, school: School) -> list[Any]:
    rows = access_log(actor, school)
    record_read(
        "recording.access_log_viewed", actor=actor, target=school, details={"rows": len(rows)}
    )
    return rows


def hold_for_actor_or_404(*, actor: Actor, hold_id: int) -> LegalHold:
    hold = holds_for(actor).select_related("concern").filter(pk=hold_id).first()
    if hold is None:
        raise Http404("No such hold.")
    return hold


def log_for_hold_or_404(*, actor: Actor, log_id: int) -> SessionLog:
    return get_for_actor_or_404(
        SessionLog.objects.select_related("session", "session__school"),
        actor,
        "records.hold",
        pk=log_id,
    )


@dataclass
class KindDue:
    period: retention.Period
    due_now: int
    due_soon: int
    held: int
    #: recordings only: the entries due soon, with the day each goes
    items: list[tuple[Recording, dt.date]] = field(default_factory=list)


def schedule_with_due(school: School, *, now: dt.datetime | None = None) -> list[KindDue]:
    """Each kind of the schedule with how many records go today and within
    :data:`LOOK_AHEAD_DAYS` (held ones counted apart: they do not go)."""
    now = now or timezone.now()
    soon = dt.timedelta(days=LOOK_AHEAD_DAYS)
    out: list[KindDue] = []
    for period in retention.schedule(school):
        cutoff = period.cutoff(now)
        held_ids = LegalHold.objects.active().filter(record_type=period.key).values("object_id")
        if period.key == retention.RECORDING:
            base = Recording.objects.filter(school=school)
            now_qs = base.filter(session__starts_at__lt=cutoff)
            soon_qs = base.filter(session__starts_at__lt=cutoff + soon)
            items = [
                (r, timezone.localdate(r.session.starts_at) + dt.timedelta(days=period.days))
                for r in soon_qs.exclude(pk__in=held_ids)
                .select_related("session")
                .order_by("session__starts_at")[:100]
            ]
        else:
            entry = retention.kind(period.key)
            now_qs = entry.due(school.pk, cutoff)
            soon_qs = entry.due(school.pk, cutoff + soon)
            items = []
        out.append(
            KindDue(
                period=period,
                due_now=now_qs.exclude(pk__in=held_ids).count(),
                due_soon=soon_qs.exclude(pk__in=held_ids).count(),
                held=soon_qs.filter(pk__in=held_ids).count(),
                items=items,
            )
        )
    return out


def active_holds(actor: Actor, school: School) -> list[LegalHold]:
    return list(
        holds_for(actor).active().filter(school=school).select_related("concern", "placed_by")
    )


def failed_file_deletions(school: School) -> list[PendingFileDeletion]:
    return list(PendingFileDeletion.objects.filter(school=school, attempts__gt=0))
