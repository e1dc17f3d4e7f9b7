"""Writes of the records app: adding a recording to the register, linking records to a concern
(which holds them), placing and releasing holds, opening a recording, the school's schedule.

Bad input raises :class:`RecordsProblem` naming the form field and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.audit.models import AuditEvent
from chaperone.concerns.models import Concern, ConcernRoute, ConcernSource
from chaperone.concerns.selectors import may_manage
from chaperone.records import retention
from chaperone.records.models import (
    ConcernLink,
    LegalHold,
    Recording,
    RecordingAccess,
    RetentionSetting,
    Source,
)
from chaperone.records.storage import new_name, recordings_storage
from chaperone.records.uploads import HashedUpload
from chaperone.scheduling.conduct import SessionLog
from chaperone.scheduling.models import Session
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import can_for

log = logging.getLogger(__name__)

#: how long a signed address to a recording works
ACCESS_SECONDS = 300
SIGNING_SALT = "chaperone.records.recording-stream"
#: finding codes that are about the recording of a call (the shipped templates' rules)
RECORDING_CODES = ("RECORDING_REQUIRED", "RECORDING_RETENTION", "RECORDING_TERMS")

#: the hosts where each platform keeps recordings (a reference must point there)
REFERENCE_HOSTS: dict[str, tuple[str, ...]] = {
    Source.TEAMS: ("sharepoint.com", "microsoft.com", "office.com", "teams.microsoft.com"),
    Source.ZOOM: ("zoom.us", "zoom.com"),
    Source.MEET: ("google.com",),
    Source.DRIVE: (),
    Source.OTHER: (),
}


class RecordsProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- the register ------------------------------------------------------------------------------


def may_add(actor: Actor, session: Session) -> bool:
    return can_for(actor, "recording.add", session)


def required_by(session: Session) -> dict[str, Any]:
    """The protocol rule that asked for the recording, from the session's latest stored decision
    (empty when none of its findings is about recording)."""
    latest = session.decisions.select_related("decision").order_by("decided_at", "id").last()
    if latest is None:
        return {}
    stored = latest.decision.decision
    findings = [f for f in stored.get("findings", []) if str(f.get("code", "")) in RECORDING_CODES]
    if not findings:
        findings = [f for f in stored.get("findings", []) if "RECORD" in str(f.get("code", ""))]
    if not findings:
        return {}
    first = sorted(
        findings,
        key=lambda f: RECORDING_CODES.index(f["code"]) if f["code"] in RECORDING_CODES else 99,
    )[0]
    protocol = stored.get("protocol", {})
    return {
        "rule_id": first.get("rule_id", ""),
        "code": first.get("code", ""),
        "text": first.get("label") or first.get("rule", ""),
        "protocol": protocol.get("id", ""),
        "version": protocol.get("version", ""),
        "decision_id": latest.decision_id,
    }


def _dsl_notice(session: Session) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(
            action="session.dsl_notified",
            target_type=session._meta.label_lower,
            target_id=str(session.pk),
            school_id=session.school_id,
        )
        .order_by("-occurred_at")
        .first()
    )


def _check_reference(source: str, link: str) -> str:
    link = link.strip()
    if not link:
        raise RecordsProblem("link", "Link: paste the address where the recording is kept.")
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.hostname:
        raise RecordsProblem("link", "Link: enter an address starting https://.")
    hosts = REFERENCE_HOSTS.get(source, ())
    host = parts.hostname.lower()
    if hosts and not any(host == h or host.endswith("." + h) for h in hosts):
        raise RecordsProblem(
            "link",
            f"Link: a recording kept in {Source(source).label[8:]} has an address at "
            f"{' or '.join(hosts)}.",
        )
    return link


@dataclass
class RecordingData:
    session: Session
    source: str
    recorded_by_id: int
    link: str = ""
    upload: HashedUpload | None = None


def recording_add(*, actor: Actor, data: RecordingData) -> Recording:
    """Add a recording of ``data.session`` to the register: an uploaded file (moved into the
    ``recordings`` storage, with its size and SHA-256) or a reference to where the platform
    keeps it. The session's reported concern, if any, holds it at once."""
    session = data.session
    if not may_add(actor, session):
        raise PermissionDenied("You may not add recordings of this session.")
    if actor.staff_id is None:
        raise PermissionDenied("Only a member of staff adds a recording.")
    if data.source not in Source.values:
        raise RecordsProblem("source", "Where it is kept: choose one of the options.")
    if session.started_at is None:
        raise RecordsProblem("", "Add a recording once the call has taken place.")
    people = {session.host_id, session.second_staff_id} - {None}
    if data.recorded_by_id not in people:
        raise RecordsProblem("recorded_by", "Recorded by: choose the host or the second adult.")
    upload = data.upload
    link = ""
    if data.source == Source.UPLOAD:
        if upload is None:
            raise RecordsProblem("file", "File: choose the recording to upload.")
        if not upload.size:
            upload.discard()
            raise RecordsProblem("file", "File: the file is empty.")
    else:
        if upload is not None:
            upload.discard()
            upload = None
        link = _check_reference(data.source, data.link)
    stored_name = ""
    if upload is not None:
        stored_name = recordings_storage().save(
            new_name(session.school_id, upload.name or ""), upload
        )
        upload.discard()  # what is left of it (nothing, once moved)
    try:
        with transaction.atomic():
            notice = _dsl_notice(session)
            recording = Recording.objects.create(
                school_id=session.school_id,
                session=session,
                source=data.source,
                storage_name=stored_name,
                link=link,
                original_name=(upload.name or "")[:255] if upload is not None else "",
                content_type=(upload.content_type or "")[:100] if upload is not None else "",
                size_bytes=upload.size if upload is not None else None,
                sha256=upload.sha256 if upload is not None else "",
                recorded_by_id=data.recorded_by_id,
                added_by_id=actor.staff_id,
                rule=required_by(session),
                dsl_notified_at=notice.occurred_at if notice is not None else None,
                dsl_notice_event_id=notice.pk if notice is not None else None,
            )
            audit_record(
                "recording.added",
                actor=actor,
                target=recording,
                details={
                    "session_id": session.pk,
                    "source": data.source,
                    "size_bytes": recording.size_bytes,
                    "sha256": recording.sha256,
                    "rule": recording.rule.get("code", ""),
                },
            )
            for concern_id in concerns_about_session(session):
                _link_and_hold(
                    actor=actor,
                    school_id=session.school_id,
                    record_type=retention.RECORDING,
                    object_id=recording.pk,
                    label=str(recording),
                    concern_id=concern_id,
                )
    except Exception:
        if stored_name:
            recordings_storage().delete(stored_name)
        raise
    return recording


