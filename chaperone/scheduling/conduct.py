"""Running a call and its log: the start-of-call checklist, attendance, ending the call (with
"End and report" raising a safeguarding concern in the same step) and the host's log after it.

The start-of-call checklist is not a list per protocol: it is the session's stored decision's
``info`` findings that are about the start of a call, each turned into a question by
:data:`START_CHECKS` (data, one place). A code the table does not know is not asked; a school's
own start-of-call rule joins the list by adding its code here.

State changes: ``planned`` -> ``live`` (:func:`session_start`, only when
:func:`~chaperone.scheduling.services.may_start`) -> ``ended`` (:func:`session_end` or
:func:`session_end_and_report`); the log (:func:`session_log_write`) is written once after.
Each is a named audit action; bad input raises :class:`ConductProblem` naming the field and
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import Concern, ConcernSource, PupilRole
from chaperone.concerns.services import ConcernProblem, concern_raise
from chaperone.core.mail import MAIL_ERRORS, send_email
from chaperone.core.models import RefusesUpdate, WrittenOnce
from chaperone.people.models import Pupil, StaffMember
from chaperone.people.selectors import staff_to_tell
from chaperone.scheduling.models import (
    SchedulingRecordRefused,
    Session,
    SessionState,
    latest_decision,
)
from chaperone.tenancy.policies import Actor, object_rule
from chaperone.tenancy.querysets import ScopedQuerySet, can_for
from chaperone.tenancy.scope import TenantScope

log = logging.getLogger(__name__)

#: finding code -> what the host confirms as the call opens. The codes are the shipped
#: templates' reminders about the start of a call (chaperone/rules/templates); the order here is
#: the order asked.
START_CHECKS: Mapping[str, str] = {
    "CALL_CONTROL": "You opened the meeting yourself, before any pupil joined.",
    "LOBBY_ADMISSION": "You let in from the waiting room only invited pupils, checking each name.",
    "MUTE_ON_ENTRY": "Cameras and microphones were muted as pupils joined.",
    "PARENT_AT_START": "A parent is in the room as the call begins.",
    "CHAPERONE_CHECK": "The adult at home appeared on camera and agreed to the call going ahead.",
    "PUPIL_TOLD_OF_ADULT": "The pupil was told that the second adult is there.",
    "RECORDING_EXPLAINED": "The parent was told the call is recorded for safeguarding, and why.",
    "RECORDING_TERMS": "Everyone in the call was told it is being recorded.",
    "CAMERAS_ON": "Cameras are on, backgrounds neutral, and everyone is dressed appropriately.",
    "BEDROOM_CHECK": "No pupil is in a bedroom (or their video is off and they are asked to move).",
    "BEDROOM_DOOR_OPEN": "The pupil is in a bedroom only for a good reason, with the door open.",
    "HOME_ALONE_CHECK": "No child too young to be left alone is on their own at home.",
}

#: finding codes that mean the DSL must be told once the call has ended
TELL_DSL_WHEN_ENDED = frozenset({"DSL_MUST_BE_NOTIFIED"})

#: whom that notice goes to (a "who is told" entry of the policy)
END_NOTICE_ACTION = "session.end_notice"

#: a call can be opened this long before its planned start
OPEN_EARLY = timedelta(minutes=15)

#: the longest a logged call may have lasted
LONGEST_CALL = timedelta(hours=8)
#: the longest addendum to a log, in characters
LONGEST_ADDENDUM = 5000


# --- models -----------------------------------------------------------------------------------


class StartCheckQuerySet(RefusesUpdate, ScopedQuerySet["StartCheck"]):
    school_path = "session__school_id"


class StartCheck(WrittenOnce):
    """One item of the start-of-call checklist as the host confirmed it."""

    rewrite_refusal = "A start-of-call checklist is never changed."
    rewrite_error = SchedulingRecordRefused

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="start_checks")
    code = models.CharField(max_length=60)
    #: the question as it was asked
    question = models.CharField(max_length=200)
    confirmed = models.BooleanField()
    order = models.PositiveSmallIntegerField(default=0)

    objects = StartCheckQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code"], name="%(app_label)s_%(class)s_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {'yes' if self.confirmed else 'no'}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


class AttendanceQuerySet(ScopedQuerySet["Attendance"]):
    school_path = "session__school_id"


class Attendance(models.Model):
    """Whether a pupil of the session joined at the start, and attended as the log says."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="+")
    joined = models.BooleanField()
    #: as the log records it (None: no log yet)
    attended = models.BooleanField(null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["pupil__last_name", "pupil__first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "pupil"], name="%(app_label)s_%(class)s_once_per_pupil"
            )
        ]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} in session {self.session_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


class SessionLogQuerySet(RefusesUpdate, ScopedQuerySet["SessionLog"]):
    school_path = "session__school_id"


class SessionLog(WrittenOnce):
    """What the host wrote after the call. Written once."""

    rewrite_refusal = "A session's log is never changed."
    rewrite_error = SchedulingRecordRefused

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="log")
    actual_start = models.DateTimeField()
    actual_end = models.DateTimeField()
    #: what came of the call for the outcome in the pupil's pastoral or EHC plan
    outcome = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    recording_made = models.BooleanField()
    written_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = SessionLogQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_end__gt=models.F("actual_start")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message="A call ends after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"log of session {self.session_id}"

    @property
    def minutes(self) -> int:
        return int((self.actual_end - self.actual_start).total_seconds() // 60)

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


class LogAddendumQuerySet(RefusesUpdate, ScopedQuerySet["SessionLogAddendum"]):
    school_path = "log__session__school_id"


class SessionLogAddendum(WrittenOnce):
    """Something added to a call's log after it was written (a log is never changed: a
    correction or a later fact is added, with who added it and when)."""

    rewrite_refusal = "What was added to a session's log is never changed."
    rewrite_error = SchedulingRecordRefused

    log = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="addenda")
    text = models.TextField()
    written_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = LogAddendumQuerySet.as_manager()

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"addendum {self.pk} to the log of session {self.log.session_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.log.session.school_id, trust_id=None)


