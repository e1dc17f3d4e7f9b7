"""The meeting on the platform, made once the session is allowed.

A session planned on Teams, Zoom or Meet gets its meeting from the platform's API only when the
protocol allows it as planned with its steps done (:func:`~chaperone.scheduling.services.may_start`)
and only where the platform's credentials are configured; otherwise the host's own link stands.
:func:`meeting_ensure` is idempotent: a session with a meeting is left alone, and one whose
platform refused or could not be reached keeps the error (shown on its page) and is tried again by
the next invitations run and by the daily job. The meeting's link replaces the planned one and the
SEQUENCE is raised, so the invitations that follow carry it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import structlog
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.scheduling.models import Session, SessionState, latest_decision
from chaperone.scheduling.platforms import PlatformError, adapter_for, spec_for_session
from chaperone.tenancy.policies import SYSTEM

log = structlog.get_logger(__name__)

EnsureResult = Literal["created", "exists", "manual", "not_allowed", "failed", "missing"]


def meeting_ensure(*, session_id: int) -> EnsureResult:
    """Make the session's meeting on its platform if it is due one (see the module)."""
    from chaperone.scheduling.services import may_start

    session = (
        Session.objects.select_related("school", "host", "second_staff")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return "missing"
    if session.meeting_id:
        return "exists"
    adapter = adapter_for(session.platform)
    if not adapter.configured():
        return "manual"
    if not may_start(session) or session.ends_at <= timezone.now():
        return "not_allowed"
    spec = spec_for_session(session, latest_decision(session))
    try:
        created = adapter.create(spec)
    except PlatformError as exc:
        message = str(exc)[:500]
        with transaction.atomic():
            Session.objects.filter(pk=session.pk).update(meeting_error=message)
            record(
                "session.meeting_failed",
                actor=SYSTEM,
                target=session,
                details={"platform": session.platform, "error": message},
            )
        log.warning("meeting_not_created", session_id=session.pk, error=message)
        return "failed"
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.meeting_id:  # another run made it first; its link stands
            return "exists"
        locked.meeting_id = created.meeting_id[:200]
        locked.join_url = created.join_url[:500]
        locked.meeting_error = ""
        locked.sequence += 1
        locked.save(update_fields=["meeting_id", "join_url", "meeting_error", "sequence"])
        record(
            "session.meeting_created",
            actor=SYSTEM,
            target=locked,
            details={"platform": session.platform, "meeting_id": locked.meeting_id},
        )
    return "created"


def meetings_due(day: dt.date) -> list[int]:
    """Sessions from ``day`` on whose meeting should exist and does not (a failed attempt, or a
    platform configured since): the daily job tries them again."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return list(
        Session.objects.filter(
            state=SessionState.PLANNED,
            outcome="allowed",
            meeting_id="",
            starts_at__gte=start,
            platform__in=["teams", "zoom", "meet"],
        ).values_list("pk", flat=True)
    )
