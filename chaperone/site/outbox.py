"""The demo's outbox: an email backend that keeps messages in a table instead of sending them,
and a page listing them with their links, so a newcomer can play the parent and follow a
consent link. Only the local (demo) settings choose this backend; production never does (a test
says so), and the page then only says that mail goes out by SMTP.

A message lists under the school it is about (the ``X-Chaperone-School`` header the scheduling
app sets), or under the signed-in person when it is addressed to them, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chaperone.core.http import ChaperoneRequest
from chaperone.scheduling.consent import SCHOOL_HEADER
from chaperone.site.models import OutboxMessage
from chaperone.tenancy.schools import active_school

BACKEND = "chaperone.site.outbox.OutboxBackend"
SHOWN = 100


def outbox_enabled() -> bool:
    return bool(settings.EMAIL_BACKEND == BACKEND)


class OutboxBackend(BaseEmailBackend):
    """Keeps every message in :class:`~chaperone.site.models.OutboxMessage`."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        kept = 0
        for message in email_messages:
            html = next(
                (
                    str(content)
                    for content, mimetype in getattr(message, "alternatives", [])
                    if mimetype == "text/html"
                ),
                "",
            )
            school = str(message.extra_headers.get(SCHOOL_HEADER, ""))
            OutboxMessage.objects.create(
                school_id=int(school) if school.isdigit() else None,
                subject=str(message.subject),
                from_email=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
                to=", ".join(message.recipients()),
                text=str(message.body),
                html=html,
            )
            kept += 1
        return kept


@require_GET
def outbox(request: ChaperoneRequest) -> HttpResponse:
    """The demo's mail for the active school, and mail to the signed-in person."""
    enabled = outbox_enabled()
    messages: list[OutboxMessage] = []
    if enabled:
        school = active_school(request)
        mine = Q(school_id=None, to__icontains=request.user.email) if request.user.email else Q()
        where = Q(school_id=school.pk) if school is not None else Q(pk__in=[])
        if mine:
            where |= mine
        messages = list(OutboxMessage.objects.filter(where)[:SHOWN])
    return render(request, "site/outbox.html", {"enabled": enabled, "messages": messages})