class LogRemovalQuerySet(RefusesUpdate, ScopedQuerySet["SessionLogRemoval"]):
    school_path = "session__school_id"


class SessionLogRemoval(WrittenOnce):
    """What is left of a session's log deleted under the retention schedule: when, under which
    period, and the audit event holding the deletion certificate. The session then shows "log
    removed under the retention schedule" rather than "not logged", and is never flagged as
    logged late. Written by the records app's deletion job; never changed."""

    rewrite_refusal = "The note of a log removed under retention is never changed."
    rewrite_error = SchedulingRecordRefused

    #: no database constraint: the deletion job writes these by the thousand in its batches,
    #: and the sessions it names are there (deleting a session still takes its note with it)
    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="log_removal", db_constraint=False
    )
    removed_at = models.DateTimeField(default=timezone.now)
    #: the period it was kept, in words ("365 days, the school's protocol")
    schedule = models.CharField(max_length=200)
    #: the id of the ``records.deleted`` audit event (the deletion certificate)
    certificate_id = models.BigIntegerField()

    objects = LogRemovalQuerySet.as_manager()

    def __str__(self) -> str:
        return f"log of session {self.session_id} removed under retention"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


@object_rule(Session, "session.run")
def _host_runs(actor: Actor) -> Q | None:
    """The host and the second member of staff run the call; nobody else does."""
    if actor.staff_id is None:
        return None
    return Q(host_id=actor.staff_id) | Q(second_staff_id=actor.staff_id)


@object_rule(Session, "session.view")
def _line_manager_sees(actor: Actor) -> Q | None:
    """A line manager sees the sessions of the staff they manage, for their regular check-ins."""
    if actor.staff_id is None:
        return None
    return Q(host__line_manager_id=actor.staff_id) | Q(second_staff__line_manager_id=actor.staff_id)


# --- the start-of-call checklist --------------------------------------------------------------


@dataclass(frozen=True)
class StartItem:
    code: str
    question: str
    #: the protocol's own words for the reminder
    rule: str


def _latest_findings(session: Session) -> list[dict[str, Any]]:
    latest = latest_decision(session)
    return list(latest.decision.get("findings", [])) if latest is not None else []


def start_items(session: Session) -> list[StartItem]:
    """The start-of-call checklist of ``session``: its stored decision's reminders about the
    start of a call, in the order of :data:`START_CHECKS`."""
    rules = {
        f["code"]: f.get("label") or f.get("rule", "")
        for f in _latest_findings(session)
        if f.get("effect") == "info" and f.get("code") in START_CHECKS
    }
    return [
        StartItem(code, START_CHECKS[code], rules[code]) for code in START_CHECKS if code in rules
    ]


