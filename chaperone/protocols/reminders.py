"""E-mails about protocols, each sent once: review reminders, "your additions no longer fit"
notices and reminders to read the protocol in force.

Each send is idempotent through a row written in the same transaction as the e-mail (a unique
constraint, or a ``sent_at`` stamp under a row lock), so a task that runs twice sends once. Tasks
carry ids only (:mod:`chaperone.protocols.tasks`) and are enqueued with ``transaction.on_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.core.mail import send_email
from chaperone.people.models import StaffMember
from chaperone.people.selectors import staff_to_tell, staff_to_tell_in_trust
from chaperone.protocols.effective import effective_protocol_for_school
from chaperone.protocols.models import (
    AcknowledgementReminder,
    OverlayOutOfStep,
    ProtocolAcknowledgement,
    ProtocolReviewReminder,
    ProtocolVersion,
    ReminderKind,
    ReminderWindow,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM

#: A review reminder goes out when the review date is this close (or has passed).
REVIEW_NOTICE_DAYS = 30

ReviewSendResult = Literal["sent", "already_sent", "not_due", "no_recipients", "missing"]
NoticeSendResult = Literal["sent", "already_sent", "no_recipients", "missing"]


def _on_commit(send: Callable[[], Any]) -> None:
    transaction.on_commit(send)


def _mail(template: str, context: dict[str, Any], to: list[str]) -> None:
    """Send ``protocols/email/<template>``; raises on failure (the caller's row then rolls back
    and the next run tries again)."""
    send_email(f"protocols/email/{template}", context, to)


def school_leads(school_id: int) -> list[StaffMember]:
    """Whom the school's protocol notices go to (``protocol.reminders``: its headteacher and
    DSL), active and with an e-mail address."""
    return staff_to_tell(action="protocol.reminders", school_id=school_id)


# --- review reminders -------------------------------------------------------------------------


def review_window(version: ProtocolVersion, today: date) -> ReminderWindow | None:
    """Which reminder is due for ``version`` on ``today``, if any."""
    if version.review_on <= today:
        return ReminderWindow.OVERDUE
    if version.review_on <= today + timedelta(days=REVIEW_NOTICE_DAYS):
        return ReminderWindow.DUE_SOON
    return None


def reminder_recipients(version: ProtocolVersion) -> list[StaffMember]:
    """The school's headteacher and DSL for an overlay; the trust's administrators for a trust
    protocol (and a standalone school's headteacher and DSL). Only active staff with an e-mail
    address."""
    protocol = version.protocol
    if protocol.owner_school_id:
        return school_leads(protocol.owner_school_id)
    trust = protocol.owner_trust
    if trust is None:
        return []
    return staff_to_tell_in_trust(action="trust.protocol_reminders", trust=trust)


def due_review_version_ids(today: date) -> list[int]:
    """Current versions whose review is near or past and whose reminder for that window has not
    gone out yet."""
    horizon = today + timedelta(days=REVIEW_NOTICE_DAYS)
    latest: dict[int, ProtocolVersion] = {}
    for v in ProtocolVersion.objects.defer("source_text").order_by(
        "protocol_id", "-uploaded_at", "-id"
    ):
        latest.setdefault(v.protocol_id, v)
    due = [v for v in latest.values() if v.review_on <= horizon]
    sent = set(
        ProtocolVersion.objects.filter(pk__in=[v.pk for v in due]).values_list(
            "pk", "review_reminders__window"
        )
    )
    return [v.pk for v in due if (v.pk, review_window(v, today)) not in sent]


def review_reminder_enqueue(version_id: int) -> None:
    from chaperone.protocols.tasks import send_review_reminder

    _on_commit(lambda: send_review_reminder.enqueue(version_id))


def review_reminder_send(*, version_id: int, today: date | None = None) -> ReviewSendResult:
    """Send the review reminder for one version and window, once."""
    today = today or timezone.localdate()
    with transaction.atomic():
        version = (
            ProtocolVersion.objects.select_related(
                "protocol", "protocol__owner_school", "protocol__owner_trust"
            )
            .defer("source_text")
            .filter(pk=version_id)
            .first()
        )
        if version is None:
            return "missing"
        window = review_window(version, today)
        if window is None:
            return "not_due"
        recipients = reminder_recipients(version)
        if not recipients:
            return "no_recipients"
        try:
            with transaction.atomic():
                reminder = ProtocolReviewReminder.objects.create(
                    version=version,
                    window=window,
                    recipient_staff_ids=[s.pk for s in recipients],
                    sent_at=timezone.now(),
                )
        except IntegrityError:
            return "already_sent"
        context = {
            "version": version,
            "owner": version.protocol.owner,
            "window": window,
            "overdue": window == ReminderWindow.OVERDUE,
            "days_left": (version.review_on - today).days,
        }
        _mail("review_reminder", context, [s.notice_email for s in recipients])
        audit_record(
            "protocol.review_reminder_sent",
            actor=SYSTEM,
            target=version,
            details={"window": window, "recipients": len(recipients), "reminder_id": reminder.pk},
        )
    return "sent"


# --- "your additions no longer fit" -----------------------------------------------------------


def out_of_step_notice_enqueue(mark_id: int) -> None:
    from chaperone.protocols.tasks import send_out_of_step_notice

    _on_commit(lambda: send_out_of_step_notice.enqueue(mark_id))


def out_of_step_notice_send(*, mark_id: int) -> NoticeSendResult:
    """Tell the school's head and DSL that a trust version left their additions out of step."""
    with transaction.atomic():
        mark = (
            OverlayOutOfStep.objects.select_for_update(of=("self",))
            .select_related("school", "trust_version__protocol", "school_version__protocol")
            .defer("trust_version__source_text", "school_version__source_text")
            .filter(pk=mark_id)
            .first()
        )
        if mark is None:
            return "missing"
        if mark.notified_at is not None:
            return "already_sent"
        recipients = school_leads(mark.school_id)
        if not recipients:
            return "no_recipients"
        mark.notified_at = timezone.now()
        mark.recipient_staff_ids = [s.pk for s in recipients]
        mark.save(update_fields=["notified_at", "recipient_staff_ids"])
        _mail("out_of_step", {"mark": mark}, [s.notice_email for s in recipients])
        audit_record(
            "protocol.out_of_step_notice_sent",
            actor=SYSTEM,
            target=mark.school,
            details={"mark_id": mark.pk, "recipients": len(recipients)},
        )
    return "sent"


# --- reminders to read the protocol in force --------------------------------------------------


def acknowledgement_reminder_enqueue(reminder_id: int) -> None:
    from chaperone.protocols.tasks import send_acknowledgement_reminder

    _on_commit(lambda: send_acknowledgement_reminder.enqueue(reminder_id))


def staff_yet_to_acknowledge(school: School, versions: tuple[ProtocolVersion, ...]) -> list[int]:
    """Ids of the school's active staff who have not acknowledged every one of ``versions``."""
    staff_ids = list(
        StaffMember.objects.filter(assignments__school=school, is_active=True)
        .distinct()
        .order_by("id")
        .values_list("id", flat=True)
    )
    counts: dict[int, int] = {}
    for staff_id in ProtocolAcknowledgement.objects.filter(
        version__in=versions, staff_id__in=staff_ids
    ).values_list("staff_id", flat=True):
        counts[staff_id] = counts.get(staff_id, 0) + 1
    return [s for s in staff_ids if counts.get(s, 0) < len(versions)]


def due_in_force_reminders(today: date) -> list[int]:
    """Queue an "it is in force, please read it" reminder for every school whose protocol came
    into force by ``today`` and has not had one; return the new reminders' ids. Versions that
    came into force more than a term ago are left alone (the demo and old data)."""
    created = []
    for school in School.objects.select_related("trust").order_by("id"):
        effective = effective_protocol_for_school(school, on=today)
        if effective is None or effective.scheduled:
            continue
        # the version that came into force last (a new trust version under unchanged additions
        # is a new protocol to read as much as new additions are)
        version = max(effective.versions, key=lambda v: (v.effective_on, v.uploaded_at, v.pk))
        if version.effective_on < today - timedelta(days=REVIEW_NOTICE_DAYS * 3):
            continue
        try:
            with transaction.atomic():
                reminder = AcknowledgementReminder.objects.create(
                    school=school,
                    version=version,
                    kind=ReminderKind.IN_FORCE,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            continue
        acknowledgement_reminder_enqueue(reminder.pk)
        created.append(reminder.pk)
    return created


def acknowledgement_reminder_send(*, reminder_id: int) -> NoticeSendResult:
    """E-mail each member of staff who has not yet read the protocol in force (one message each,
    so no one sees another's address), once per reminder."""
    with transaction.atomic():
        reminder = (
            AcknowledgementReminder.objects.select_for_update(of=("self",))
            .select_related("school")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            return "missing"
        if reminder.sent_at is not None:
            return "already_sent"
        school = reminder.school
        effective = effective_protocol_for_school(school, on=timezone.localdate())
        if effective is None:
            return "no_recipients"
        missing = StaffMember.objects.filter(
            pk__in=staff_yet_to_acknowledge(school, effective.versions)
        ).exclude(email="")
        recipients = list(missing.select_related("user").order_by("id"))
        reminder.sent_at = timezone.now()
        reminder.recipient_staff_ids = [s.pk for s in recipients]
        reminder.save(update_fields=["sent_at", "recipient_staff_ids"])
        for member in recipients:
            _mail(
                "acknowledgement_reminder",
                {"school": school, "effective": effective, "member": member},
                [member.notice_email],
            )
        audit_record(
            "protocol.acknowledgement_reminder_sent",
            actor=SYSTEM,
            target=school,
            details={"reminder_id": reminder.pk, "recipients": len(recipients)},
        )
    return "sent" if recipients else "no_recipients"


def reminders_enqueue_due(today: date | None = None) -> tuple[list[int], list[int]]:
    """The daily job: enqueue every due review reminder (version ids) and queue the reminders to
    read versions that came into force (reminder ids), once the transaction commits."""
    today = today or timezone.localdate()
    with transaction.atomic():
        review_ids = due_review_version_ids(today)
        for version_id in review_ids:
            review_reminder_enqueue(version_id)
        return review_ids, due_in_force_reminders(today)
