"""The audit log pages. Looking at the log is itself logged (``audit.viewed``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chaperone.audit.forms import AuditFilterForm
from chaperone.audit.log import record
from chaperone.audit.selectors import VIEW, audit_event_get, audit_events_for
from chaperone.core.http import ChaperoneRequest
from chaperone.tenancy.schools import active_school

PAGE_SIZE = 50


@require_GET
def event_list(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = active_school(request)
    if school is None or not actor.can(VIEW, school.pk):
        raise PermissionDenied("You cannot see this school's audit log.")
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    page_number = request.GET.get("page") or 1
    record(
        "audit.viewed",
        actor=actor,
        school_id=school.pk,
        trust_id=school.trust_id,
        details={"page": str(page_number)[:10], **filters},
    )
    events = audit_events_for(actor, school=school, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(page_number)
    return render(request, "audit/event_list.html", {"school": school, "form": form, "page": page})


@require_GET
def event_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    event = audit_event_get(actor, event_id=pk)
    record("audit.viewed", actor=actor, target=event)
    return render(request, "audit/event_detail.html", {"event": event})