def must_tell_dsl_when_ended(session: Session) -> bool:
    return any(f.get("code") in TELL_DSL_WHEN_ENDED for f in _latest_findings(session))


def expects_second_adult(session: Session) -> bool:
    """Whether the plan counts on a second adult: a second member of staff or an adult at home
    (a parent present at home is asked by the checklist instead, where the protocol says so)."""
    return session.second_staff_id is not None or session.chaperone_present


# --- writes -----------------------------------------------------------------------------------


class ConductProblem(ValueError):
    """A step of running or logging a call that cannot be taken as asked: ``field`` names the
    form field ("" for the page as a whole)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def may_run(actor: Actor, session: Session) -> bool:
    return can_for(actor, "session.run", session)


def _locked(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("school").get(pk=session.pk)


def _pupil_ids(session: Session) -> set[int]:
    return set(session.pupils.values_list("pk", flat=True))


@transaction.atomic
def session_start(
    *,
    actor: Actor,
    session: Session,
    confirmed: Collection[str],
    joined: Collection[int],
    second_adult_present: bool | None = None,
) -> Session:
    """Open the call: every start-of-call item confirmed, the pupils who joined, and whether
    the planned second adult is there. Only a session that may start is opened (a forged POST
    for one that may not changes nothing)."""
    from chaperone.scheduling.services import may_start

    if not may_run(actor, session):
        raise PermissionDenied("Only the host or the second member of staff opens the call.")
    session = _locked(session)
    if session.state == SessionState.LIVE:
        raise ConductProblem("", "This call is already under way.")
    if session.state == SessionState.ENDED:
        raise ConductProblem("", "This call has ended; it cannot be opened again.")
    if not may_start(session):
        raise ConductProblem(
            "",
            "This session may not start: the protocol does not allow it yet, or it was cancelled.",
        )
    now = timezone.now()
    if now < session.starts_at - OPEN_EARLY:
        opens = timezone.localtime(session.starts_at - OPEN_EARLY)
        raise ConductProblem(
            "", f"This call can be opened from 15 minutes before it starts ({opens:%H:%M})."
        )
    if now > session.ends_at:
        raise ConductProblem("", "The planned time of this call has passed; plan a new one.")
    items = start_items(session)
    for item in items:
        if item.code not in confirmed:
            raise ConductProblem("checks", f"{item.question} Confirm it, or do not start the call.")
    pupils = _pupil_ids(session)
    joined_ids = {int(p) for p in joined}
    if not joined_ids <= pupils:
        raise ConductProblem("joined", "Pupils who joined: choose pupils of this session.")
    if not joined_ids:
        raise ConductProblem("joined", "Pupils who joined: tick each pupil who is in the call.")
    if expects_second_adult(session):
        if second_adult_present is None:
            raise ConductProblem(
                "second_adult_present", "Second adult: say whether they are in the call."
            )
    else:
        second_adult_present = None
    StartCheck.objects.bulk_create(
        StartCheck(session=session, code=i.code, question=i.question, confirmed=True, order=n)
        for n, i in enumerate(items)
    )
    Attendance.objects.bulk_create(
        Attendance(session=session, pupil_id=p, joined=p in joined_ids) for p in sorted(pupils)
    )
    session.state = SessionState.LIVE
    session.started_at = now
    session.started_by_id = actor.staff_id
    session.second_adult_present = second_adult_present
    session.updated_at = now
    session.save(
        update_fields=["state", "started_at", "started_by", "second_adult_present", "updated_at"]
    )
    audit_record(
        "session.started",
        actor=actor,
        target=session,
        details={
            "checks": [i.code for i in items],
            "joined": len(joined_ids),
            "pupils": len(pupils),
            "second_adult_present": second_adult_present,
        },
    )
    return session


def _end(actor: Actor, session: Session, reason: str) -> Session:
    if not may_run(actor, session):
        raise PermissionDenied("Only the host or the second member of staff ends the call.")
    session = _locked(session)
    if session.state == SessionState.ENDED:
        raise ConductProblem("", "This call has already ended.")
    if session.state != SessionState.LIVE:
        raise ConductProblem("", "This call has not started, so there is nothing to end.")
    now = timezone.now()
    session.state = SessionState.ENDED
    session.ended_at = now
    session.ended_by_id = actor.staff_id
    session.end_reason = reason
    session.updated_at = now
    return session


def _save_ended(session: Session) -> None:
    session.save(
        update_fields=[
            "state",
            "ended_at",
            "ended_by",
            "end_reason",
            "reported_concern",
            "updated_at",
        ]
    )


@transaction.atomic
def session_end(*, actor: Actor, session: Session, reason: str = "", link: str = "") -> Session:
    """End the call for everyone. Where the protocol says the DSL must be told, they are
    emailed once the ending is stored."""
    session = _end(actor, session, reason.strip())
    _save_ended(session)
    audit_record(
        "session.ended",
        actor=actor,
        target=session,
        details={"minutes": _minutes(session)},
    )
    _tell_dsl_if_asked(actor, session, link)
    return session


@transaction.atomic
def session_end_and_report(
    *,
    actor: Actor,
    session: Session,
    reason: str,
    seen: str,
    pupil_ids: Collection[int] = (),
    link: str = "",
) -> Concern:
    """End the call for everyone and raise a safeguarding concern to the DSL in the same step
    (both stored, or neither). ``pupil_ids`` are the pupils the concern is about (none given:
    every pupil of the session)."""
    reason = reason.strip()
    if not reason:
        raise ConductProblem("reason", "Why you ended the call: say why.")
    if not seen.strip():
        raise ConductProblem("seen", "What you saw or heard: say what happened.")
    session = _end(actor, session, reason)
    pupils = _pupil_ids(session)
    chosen = {int(p) for p in pupil_ids} or pupils
    if not chosen <= pupils:
        raise ConductProblem("pupils", "Pupils: choose pupils of this session.")
    try:
        concern = concern_raise(
            actor=actor,
            school=session.school,
            pupils_with_roles=[
                (p, PupilRole.SUBJECT) for p in Pupil.objects.filter(pk__in=chosen).order_by("pk")
            ],
            summary=f"{seen.strip()}\n\nWhy the call was ended: {reason}",
            source=ConcernSource.SESSION,
            source_label=str(session),
            source_ref=str(session.pk),
            source_details={
                "platform": session.get_platform_display(),
                "recorded": session.recording,
                "started_at": session.started_at.isoformat() if session.started_at else None,
                "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            },
            occurred_at=session.started_at or session.ended_at,
            link=link,
        )
    except ConcernProblem as problem:
        raise ConductProblem(problem.field, problem.message) from problem
    session.reported_concern = concern
    _save_ended(session)
    audit_record(
        "session.ended_and_reported",
        actor=actor,
        target=session,
        details={"concern_id": concern.pk, "pupils": len(chosen), "minutes": _minutes(session)},
    )
    _tell_dsl_if_asked(actor, session, link)
    return concern


def _minutes(session: Session) -> int | None:
    if session.started_at is None or session.ended_at is None:
        return None
    return int((session.ended_at - session.started_at).total_seconds() // 60)


def _tell_dsl_if_asked(actor: Actor, session: Session, link: str) -> None:
    """Where the session's decision says the DSL must hear of the call once it ends, record it
    and email them after the commit."""
    if not must_tell_dsl_when_ended(session):
        return
    audit_record(
        "session.dsl_notified",
        actor=actor,
        target=session,
        details={"codes": sorted(TELL_DSL_WHEN_ENDED)},
    )
    session_id = session.pk
    transaction.on_commit(lambda: session_end_notice_send(session_id=session_id, link=link))


def session_end_notice_send(*, session_id: int, link: str = "") -> int:
    """Email the school's safeguarding team (``session.end_notice``) that the call ended;
    returns how many were emailed. A failed send is logged (the audit event already names the
    duty)."""
    session = (
        Session.objects.select_related("school", "host", "second_staff")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return 0
    recipients = [
        s.notice_email for s in staff_to_tell(action=END_NOTICE_ACTION, school_id=session.school_id)
    ]
    if not recipients:
        log.warning("session %s: nobody at school %s to notify", session.pk, session.school_id)
        return 0
    context = {
        "session": session,
        "pupils": list(session.pupils.order_by("last_name", "first_name", "id")),
        "rules": [
            f.get("label") or f.get("rule", "")
            for f in _latest_findings(session)
            if f.get("code") in TELL_DSL_WHEN_ENDED
        ],
        "link": link,
    }
    try:
        send_email("scheduling/conduct_email_notice", context, recipients)
    except MAIL_ERRORS as exc:
        log.error("session %s: end notice not sent: %s", session.pk, exc)
        return 0
    return len(recipients)


# --- the log ----------------------------------------------------------------------------------


@dataclass
class LogData:
    """What the log form gives."""

    actual_start: datetime
    actual_end: datetime
    attended: Collection[int]
    recording_made: bool
    outcome: str = ""
    notes: str = ""


@transaction.atomic
def session_log_write(*, actor: Actor, session: Session, data: LogData) -> SessionLog:
    """The host's log of a call that has ended: actual times, attendance, the outcome for the
    pupil's plan (asked where the plan states one), notes, whether a recording was made."""
    if not may_run(actor, session):
        raise PermissionDenied("Only the host or the second member of staff logs the call.")
    session = _locked(session)
    if session.state != SessionState.ENDED:
        raise ConductProblem("", "Write the log once the call has ended.")
    if SessionLog.objects.filter(session=session).exists():
        raise ConductProblem("", "This call's log is written; it is kept as it was written.")
    if SessionLogRemoval.objects.filter(session=session).exists():
        raise ConductProblem(
            "", "This call's log was written and later removed under the retention schedule."
        )
    start, end = data.actual_start, data.actual_end
    if abs(start - session.starts_at) > timedelta(hours=12):
        raise ConductProblem("actual_start", "Started: choose a time on the day of the call.")
    if end <= start:
        raise ConductProblem("actual_end", "Ended: choose a time after the start.")
    if end > timezone.now() + timedelta(minutes=1):
        raise ConductProblem("actual_end", "Ended: choose a time that has passed.")
    if end - start > LONGEST_CALL:
        raise ConductProblem("actual_end", "Ended: a call lasts at most 8 hours.")
    pupils = _pupil_ids(session)
    attended = {int(p) for p in data.attended}
    if not attended <= pupils:
        raise ConductProblem("attended", "Attendance: choose pupils of this session.")
    outcome = data.outcome.strip()
    if session.plan_outcome.strip() and not outcome:
        raise ConductProblem(
            "outcome", "Outcome: say what came of the call for the outcome in the pupil's plan."
        )
    assert actor.staff_id is not None
    entry = SessionLog.objects.create(
        session=session,
        actual_start=start,
        actual_end=end,
        outcome=outcome,
        notes=data.notes.strip(),
        recording_made=data.recording_made,
        written_by_id=actor.staff_id,
    )
    rows = {a.pupil_id: a for a in Attendance.objects.filter(session=session)}
    for pupil_id in sorted(pupils):
        row = rows.get(pupil_id) or Attendance(session=session, pupil_id=pupil_id, joined=False)
        row.attended = pupil_id in attended
        row.save()
    audit_record(
        "session.logged",
        actor=actor,
        target=session,
        details={
            "attended": len(attended),
            "pupils": len(pupils),
            "minutes": entry.minutes,
            "recording_made": data.recording_made,
        },
    )
    return entry


@transaction.atomic
def session_log_amend(*, actor: Actor, session: Session, text: str) -> SessionLogAddendum:
    """Add to a written log (a correction or something learned later). Those who ran the call
    add to it; the log as first written stays as it was, and every addition is kept."""
    if not may_run(actor, session):
        raise PermissionDenied("Only the host or the second member of staff adds to the log.")
    session = _locked(session)
    entry = SessionLog.objects.filter(session=session).first()
    if entry is None:
        raise ConductProblem("", "Write the call's log first; then you can add to it.")
    text = text.strip()
    if not text:
        raise ConductProblem("text", "What to add: write what you are adding to the log.")
    if len(text) > LONGEST_ADDENDUM:
        raise ConductProblem(
            "text", f"What to add: keep it to {LONGEST_ADDENDUM} characters or fewer."
        )
    assert actor.staff_id is not None
    addendum = SessionLogAddendum.objects.create(log=entry, text=text, written_by_id=actor.staff_id)
    audit_record(
        "session.log_amended",
        actor=actor,
        target=session,
        details={"addendum_id": addendum.pk, "characters": len(text)},
    )
    return addendum
