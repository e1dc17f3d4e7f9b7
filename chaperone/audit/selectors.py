"""Reading the audit log, always within the schools where the reader may ``audit.view``. Looking
at the log is itself a sensitive read: the ``*_for_viewing`` selectors record it.

What concerns a school: its own events, and its trust's trust-wide events (no school: sign-ins of
people who work across the trust, trust protocol uploads, ...), which concern every school of
the trust. A standalone school is a trust of one, so its trust's events are all its own.

Every list is one query on an index of its tenant, newest first by (time, id), paged by keyset
(:class:`Cursor`) rather than OFFSET, and never counted in full: it fetches one row more than a
page to know whether there are more. So a page costs the same whatever the size of the history
and of the other tenants.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from chaperone.audit.log import record, record_read
from chaperone.audit.models import AuditEvent
from chaperone.audit.registry import ACTIONS
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404

VIEW = "audit.view"
TRUST_VIEW = "trust.view_audit"
PAGE_SIZE = 50

_CURSOR = re.compile(r"^([0-9]{1,19})-([0-9]{1,19})$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Cursor:
    """A place in a list: an event's time and id. Written ``<microseconds since 1970>-<id>``."""

    occurred_at: dt.datetime
    id: int

    @classmethod
    def of(cls, event: AuditEvent) -> Cursor:
        return cls(event.occurred_at, event.pk)

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor written in ``text``, or None if it is not one."""
        match = _CURSOR.match(text.strip())
        if match is None:
            return None
        micros, pk = int(match[1]), int(match[2])
        try:
            occurred_at = _EPOCH + dt.timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(occurred_at, pk) if occurred_at.year < 9999 else None

    def __str__(self) -> str:
        delta = self.occurred_at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}-{self.id}"


@dataclass(frozen=True)
class EventPage:
    """One page of a list, newest first, with the cursors of the pages either side (None when
    there is nothing that way)."""

    events: list[AuditEvent]
    newer: Cursor | None
    older: Cursor | None


def is_read(action: str) -> bool:
    """Whether an action records a look at something (``pupil.viewed``, ``audit.viewed``,
    ``people.flag_changes_viewed``): the naming rule of the registry."""
    return action.rsplit(".", 1)[-1].endswith("viewed")


def read_actions() -> list[str]:
    return sorted(name for name in ACTIONS if is_read(name))


def school_branches(school: School) -> list[QuerySet[AuditEvent]]:
    """What concerns a school, as index-backed parts: its own rows, and its trust's
    trust-wide rows."""
    rows = AuditEvent.objects.order_by()
    return [
        rows.filter(trust_id=school.trust_id, school_id=school.pk),
        rows.filter(trust_id=school.trust_id, school_id__isnull=True),
    ]


def audit_page(
    branches: list[QuerySet[AuditEvent]],
    *,
    zone: dt.tzinfo,
    before: Cursor | None = None,
    after: Cursor | None = None,
    action: str = "",
    actions: list[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page_size: int = PAGE_SIZE,
) -> EventPage:
    """A page of the union of ``branches``: the newest events ``before`` a cursor (or the newest
    of all), or the oldest ``after`` one, with the filters (one action or a list of them; a date
    range, inclusive, in ``zone``). One query."""
    where = Q()
    if action:
        where &= Q(action=action)
    if actions is not None:
        where &= Q(action__in=actions)
    if date_from is not None:
        where &= Q(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        where &= Q(occurred_at__lt=end)
    if before is not None:
        after = None
    newest_first = after is None
    if before is not None:
        # The bound on time alone is what the index ranges over; ties are settled by id.
        where &= Q(occurred_at__lte=before.occurred_at) & (
            Q(occurred_at__lt=before.occurred_at) | Q(id__lt=before.id)
        )
    if after is not None:
        where &= Q(occurred_at__gte=after.occurred_at) & (
            Q(occurred_at__gt=after.occurred_at) | Q(id__gt=after.id)
        )
    ordering = ("-occurred_at", "-id") if newest_first else ("occurred_at", "id")
    parts = [branch.filter(where) for branch in branches]
    if len(parts) == 1:
        rows = list(parts[0].order_by(*ordering)[: page_size + 1])
    else:
        if connections[parts[0].db].features.supports_slicing_ordering_in_compound:
            # Each part ordered and cut to a page itself, so PostgreSQL merges index scans
            # that stop after a page each, rather than sorting all of a school's history.
            parts = [part.order_by(*ordering)[: page_size + 1] for part in parts]
        combined = parts[0].union(*parts[1:], all=True)
        rows = list(combined.order_by(*ordering)[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not newest_first:
        rows.reverse()
    if not rows:
        return EventPage([], None, None)
    first, last = Cursor.of(rows[0]), Cursor.of(rows[-1])
    if newest_first:
        return EventPage(rows, first if before is not None else None, last if more else None)
    return EventPage(rows, first if more else None, last)


def _zone(school: School | None) -> dt.tzinfo:
    if school is not None:
        try:
            return zoneinfo.ZoneInfo(school.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def _looked(
    actor: Actor, page: str, filters: dict[str, Any], *, trust_id: int, school_id: int | None
) -> None:
    shown = {k: v for k, v in filters.items() if k not in ("before", "after")}
    cursor = filters.get("before") or filters.get("after")
    details = {"page": page, **shown, **({"from": str(cursor)} if cursor else {})}
    record("audit.viewed", actor=actor, details=details, school_id=school_id, trust_id=trust_id)


def audit_events_for_viewing(actor: Actor, *, school: School, **filters: Any) -> EventPage:
    """A page of what concerns ``school`` (see the module's note), for a reader who may
    ``audit.view`` there (else nothing), recording that they looked (``audit.viewed``, with the
    filters)."""
    if not actor.can(VIEW, school.pk):
        return EventPage([], None, None)
    _looked(actor, "school", filters, school_id=school.pk, trust_id=school.trust_id)
    return audit_page(school_branches(school), zone=_zone(school), **filters)


def reads_for_viewing(actor: Actor, *, school: School, **filters: Any) -> EventPage:
    """Who read what: a page of the looks at sensitive records filed under ``school`` (every
    read is filed under the school it was made in), for an ``audit.view`` reader there."""
    if not actor.can(VIEW, school.pk):
        return EventPage([], None, None)
    _looked(actor, "reads", filters, school_id=school.pk, trust_id=school.trust_id)
    own = school_branches(school)[:1]
    actions = [filters.pop("action")] if filters.get("action") else read_actions()
    return audit_page(own, zone=_zone(school), actions=actions, **filters)


def may_view_trust_log(actor: Actor, trust: Trust) -> bool:
    return actor.can_in_trust(TRUST_VIEW, trust.pk, standalone=trust.is_standalone)


def trust_events_for_viewing(actor: Actor, *, trust: Trust, **filters: Any) -> EventPage:
    """A page of every event of the trust (all its schools and its trust-wide events), for its
    trust administrators (else nothing), recording that they looked."""
    if not may_view_trust_log(actor, trust):
        return EventPage([], None, None)
    _looked(actor, "trust", filters, trust_id=trust.pk, school_id=None)
    rows = AuditEvent.objects.order_by().filter(trust_id=trust.pk)
    return audit_page([rows], zone=timezone.get_current_timezone(), **filters)


def audit_event_get_for_viewing(actor: Actor, *, event_id: int) -> AuditEvent:
    """One event within the actor's scope (anything else is a 404 like a missing one), and the
    audited read of it."""
    event = get_for_actor_or_404(AuditEvent.objects.all(), actor, VIEW, pk=event_id)
    record_read("audit.viewed", actor=actor, target=event)
    return event