# --- holds -------------------------------------------------------------------------------------


def is_allegation(concern: Concern) -> bool:
    """A concern about an adult (a member of staff, or the headteacher): an allegation, read
    and handled by the headteacher or the chair of governors alone."""
    return concern.route != ConcernRoute.SAFEGUARDING


def may_link(actor: Actor, concern: Concern) -> bool:
    """May the actor link records to ``concern`` (so holding them)? The safeguarding team for a
    concern about a child; for an allegation, only whoever may handle it (the head, the chair):
    the team may not even know it exists."""
    if actor.is_system:
        return True
    if is_allegation(concern):
        return may_manage(actor, concern)
    return actor.can("records.hold", concern.school_id)


def concerns_about_session(session: Session) -> list[int]:
    """The concerns a session's records are kept for: the one its end reported, and any concern
    (an allegation about staff included) raised with the session as its source."""
    ids = {session.reported_concern_id} if session.reported_concern_id else set()
    ids |= set(
        Concern.objects.filter(
            school_id=session.school_id, source=ConcernSource.SESSION, source_ref=str(session.pk)
        ).values_list("pk", flat=True)
    )
    return sorted(ids)


def _label_of(record_type: str, object_id: int, school_id: int) -> str:
    if record_type == retention.RECORDING:
        rec = Recording.objects.filter(pk=object_id, school_id=school_id).select_related("session")
        found = rec.first()
        return str(found) if found is not None else ""
    if record_type == retention.SESSION_LOG:
        log_row = (
            SessionLog.objects.filter(pk=object_id, session__school_id=school_id)
            .select_related("session")
            .first()
        )
        return f"Log of {log_row.session.title}" if log_row is not None else ""
    return ""


