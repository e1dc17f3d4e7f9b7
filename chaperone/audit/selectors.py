"""Reading the audit log, always within the schools where the reader may ``audit.view``. Looking
at the log is itself a sensitive read: the ``*_for_viewing`` selectors record it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from chaperone.audit.log import record, record_read
from chaperone.audit.models import AuditEvent
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404

VIEW = "audit.view"


def audit_events_for(
    actor: Actor,
    *,
    school: School | None = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events the actor may see, newest first; optionally one school's (plus, for trust admins,
    their trust's events that belong to no school), one action, a date range (inclusive, in the
    school's local time)."""
    qs = AuditEvent.objects.for_actor(actor, VIEW)
    if school is not None:
        in_school = Q(school_id=school.pk)
        if actor.can_in_trust("trust.view_audit", school.trust_id):
            in_school |= Q(school_id__isnull=True, trust_id=school.trust_id)
        qs = qs.filter(in_school)
    if action:
        qs = qs.filter(action=action)
    tz = _zone(school)
    if date_from is not None:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        qs = qs.filter(occurred_at__lt=end)
    return qs.order_by("-seq")


def _zone(school: School | None) -> dt.tzinfo:
    if school is not None:
        try:
            return zoneinfo.ZoneInfo(school.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def audit_events_for_viewing(
    actor: Actor, *, school: School, page: str, **filters: Any
) -> QuerySet[AuditEvent]:
    """:func:`audit_events_for` one school, recording that the actor looked (``audit.viewed``,
    with the page and the filters)."""
    record(
        "audit.viewed",
        actor=actor,
        school_id=school.pk,
        trust_id=school.trust_id,
        details={"page": page[:10], **filters},
    )
    return audit_events_for(actor, school=school, **filters)


def audit_event_get_for_viewing(actor: Actor, *, event_id: int) -> AuditEvent:
    """One event within the actor's scope (anything else is a 404 like a missing one), and the
    audited read of it."""
    event = get_for_actor_or_404(AuditEvent.objects.all(), actor, VIEW, pk=event_id)
    record_read("audit.viewed", actor=actor, target=event)
    return event
