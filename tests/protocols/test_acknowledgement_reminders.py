"""Staff are asked to read a version when it comes into force: a dashboard prompt, a reminder
e-mail from the daily job, and a "remind" action on the head's list of who has not read it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.protocols.demo import template_source
from chaperone.protocols.effective import effective_protocol_for_school, today_at
from chaperone.protocols.models import AcknowledgementReminder
from chaperone.protocols.reminders import (
    acknowledgement_reminder_send,
    due_in_force_reminders,
)
from chaperone.protocols.services import protocol_acknowledge_for_school
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, trust_version

pytestmark = pytest.mark.django_db

REMIND = reverse("protocols:remind")


def test_dashboard_asks_staff_to_read_the_version_in_force(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    client = login_as(tenant_a.school, Role.TEACHER)
    client.force_login(teacher.user)
    assert "you have not yet confirmed that you have read it" in client.get("/").content.decode()
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    protocol_acknowledge_for_school(
        actor=actor_for_user(teacher.user),
        school=tenant_a.school,
        version_ids=[v.pk for v in effective.versions],
    )
    assert "you have not yet confirmed" not in client.get("/").content.decode()


def test_head_reminds_those_who_have_not_read_it(
    tenant_a, overlay, login_as, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    unread = make_staff(tenant_a.school, Role.TEACHER, email="unread@alpha.example")
    read = make_staff(tenant_a.school, Role.TEACHER, email="read@alpha.example")
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    protocol_acknowledge_for_school(
        actor=actor_for_user(read.user),
        school=tenant_a.school,
        version_ids=[v.pk for v in effective.versions],
    )
    make_staff(tenant_a.other_school, Role.TEACHER, email="elsewhere@alpha.example")
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    page = head.get(reverse("protocols:acknowledgements")).content.decode()
    assert "Remind the" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = head.post(REMIND)
    assert response.status_code == 302
    sent_to = sorted(m.to[0] for m in mail.outbox)
    assert "unread@alpha.example" in sent_to
    assert "read@alpha.example" not in sent_to and "elsewhere@alpha.example" not in sent_to
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees another's address
    reminder = AcknowledgementReminder.objects.get()
    assert reminder.kind == "requested" and unread.pk in reminder.recipient_staff_ids
    assert AuditEvent.objects.filter(
        action="protocol.acknowledgement_reminder_requested", school_id=tenant_a.school.pk
    ).exists()
    # the task is idempotent: running it again sends nothing more
    count = len(mail.outbox)
    assert acknowledgement_reminder_send(reminder_id=reminder.pk) == "already_sent"
    assert len(mail.outbox) == count


def test_a_second_reminder_within_a_day_is_refused_with_a_message(
    tenant_a, overlay, login_as, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """Review: pressing "remind" again emailed every unread member of staff again, unbounded."""
    make_staff(tenant_a.school, Role.TEACHER, email="unread@alpha.example")
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    with django_capture_on_commit_callbacks(execute=True):
        head.post(REMIND)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        page = head.post(REMIND, follow=True).content.decode()
    assert "staff are reminded at most once a day" in page
    assert len(mail.outbox) == sent
    assert AcknowledgementReminder.objects.filter(kind="requested").count() == 1
    AcknowledgementReminder.objects.update(created_at=timezone.now() - dt.timedelta(hours=21))
    with django_capture_on_commit_callbacks(execute=True):
        head.post(REMIND)
    assert AcknowledgementReminder.objects.filter(kind="requested").count() == 2


def test_teachers_cannot_send_reminders(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    assert login_as(tenant_a.school, Role.TEACHER).post(REMIND).status_code == 403
    assert not AcknowledgementReminder.objects.exists()


def test_daily_job_reminds_once_when_a_version_comes_into_force(
    tenant_a, overlay, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    make_staff(tenant_a.school, Role.TEACHER, email="t@alpha.example")
    on_the_day = overlay.effective_on
    with django_capture_on_commit_callbacks(execute=True):
        first = due_in_force_reminders(on_the_day)
    assert len(first) == 2  # both schools of the trust
    assert any(m.to == ["t@alpha.example"] for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert due_in_force_reminders(on_the_day + dt.timedelta(days=1)) == []
    # a new trust version under the same additions is a new protocol to read
    text = bump(template_source("npat-one-to-one"), "2027.1").replace(
        "effective = 2026-09-01", "effective = 2027-01-04", 1
    )
    newer = trust_version(
        tenant_a.trust, text=text.replace("review = 2027-09-01", "review = 2028-01-04")
    )
    queued = due_in_force_reminders(newer.effective_on)
    assert {r.version_id for r in AcknowledgementReminder.objects.filter(pk__in=queued)} == {
        newer.pk
    }
    # long after a version came into force, the job leaves it alone
    AcknowledgementReminder.objects.all().delete()
    assert due_in_force_reminders(on_the_day + dt.timedelta(days=365)) == []


def test_the_command_reports_both_kinds(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("protocol_reminders", stdout=out)
    assert "review reminders" in out.getvalue() and "Reminded staff to read" in out.getvalue()
