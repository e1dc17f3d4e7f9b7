"""The meeting on the platform, made once the session is allowed.

A session planned on Teams, Zoom or Meet gets its meeting from the platform's API only when the
protocol allows it as planned with its steps done (:func:`~chaperone.scheduling.services.may_start`)
and only where the platform's credentials are configured; otherwise the host's own link stands.
The meeting's link replaces the planned one and the SEQUENCE is raised, so the invitations that
follow carry it. After that the meeting follows the session (:func:`meeting_sync`, run by every
invitations run, which every change and cancellation enqueues): a moved or changed session
changes it, a cancelled or refused one removes it (Meet keeps its spaces: see
:meth:`~chaperone.scheduling.platforms.meet.Meet.remove`), and a new platform or organiser makes
it again. A failure is kept (shown on the session's page) and tried again by the daily job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.scheduling.models import Session, SessionState, latest_decision
from chaperone.scheduling.platforms import PlatformError, adapter_for, spec_for_session
from chaperone.scheduling.platforms.base import Adapter, MeetingSpec
from chaperone.tenancy.policies import SYSTEM

log = structlog.get_logger(__name__)

SyncResult = Literal[
    "created", "exists", "updated", "removed", "manual", "not_allowed", "failed", "missing"
]


def fingerprint(spec: MeetingSpec) -> str:
    """What a meeting was made or changed from: the address it was made under (its organiser)
    and the exact request body. A different address means a different organiser, which the
    platforms cannot change on an existing meeting: the meeting is made again."""
    owner = hashlib.sha256(f"{spec.method} {spec.path}".encode()).hexdigest()[:16]
    body = json.dumps(spec.payload, sort_keys=True, separators=(",", ":"), default=str)
    return f"{owner}:{hashlib.sha256(body.encode()).hexdigest()}"


def meeting_sync(*, session_id: int) -> SyncResult:
    """Keep the session's meeting on its platform in step with the session: made once the
    session is allowed, changed when the session moves or its settings change, removed when it
    is cancelled or refused, and made again when its platform or organiser changes. Idempotent:
    a meeting already in step is left alone. A failure is kept on the session (shown on its page)
    and tried again by the next invitations run and by the daily job."""
    session = _load(session_id)
    if session is None:
        return "missing"
    if not session.meeting_id:
        return _create(session)
    if session.ends_at <= timezone.now():
        return "exists"  # a meeting that has happened stays as it was
    adapter = adapter_for(session.meeting_platform or session.platform)
    if not adapter.configured():
        return "manual"  # the credentials were taken away: nothing can be changed from here
    gone = session.is_cancelled or session.outcome == "refused"
    spec = None
    if not gone and (session.meeting_platform or session.platform) == session.platform:
        spec = spec_for_session(session, latest_decision(session))
    # (a meeting made before fingerprints were kept has none: it is changed, not made again)
    kept_owner = session.meeting_fingerprint.split(":")[0]
    same_owner = spec is not None and kept_owner in ("", fingerprint(spec).split(":")[0])
    if spec is not None and same_owner:
        if fingerprint(spec) == session.meeting_fingerprint:
            return "exists"
        return _update(session, adapter, spec)
    removed = _remove(session, adapter)
    if removed != "removed" or gone:
        return removed
    session = _load(session_id)  # the platform or the organiser changed: make it afresh
    return _create(session) if session is not None else "missing"


def _load(session_id: int) -> Session | None:
    return (
        Session.objects.select_related("school", "host", "second_staff")
        .filter(pk=session_id)
        .first()
    )


def _failed(session: Session, exc: PlatformError, doing: str) -> SyncResult:
    message = str(exc)[:500]
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(meeting_error=message)
        record(
            "session.meeting_failed",
            actor=SYSTEM,
            target=session,
            details={"platform": session.platform, "error": message, "doing": doing},
        )
    log.warning("meeting_not_" + doing, session_id=session.pk, error=message)
    return "failed"


def _create(session: Session) -> SyncResult:
    from chaperone.scheduling.services import may_start

    adapter = adapter_for(session.platform)
    if not adapter.configured():
        return "manual"
    if not may_start(session) or session.ends_at <= timezone.now():
        return "not_allowed"
    spec = spec_for_session(session, latest_decision(session))
    try:
        created = adapter.create(spec)
    except PlatformError as exc:
        return _failed(session, exc, "created")
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.meeting_id:  # another run made it first; its link stands
            return "exists"
        locked.meeting_id = created.meeting_id[:200]
        locked.meeting_platform = session.platform
        locked.meeting_resource = created.resource[:500]
        locked.meeting_fingerprint = fingerprint(spec)
        locked.join_url = created.join_url[:500]
        locked.meeting_error = ""
        locked.sequence += 1
        locked.save(update_fields=[*_MEETING_FIELDS, "join_url", "sequence"])
        record(
            "session.meeting_created",
            actor=SYSTEM,
            target=locked,
            details={"platform": session.platform, "meeting_id": locked.meeting_id},
        )
    return "created"


_MEETING_FIELDS = [
    "meeting_id",
    "meeting_platform",
    "meeting_resource",
    "meeting_fingerprint",
    "meeting_error",
]


def _update(session: Session, adapter: Adapter, spec: MeetingSpec) -> SyncResult:
    try:
        adapter.update(session.meeting_resource, spec)
    except PlatformError as exc:
        return _failed(session, exc, "updated")
    with transaction.atomic():
        Session.objects.filter(pk=session.pk, meeting_id=session.meeting_id).update(
            meeting_fingerprint=fingerprint(spec), meeting_error=""
        )
        record(
            "session.meeting_updated",
            actor=SYSTEM,
            target=session,
            details={"platform": session.meeting_platform, "meeting_id": session.meeting_id},
        )
    return "updated"


def _remove(session: Session, adapter: Adapter) -> SyncResult:
    try:
        gone = adapter.remove(session.meeting_resource)
    except PlatformError as exc:
        return _failed(session, exc, "removed")
    with transaction.atomic():
        Session.objects.filter(pk=session.pk, meeting_id=session.meeting_id).update(
            **dict.fromkeys(_MEETING_FIELDS, "")
        )
        record(
            "session.meeting_removed",
            actor=SYSTEM,
            target=session,
            details={
                "platform": session.meeting_platform,
                "meeting_id": session.meeting_id,
                "deleted_on_platform": gone,
            },
        )
    return "removed"


def meetings_due(day: dt.date) -> list[int]:
    """Sessions from ``day`` on whose meeting should exist and does not (a failed attempt, or a
    platform configured since), or whose meeting could not be changed or removed when the
    session changed: the daily job tries them again."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    missing = Q(
        state=SessionState.PLANNED,
        outcome="allowed",
        meeting_id="",
        platform__in=["teams", "zoom", "meet"],
    )
    out_of_step = ~Q(meeting_id="") & ~Q(meeting_error="")
    return list(
        Session.objects.filter(missing | out_of_step, starts_at__gte=start)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