def _link_and_hold(
    *,
    actor: Actor,
    school_id: int,
    record_type: str,
    object_id: int,
    label: str,
    concern_id: int,
) -> LegalHold | None:
    link, created = ConcernLink.objects.get_or_create(
        record_type=record_type,
        object_id=object_id,
        concern_id=concern_id,
        defaults={"school_id": school_id, "linked_by_id": actor.staff_id},
    )
    if created:
        audit_record(
            "records.linked",
            actor=actor,
            target=link,
            details={"record_type": record_type, "object_id": object_id, "concern_id": concern_id},
        )
    if (
        LegalHold.objects.active()
        .filter(record_type=record_type, object_id=object_id, concern_id=concern_id)
        .exists()
    ):
        return None
    concern = Concern.objects.get(pk=concern_id)
    hold = LegalHold.objects.create(
        school_id=school_id,
        record_type=record_type,
        object_id=object_id,
        label=label[:300],
        concern_id=concern_id,
        reason=(
            "Linked to an allegation about a member of staff."
            if is_allegation(concern)
            else "Linked to a safeguarding concern."
        ),
        placed_by_id=actor.staff_id,
    )
    audit_record(
        "records.hold_placed",
        actor=actor,
        target=hold,
        details={
            "record_type": record_type,
            "object_id": object_id,
            "concern_id": concern_id,
            "automatic": True,
        },
    )
    return hold


def _lock_record(record_type: str, object_id: int, school_id: int) -> str:
    """Lock the record (so the deletion job waits) and return its label; a record already
    deleted (or another school's) is a problem."""
    if record_type == retention.RECORDING:
        found = (
            Recording.objects.select_for_update().filter(pk=object_id, school_id=school_id).exists()
        )
    elif record_type == retention.SESSION_LOG:
        found = (
            SessionLog.objects.select_for_update()
            .filter(pk=object_id, session__school_id=school_id)
            .exists()
        )
    else:
        raise RecordsProblem("record_type", "Record: choose a recording or a session log.")
    if not found:
        raise RecordsProblem("", "This record is no longer held by Chaperone.")
    return _label_of(record_type, object_id, school_id)


@transaction.atomic
def records_link_to_concern(
    *, actor: Actor, school: School, record_type: str, object_id: int, concern: Concern
) -> LegalHold | None:
    """Link a recording or a session log to a concern (or an allegation) of the same school: the
    link holds it."""
    if not may_link(actor, concern):
        raise PermissionDenied(
            "Only whoever handles the concern (the safeguarding team; for an allegation, the "
            "headteacher or the chair) links records to it."
        )
    if concern.school_id != school.pk:
        raise RecordsProblem("concern", "Concern: choose a concern of this school.")
    label = _lock_record(record_type, object_id, school.pk)
    return _link_and_hold(
        actor=actor,
        school_id=school.pk,
        record_type=record_type,
        object_id=object_id,
        label=label,
        concern_id=concern.pk,
    )


@transaction.atomic
def session_records_hold_for_concern(*, actor: Actor, session: Session, concern: Concern) -> int:
    """Link a session's recordings and log to a concern (holding them); returns how many were
    newly held. Used for a session ended and reported, by the daily job."""
    if not actor.can("records.hold", session.school_id):
        raise PermissionDenied("Only the safeguarding team links records to concerns.")
    held = 0
    records: list[tuple[str, int, str]] = [
        (retention.RECORDING, r.pk, str(r))
        for r in Recording.objects.select_for_update().filter(session=session)
    ]
    log_row = SessionLog.objects.select_for_update().filter(session=session).first()
    if log_row is not None:
        records.append((retention.SESSION_LOG, log_row.pk, f"Log of {session.title}"))
    for record_type, object_id, label in records:
        if _link_and_hold(
            actor=actor,
            school_id=session.school_id,
            record_type=record_type,
            object_id=object_id,
            label=label,
            concern_id=concern.pk,
        ):
            held += 1
    return held


@transaction.atomic
def hold_place(
    *, actor: Actor, school: School, record_type: str, object_id: int, reason: str
) -> LegalHold:
    """The DSL holds a record from deletion, saying why."""
    if not actor.can("records.hold", school.pk):
        raise PermissionDenied("Only the safeguarding team places holds.")
    reason = reason.strip()
    if not reason:
        raise RecordsProblem("reason", "Reason: say why the record must be kept.")
    label = _lock_record(record_type, object_id, school.pk)
    hold = LegalHold.objects.create(
        school=school,
        record_type=record_type,
        object_id=object_id,
        label=label[:300],
        reason=reason,
        placed_by_id=actor.staff_id,
    )
    audit_record(
        "records.hold_placed",
        actor=actor,
        target=hold,
        details={"record_type": record_type, "object_id": object_id, "reason": reason},
    )
    return hold


