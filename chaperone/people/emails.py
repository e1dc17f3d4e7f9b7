"""Emails about staff accounts and roles. Sent after the change has been committed: a mail server
that is down never undoes a role change or an invitation, and the caller is told it failed."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from typing import Any

import structlog
from django.core.mail import send_mail
from django.template.loader import render_to_string

log = structlog.get_logger(__name__)


def send_people_email(template: str, to: Iterable[str], context: dict[str, Any]) -> bool:
    """Send ``people/email/<template>.txt`` (subject in ``<template>_subject.txt``) to each
    address separately, so no recipient sees the others. True when every message was sent."""
    recipients = sorted({address for address in to if address})
    subject = " ".join(render_to_string(f"people/email/{template}_subject.txt", context).split())
    body = render_to_string(f"people/email/{template}.txt", context)
    ok = True
    for address in recipients:
        try:
            send_mail(subject, body, None, [address], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("email_not_sent", template=template, error=str(exc))
            ok = False
    return ok
