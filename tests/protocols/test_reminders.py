"""Review reminders go by real SMTP to the protocol's owner, once per version and window."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from chaperone.protocols.demo import primary_overlay_source, template_source
from chaperone.protocols.models import ProtocolReviewReminder
from chaperone.protocols.reminders import due_review_version_ids, review_reminder_send
from chaperone.protocols.tasks import send_review_reminder
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, school_overlay_version, trust_version

pytestmark = pytest.mark.django_db


def _review_in(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_due_trust_protocol_emails_the_trust_admins_once(
    tenant_a, smtp_inbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust, email="admin@alpha.example")
    make_staff(tenant_a.school, Role.HEADTEACHER, email="head@alpha.example")
    text = bump(template_source("npat-one-to-one"), "2026.2", review=_review_in(10))
    with django_capture_on_commit_callbacks(execute=True):
        version = trust_version(tenant_a.trust, text=text)
    assert len(smtp_inbox.messages) == 1
    _sender, recipients, content = smtp_inbox.messages[0]
    message = email.message_from_string(content, policy=email.policy.default)
    assert recipients == [admin.email]
    assert message["Subject"] == (
        "Review due soon: NPAT: one-to-one online sessions with pupils (version 2026.2)"
    )
    assert "due for review in 10 days" in message.get_content()

    with django_capture_on_commit_callbacks(execute=True):
        send_review_reminder.enqueue(version.pk)
        out = StringIO()
        call_command("protocol_reminders", stdout=out)
    assert "Enqueued 0 review reminders." in out.getvalue()
    assert len(smtp_inbox.messages) == 1
    assert ProtocolReviewReminder.objects.get().window == "due_soon"


def test_overdue_is_a_second_window_and_goes_to_head_and_dsl(tenant_a, npat, smtp_inbox) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER, email="head@alpha.example")
    dsl = make_staff(tenant_a.school, Role.DSL, email="dsl@alpha.example")
    make_staff(tenant_a.school, Role.TEACHER, email="teacher@alpha.example")
    make_staff(tenant_a.other_school, Role.DSL, email="dsl2@alpha.example")
    version = school_overlay_version(tenant_a.school, text=primary_overlay_source(tenant_a.school))
    review = version.review_on
    assert (
        review_reminder_send(version_id=version.pk, today=review - dt.timedelta(days=40))
        == "not_due"
    )
    assert (
        review_reminder_send(version_id=version.pk, today=review - dt.timedelta(days=5)) == "sent"
    )
    assert (
        review_reminder_send(version_id=version.pk, today=review - dt.timedelta(days=4))
        == "already_sent"
    )
    assert (
        review_reminder_send(version_id=version.pk, today=review + dt.timedelta(days=1)) == "sent"
    )
    assert (
        review_reminder_send(version_id=version.pk, today=review + dt.timedelta(days=9))
        == "already_sent"
    )
    assert len(smtp_inbox.messages) == 2
    assert all(sorted(m[1]) == sorted([head.email, dsl.email]) for m in smtp_inbox.messages)
    assert "Review overdue" in smtp_inbox.messages[1][2]


def test_command_finds_only_current_due_versions(
    tenant_a, tenant_b, smtp_inbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust, email="admin@alpha.example")
    make_staff(tenant_b.school, Role.HEADTEACHER, email="head@beta.example")
    old = trust_version(tenant_a.trust, "npat-one-to-one")  # review next September: not due
    standalone = trust_version(tenant_b.trust, "habs-monmouth")
    today = old.review_on - dt.timedelta(days=3)
    assert sorted(due_review_version_ids(today)) == sorted([old.pk, standalone.pk])
    newer = trust_version(
        tenant_a.trust, text=bump(template_source("npat-one-to-one"), "2027.1", review="2028-09-01")
    )
    assert due_review_version_ids(today) == [standalone.pk]
    assert newer.pk not in due_review_version_ids(timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("protocol_reminders", stdout=StringIO())
    # Today (not "today" above) nothing is due yet.
    assert smtp_inbox.messages == []


def test_failed_sending_leaves_no_record_so_it_is_retried(tenant_a, settings) -> None:  # type: ignore[no-untyped-def]
    make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust, email="admin@alpha.example")
    version = trust_version(tenant_a.trust, "npat-one-to-one")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(OSError):
        review_reminder_send(version_id=version.pk, today=version.review_on)
    assert not ProtocolReviewReminder.objects.exists()
