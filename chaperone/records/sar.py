"""Subject access: everything Chaperone holds about one pupil, as JSON and PDF, with third
parties redacted, and each request tracked against its one-month deadline.

What goes in: the pupil's details, their sessions (with their logs and attendance), parental
consents, concerns about them (listed with their text redacted, for the DSL to decide before
release what may go; one the DSL marked for disclosure review is withheld with a note until
the mark is cleared), the recordings list (never the files), and the audit of who looked at
the pupil's record and recordings. Other pupils' names become "[another pupil]" wherever they
appear; with ``redact_staff``, staff names become "[a member of staff]" too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.audit.models import AuditEvent
from chaperone.concerns.models import Concern
from chaperone.people.models import Pupil, StaffMember
from chaperone.records.models import Recording, SubjectAccessRequest
from chaperone.scheduling.consent import ParentalConsent
from chaperone.scheduling.models import Session
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

ACTION = "records.sar"
OTHER_PUPIL = "[another pupil]"
STAFF = "[a member of staff]"


class SarProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def one_month_after(day: dt.date) -> dt.date:
    """The same day of the next month (the last day of it when that month is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Redactor:
    """Replaces the names of people other than the subject in free text."""

    patterns: list[tuple[re.Pattern[str], str]]

    @classmethod
    def for_school(cls, school: School, subject: Pupil, *, redact_staff: bool) -> Redactor:
        names: list[tuple[str, str]] = []
        for first, last in (
            Pupil.objects.filter(school=school)
            .exclude(pk=subject.pk)
            .values_list("first_name", "last_name")
        ):
            names.append((f"{first} {last}", OTHER_PUPIL))
            if len(last) >= 3 and last != subject.last_name:
                names.append((last, OTHER_PUPIL))
            if len(first) >= 3 and first != subject.first_name:
                names.append((first, OTHER_PUPIL))
        if redact_staff:
            for first, last in StaffMember.objects.filter(assignments__school=school).values_list(
                "first_name", "last_name"
            ):
                names.append((f"{first} {last}", STAFF))
                if len(last) >= 3:
                    names.append((last, STAFF))
        names.sort(key=lambda n: len(n[0]), reverse=True)  # whole names before their parts
        patterns = [
            (re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), mark) for name, mark in names
        ]
        return cls(patterns)

    def __call__(self, text: str) -> str:
        for pattern, mark in self.patterns:
            text = pattern.sub(mark, text)
        return text


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def build(school: School, pupil: Pupil, *, redact_staff: bool = False) -> dict[str, Any]:
    """Everything held about ``pupil`` at ``school``, redacted (a dict ready for JSON)."""
    redact = Redactor.for_school(school, pupil, redact_staff=redact_staff)

    def person(staff: StaffMember | None) -> str | None:
        if staff is None:
            return None
        return STAFF if redact_staff else staff.full_name

    sessions = []
    for session in (
        Session.objects.filter(school=school, pupils=pupil)
        .select_related("host", "second_staff")
        .order_by("starts_at")
    ):
        log_row = getattr(session, "log", None) if hasattr(session, "log") else None
        entry: dict[str, Any] = {
            "title": redact(session.title),
            "starts_at": _when(session.starts_at),
            "kind": session.get_kind_display(),
            "purpose": session.get_purpose_display(),
            "platform": session.get_platform_display(),
            "host": person(session.host),
            "second_member_of_staff": person(session.second_staff),
            "state": session.get_state_display(),
            "recorded": session.recording,
            "other_pupils": session.pupils.exclude(pk=pupil.pk).count(),
            "attended": next((a.attended for a in session.attendance.filter(pupil=pupil)), None),
        }
        if log_row is not None:
            entry["log"] = {
                "started": _when(log_row.actual_start),
                "ended": _when(log_row.actual_end),
                "outcome": redact(log_row.outcome),
                "notes": redact(log_row.notes),
            }
        sessions.append(entry)
    consents = [
        {
            "answer": c.get_answer_display(),
            "kind": c.get_kind_display(),
            "scope": c.get_scope_display(),
            "decided_at": _when(c.decided_at),
            "revoked_at": _when(c.revoked_at),
            "note": redact(c.note),
        }
        for c in ParentalConsent.objects.filter(school=school, pupil=pupil).order_by("decided_at")
    ]
    concerns = [
        # a concern the DSL marked for disclosure review is withheld, with a note, until the
        # mark is cleared; the others go in with other pupils' names redacted
        {
            "raised_at": _when(c.raised_at),
            "withheld": True,
            "note": "Withheld pending the DSL's disclosure review (marked "
            f"{_when(c.disclosure_review_at)}).",
        }
        if c.disclosure_review_at is not None
        else {
            "raised_at": _when(c.raised_at),
            "raised_by": person(c.raised_by),
            "source": c.get_source_display(),
            "summary": redact(c.summary),
            "withheld": False,
            "disclosure_review": "to be reviewed by the DSL before release",
        }
        for c in Concern.objects.filter(school=school, pupils=pupil)
        .select_related("raised_by")
        .order_by("raised_at")
    ]
    recordings = list(
        Recording.objects.filter(school=school, session__pupils=pupil)
        .select_related("session", "recorded_by")
        .order_by("added_at")
    )
    recording_list = [
        {
            "session": redact(r.session.title),
            "session_starts_at": _when(r.session.starts_at),
            "kept": r.get_source_display(),
            "size_bytes": r.size_bytes,
            "recorded_by": person(r.recorded_by),
        }
        for r in recordings
    ]
    targets = [("people.pupil", str(pupil.pk))] + [
        ("records.recording", str(r.pk)) for r in recordings
    ]
    access = []
    for target_type, target_id in targets:
        for event in AuditEvent.objects.filter(
            school_id=school.pk, target_type=target_type, target_id=target_id
        ).order_by("occurred_at", "id"):
            access.append(
                {
                    "when": _when(event.occurred_at),
                    "what": event.action,
                    "who": STAFF if redact_staff else event.actor_label,
                    "record": "the pupil's record"
                    if target_type == "people.pupil"
                    else "a recording",
                }
            )
    return {
        "school": school.name,
        "built_at": _when(timezone.now()),
        "redaction": {
            "other_pupils": OTHER_PUPIL,
            "staff": STAFF if redact_staff else "not redacted",
        },
        "pupil": {
            "name": f"{pupil.first_name} {pupil.last_name}",
            "date_of_birth": _when(pupil.date_of_birth),
            "upn": pupil.upn,
            "year_group": pupil.year_group,
        },
        "sessions": sessions,
        "consents": consents,
        "concerns": concerns,
        "recordings": recording_list,
        "access": access,
    }


