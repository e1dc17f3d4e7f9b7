"""Every email Chaperone sends is three templates: ``<name>_subject.txt``, ``<name>.txt`` and,
where it exists, ``<name>.html``. This module renders them and sends them; the apps only choose
the template, the context and who it goes to.

``send_email`` raises when the mail server refuses (the caller decides what a failure means: a
task retries, a service tells the user); ``send_email_quietly`` logs and answers False instead.
Sending happens after the change it reports has been committed (``transaction.on_commit`` or a
task), so a mail server that is down never undoes a write.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.mime.base import MIMEBase
from typing import Any

import structlog
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string

log = structlog.get_logger(__name__)

#: what a failed send raises: the SMTP client's errors and the socket's
MAIL_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def render_email(template: str, context: dict[str, Any]) -> RenderedEmail:
    """The subject (on one line), the plain text and, if the app has one, the HTML body."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    try:
        html_template = get_template(f"{template}.html")
    except TemplateDoesNotExist:
        html = None
    else:
        html = html_template.render(context)
    return RenderedEmail(subject=subject, text=text, html=html)


def compose_email(
    template: str,
    context: dict[str, Any],
    to: Sequence[str],
    *,
    attachments: Sequence[MIMEBase] = (),
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """One message to ``to`` (all of them see each other: use ``separately`` in ``send_email``
    when they should not)."""
    rendered = render_email(template, context)
    message = EmailMultiAlternatives(
        rendered.subject, rendered.text, None, list(to), headers=headers
    )
    if rendered.html is not None:
        message.attach_alternative(rendered.html, "text/html")
    for part in attachments:
        message.attach(part)
    return message


def _addresses(to: Iterable[str]) -> list[str]:
    return sorted({address for address in to if address})


def send_email(
    template: str,
    context: dict[str, Any],
    to: Iterable[str],
    *,
    separately: bool = False,
    attachments: Sequence[MIMEBase] = (),
    headers: dict[str, str] | None = None,
) -> int:
    """Send the email and answer how many messages went. ``separately`` sends one message per
    address, so no recipient sees the others. Raises one of ``MAIL_ERRORS`` on failure."""
    recipients = _addresses(to)
    if not recipients:
        return 0
    if not separately:
        compose_email(
            template, context, recipients, attachments=attachments, headers=headers
        ).send()
        return 1
    sent = 0
    for address in recipients:
        compose_email(template, context, [address], attachments=attachments, headers=headers).send()
        sent += 1
    return sent


def send_email_quietly(
    template: str,
    context: dict[str, Any],
    to: Iterable[str],
    *,
    separately: bool = True,
    attachments: Sequence[MIMEBase] = (),
) -> bool:
    """As ``send_email`` but a failure is logged and answered with False (True: every message
    went). For notices whose failure must not stop what the user was doing."""
    recipients = _addresses(to)
    if not separately:
        try:
            send_email(template, context, recipients, attachments=attachments)
        except MAIL_ERRORS as exc:
            log.warning("email_not_sent", template=template, error=str(exc))
            return False
        return True
    ok = True
    for address in recipients:
        try:
            send_email(template, context, [address], attachments=attachments)
        except MAIL_ERRORS as exc:
            log.warning("email_not_sent", template=template, error=str(exc))
            ok = False
    return ok
