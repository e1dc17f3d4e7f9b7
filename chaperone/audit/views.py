"""The audit log pages. Looking at the log is itself logged (``audit.viewed``, by the selectors)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chaperone.audit.forms import AuditFilterForm
from chaperone.audit.selectors import VIEW, audit_event_get_for_viewing, audit_events_for_viewing
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import int_param
from chaperone.tenancy.schools import school_for

PAGE_SIZE = 50


@require_GET
def event_list(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, VIEW)
    form = AuditFilterForm(request.GET or None)
    page_number = int_param(request.GET.get("page")) or 1
    events = audit_events_for_viewing(
        request.actor, school=school, page=str(page_number), **form.filters()
    )
    page = Paginator(events, PAGE_SIZE).get_page(page_number)
    return render(request, "audit/event_list.html", {"school": school, "form": form, "page": page})


@require_GET
def event_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    event = audit_event_get_for_viewing(request.actor, event_id=pk)
    return render(request, "audit/event_detail.html", {"event": event})