def render_pdf(pack: dict[str, Any]) -> bytes:
    """The pack as a tagged PDF (weasyprint, no network access)."""
    from weasyprint import HTML  # slow to import; only needed here

    html = render_to_string("records/sar_pdf.html", {"pack": pack})
    pdf = HTML(string=html, base_url=None).write_pdf(pdf_tags=True)
    assert pdf is not None
    return bytes(pdf)


def pupil_by_upn(school: School, upn: str) -> Pupil:
    upn = upn.strip().upper()
    pupil = Pupil.objects.filter(school=school, upn=upn).first()
    if pupil is None:
        raise SarProblem("upn", "UPN: no pupil of this school has that UPN.")
    return pupil


def export(
    *, actor: Actor, school: School, pupil: Pupil, redact_staff: bool = False
) -> tuple[bytes, bytes]:
    """The pack as (JSON, PDF); recorded."""
    if not actor.can(ACTION, school.pk):
        raise PermissionDenied("Only the safeguarding team answers subject access requests.")
    pack = build(school, pupil, redact_staff=redact_staff)
    audit_record(
        "records.sar_exported",
        actor=actor,
        target=pupil,
        details={
            "sessions": len(pack["sessions"]),
            "concerns": len(pack["concerns"]),
            "recordings": len(pack["recordings"]),
            "redact_staff": redact_staff,
        },
    )
    data = json.dumps(pack, indent=2, ensure_ascii=False).encode()
    return data, render_pdf(pack)


@transaction.atomic
def request_log(
    *,
    actor: Actor,
    school: School,
    upn: str,
    requester: str,
    received_on: dt.date,
    redact_staff: bool = False,
) -> SubjectAccessRequest:
    """Log a request received: its deadline is one calendar month after it arrived."""
    if not actor.can(ACTION, school.pk) or actor.staff_id is None:
        raise PermissionDenied("Only the safeguarding team logs subject access requests.")
    pupil = pupil_by_upn(school, upn)
    requester = requester.strip()
    if not requester:
        raise SarProblem("requester", "Who asked: say who made the request.")
    if received_on > timezone.localdate():
        raise SarProblem("received_on", "Received: the date cannot be in the future.")
    request = SubjectAccessRequest.objects.create(
        school=school,
        pupil=pupil,
        requester=requester[:200],
        received_on=received_on,
        due_on=one_month_after(received_on),
        logged_by_id=actor.staff_id,
        redact_staff=redact_staff,
    )
    audit_record(
        "records.sar_logged",
        actor=actor,
        target=request,
        details={"due_on": request.due_on.isoformat(), "pupil_id": pupil.pk},
    )
    return request


@transaction.atomic
def request_release(*, actor: Actor, request: SubjectAccessRequest) -> SubjectAccessRequest:
    if not actor.can(ACTION, request.school_id):
        raise PermissionDenied("Only the safeguarding team answers subject access requests.")
    if request.released_on is not None:
        raise SarProblem("", "This request was answered already.")
    request.released_on = timezone.localdate()
    request.save(update_fields=["released_on"])
    audit_record(
        "records.sar_released",
        actor=actor,
        target=request,
        details={"late": request.released_on > request.due_on},
    )
    return request


def reminders_send(today: dt.date) -> int:
    """Remind the safeguarding team of open requests due within 7 days, and of overdue ones
    (each reminder once); returns how many emails went."""
    from chaperone.core.mail import MAIL_ERRORS, send_email
    from chaperone.people.selectors import staff_to_tell

    sent = 0
    for request in SubjectAccessRequest.objects.filter(released_on__isnull=True).select_related(
        "school"
    ):
        kind = (
            "overdue"
            if today > request.due_on
            else "week_before"
            if request.due_on - today <= dt.timedelta(days=7)
            else None
        )
        if kind is None or kind in request.reminders_sent:
            continue
        to = [s.notice_email for s in staff_to_tell(action=ACTION, school_id=request.school_id)]
        try:
            sent += send_email(
                "records/email_sar_reminder",
                {"request": request, "overdue": kind == "overdue"},
                to,
                separately=True,
            )
        except MAIL_ERRORS:
            continue  # tried again tomorrow
        SubjectAccessRequest.objects.filter(pk=request.pk).update(
            reminders_sent=[*request.reminders_sent, kind]
        )
    return sent