@transaction.atomic
def hold_release(*, actor: Actor, hold: LegalHold, reason: str) -> LegalHold:
    """The DSL releases a hold, saying why; the record then follows the schedule again. A hold
    for an allegation is released only by whoever handles the allegation."""
    concern = hold.concern
    if concern is not None and is_allegation(concern):
        if not may_manage(actor, concern):
            raise PermissionDenied("Only whoever handles the allegation releases its hold.")
    elif not actor.can("records.hold", hold.school_id):
        raise PermissionDenied("Only the safeguarding team releases holds.")
    reason = reason.strip()
    if not reason:
        raise RecordsProblem("reason", "Reason: say why the record need no longer be kept.")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise RecordsProblem("", "This hold was released already.")
    hold.released_at = timezone.now()
    hold.released_by_id = actor.staff_id
    hold.release_reason = reason
    hold.save(update_fields=["released_at", "released_by", "release_reason"])
    audit_record(
        "records.hold_released",
        actor=actor,
        target=hold,
        details={"record_type": hold.record_type, "object_id": hold.object_id, "reason": reason},
    )
    return hold


def holds_on(record_type: str, object_ids: list[int]) -> dict[int, list[LegalHold]]:
    found: dict[int, list[LegalHold]] = {}
    for hold in LegalHold.objects.active().filter(
        record_type=record_type, object_id__in=object_ids
    ):
        found.setdefault(hold.object_id, []).append(hold)
    return found


# --- opening a recording -----------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    access: RecordingAccess
    token: str


def recording_open(*, actor: Actor, recording: Recording, reason: str, verified: bool) -> Grant:
    """Someone allowed opens a recording, saying why: recorded, and answered with a signed
    token that works for :data:`ACCESS_SECONDS` for this person only."""
    if not actor.can("recording.view", recording.school_id) or actor.staff_id is None:
        raise PermissionDenied("Only the safeguarding team and senior leaders open recordings.")
    if not verified:
        raise PermissionDenied("Give your second factor first.")
    reason = " ".join(reason.split())
    if len(reason) < 10:
        raise RecordsProblem(
            "reason", "Reason: say in a sentence why you need to see the recording."
        )
    if len(reason) > 1000:
        raise RecordsProblem("reason", "Reason: keep it under 1000 characters.")
    now = timezone.now()
    with transaction.atomic():
        access = RecordingAccess.objects.create(
            school_id=recording.school_id,
            recording=recording,
            staff_id=actor.staff_id,
            reason=reason,
            granted_at=now,
            expires_at=now + dt.timedelta(seconds=ACCESS_SECONDS),
        )
        audit_record(
            "recording.opened",
            actor=actor,
            target=recording,
            details={"reason": reason, "access_id": access.pk, "source": recording.source},
        )
    token = signing.dumps(
        {"a": access.pk, "r": recording.pk, "u": actor.user_id}, salt=SIGNING_SALT, compress=True
    )
    return Grant(access, token)


def access_from_token(token: str, *, user_id: int | None) -> RecordingAccess | None:
    """The access a token was given for, if it is still valid and the same person presents it
    (None otherwise: the caller answers 404)."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=ACCESS_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    access_id, recording_id = data.get("a"), data.get("r")
    if not isinstance(access_id, int) or not isinstance(recording_id, int):
        return None
    return (
        RecordingAccess.objects.select_related("recording")
        .filter(pk=access_id, recording_id=recording_id)
        .first()
    )


# --- the school's schedule ---------------------------------------------------------------------


@transaction.atomic
def retention_set(*, actor: Actor, school: School, record_type: str, days: int) -> RetentionSetting:
    """The school keeps one kind of record for ``days``: never less than its protocol asks."""
    if not actor.can("records.hold", school.pk) or actor.staff_id is None:
        raise PermissionDenied("Only the safeguarding team changes the retention schedule.")
    if record_type not in retention.deletable_keys():
        raise RecordsProblem("record_type", "Kind of record: choose one from the schedule.")
    if not 1 <= days <= 36500:
        raise RecordsProblem("days", "Days: enter a number of days from 1 to 36500.")
    period = retention.period_for(school, record_type)
    if period.protocol_days is not None and days < period.protocol_days:
        raise RecordsProblem(
            "days",
            f"Days: the school's protocol keeps these {period.protocol_days} days; "
            "the school may keep them longer, never shorter.",
        )
    setting, _ = RetentionSetting.objects.update_or_create(
        school=school,
        record_type=record_type,
        defaults={"days": days, "set_by_id": actor.staff_id, "set_at": timezone.now()},
    )
    audit_record(
        "records.schedule_changed",
        actor=actor,
        target=setting,
        details={"record_type": record_type, "days": days, "before": period.days},
    )
    return setting
