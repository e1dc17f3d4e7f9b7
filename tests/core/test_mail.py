"""core.mail renders the three templates of an email and sends it, together or one each."""

from __future__ import annotations

import smtplib
from email.mime.text import MIMEText

import pytest
from django.core import mail

from chaperone.core.mail import render_email, send_email, send_email_quietly


def test_html_part_is_attached_when_the_app_has_one() -> None:
    # scheduling's end notice has subject, text and HTML templates
    rendered = render_email(
        "scheduling/conduct_email_notice",
        {"session": None, "pupils": [], "rules": [], "link": "https://x.test/"},
    )
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.html is not None


def test_text_only_email_has_no_html_part() -> None:
    rendered = render_email("people/email/flag_changes", {"school": "Oak", "waiting": 2})
    assert rendered.html is None
    assert "2" in rendered.text


def test_together_is_one_message_and_separately_one_each(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    context = {"school": "Oak", "waiting": 1}
    assert send_email("people/email/flag_changes", context, ["b@x.test", "a@x.test", ""]) == 1
    assert mail.outbox[-1].to == ["a@x.test", "b@x.test"]
    mail.outbox.clear()
    sent = send_email(
        "people/email/flag_changes", context, ["b@x.test", "a@x.test"], separately=True
    )
    assert sent == 2
    assert [m.to for m in mail.outbox] == [["a@x.test"], ["b@x.test"]]


def test_headers_and_attachments_travel(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    part = MIMEText("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "calendar", "utf-8")
    send_email(
        "people/email/flag_changes",
        {"school": "Oak", "waiting": 1},
        ["a@x.test"],
        attachments=[part],
        headers={"X-Chaperone-School": "7"},
    )
    message = mail.outbox[-1].message()
    assert message["X-Chaperone-School"] == "7"
    assert "text/calendar" in message.as_string()


def test_nobody_to_send_to_sends_nothing(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_email("people/email/flag_changes", {"school": "Oak", "waiting": 1}, []) == 0
    assert mail.outbox == []


def test_quietly_answers_false_when_the_server_refuses(settings) -> None:
    # a real SMTP connection to a port where nothing listens
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    ok = send_email_quietly(
        "people/email/flag_changes", {"school": "Oak", "waiting": 1}, ["a@x.test"]
    )
    assert ok is False
    with pytest.raises((smtplib.SMTPException, OSError)):
        send_email("people/email/flag_changes", {"school": "Oak", "waiting": 1}, ["a@x.test"])
