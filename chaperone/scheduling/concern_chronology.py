"""Scheduling's part of a child's safeguarding chronology (the extension point of
:mod:`chaperone.concerns.chronology`): the sessions the pupil was in, with their state, the
protocol's outcome, and whether they ended early (before their planned end, or through End and
report). Shown to whoever reads the chronology: the safeguarding team of the pupil's school."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from chaperone.concerns.chronology import ChronologyItem, ChronologySource
from chaperone.people.models import Pupil
from chaperone.scheduling.models import Session, SessionState
from chaperone.tenancy.policies import Actor

#: a call that ended this much before its planned end counts as ended early
EARLY_BY = dt.timedelta(minutes=5)


def ended_early(session: Session) -> bool:
    if session.state != SessionState.ENDED or session.ended_at is None:
        return False
    return session.reported_concern_id is not None or session.ended_at < session.ends_at - EARLY_BY


def _items(
    actor: Actor, pupil: Pupil, since: dt.date | None, until: dt.date | None
) -> Iterable[ChronologyItem]:
    if not actor.can("concern.chronology", pupil.school_id):
        return []
    sessions = Session.objects.filter(school_id=pupil.school_id, pupils=pupil)
    if since:
        sessions = sessions.filter(
            starts_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        )
    if until:
        sessions = sessions.filter(
            starts_at__lt=timezone.make_aware(
                dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)
            )
        )
    items = []
    for s in sessions.select_related("host").order_by("starts_at", "id"):
        flags = [s.get_state_display().lower(), s.get_outcome_display().lower()]
        if ended_early(s):
            flags.append("ended early")
        text = f"{s.get_kind_display()} on {s.get_platform_display()} with {s.host.full_name}"
        if s.end_reason:
            text += f". Ended: {s.end_reason}"
        items.append(
            ChronologyItem(
                at=s.starts_at,
                kind="session",
                title=f"Session: {s.title}",
                text=text,
                flags=tuple(flags),
            )
        )
    return items


CHRONOLOGY = [ChronologySource("session", "Sessions", _items)]
