"""Writes of the concerns app: raise a concern, and tell the safeguarding team at once.

:func:`concern_raise` stores the concern and records ``concern.raised`` in the caller's
transaction; the email to the school's DSL and deputies (the policy's ``concern.alert``) goes
out once that transaction commits, so a concern rolled back is never announced and a concern
stored is always announced (a failed send is logged and leaves ``alert_sent_at`` empty).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import Concern, ConcernPupil
from chaperone.people.models import Pupil
from chaperone.people.selectors import staff_to_tell
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM, Actor

log = logging.getLogger(__name__)

#: whom a new concern is emailed to at once (a "who is told" entry of the policy)
ALERT_ACTION = "concern.alert"


class ConcernProblem(ValueError):
    """A concern that cannot be stored as given: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def concern_raise(
    *,
    actor: Actor,
    school: School,
    pupils: Sequence[Pupil],
    summary: str,
    source: str,
    source_label: str = "",
    link: str = "",
) -> Concern:
    """Store a concern about ``pupils`` at ``school`` and email the safeguarding team once the
    transaction commits. ``link`` is where the email points (e.g. the session's page)."""
    if not actor.can("concern.raise", school.pk) or actor.staff_id is None:
        raise PermissionDenied("You cannot raise concerns in this school.")
    summary = summary.strip()
    if not summary:
        raise ConcernProblem("summary", "What you saw or heard: say what happened.")
    if not pupils:
        raise ConcernProblem("pupils", "Pupils: choose at least one pupil.")
    if any(p.school_id != school.pk for p in pupils):
        raise ConcernProblem("pupils", "Pupils: choose pupils of this school.")
    with transaction.atomic():
        concern = Concern.objects.create(
            school=school,
            raised_by_id=actor.staff_id,
            summary=summary,
            source=source,
            source_label=source_label[:200],
        )
        ConcernPupil.objects.bulk_create(ConcernPupil(concern=concern, pupil=p) for p in pupils)
        audit_record(
            "concern.raised",
            actor=actor,
            target=concern,
            details={"pupils": len(pupils), "source": source},
        )
        concern_id = concern.pk
        transaction.on_commit(lambda: concern_alert_send(concern_id=concern_id, link=link))
    return concern


def concern_alert_send(*, concern_id: int, link: str = "") -> int:
    """Email the school's safeguarding team (``concern.alert``) about the concern, HTML and
    text; returns how many were emailed. Sent once: a concern already alerted is left alone."""
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update()
            .select_related("school", "raised_by")
            .filter(pk=concern_id, alert_sent_at__isnull=True)
            .first()
        )
        if concern is None:
            return 0
        recipients = [
            s.notice_email for s in staff_to_tell(action=ALERT_ACTION, school_id=concern.school_id)
        ]
        if not recipients:
            log.warning("concern %s: nobody at school %s to alert", concern.pk, concern.school_id)
            return 0
        pupils = list(concern.pupils.order_by("last_name", "first_name", "id"))
        context = {"concern": concern, "pupils": pupils, "link": link}
        subject = " ".join(render_to_string("concerns/email/alert_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject, render_to_string("concerns/email/alert.txt", context), None, recipients
        )
        message.attach_alternative(
            render_to_string("concerns/email/alert.html", context), "text/html"
        )
        try:
            message.send(fail_silently=False)
        except (OSError, ConnectionError) as exc:  # SMTP refused or unreachable
            log.error("concern %s: alert not sent: %s", concern.pk, exc)
            return 0
        concern.alert_sent_at = timezone.now()
        concern.save(update_fields=["alert_sent_at"])
        audit_record(
            "concern.alert_sent", actor=SYSTEM, target=concern, details={"to": len(recipients)}
        )
        return len(recipients)
