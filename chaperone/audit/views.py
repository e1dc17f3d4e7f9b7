"""The audit log pages. Looking at the log is itself logged (``audit.viewed``, by the selectors)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chaperone.audit import selectors
from chaperone.audit.forms import AuditFilterForm
from chaperone.audit.selectors import VIEW, EventPage
from chaperone.core.http import ChaperoneRequest
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import active_school, school_for


def _render(
    request: ChaperoneRequest,
    form: AuditFilterForm,
    page: EventPage,
    *,
    title: str,
    caption: str,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "title": title, "caption": caption, **context},
    )


@require_GET
def event_list(request: ChaperoneRequest) -> HttpResponse:
    """Everything that concerns the active school."""
    school = school_for(request, VIEW)
    form = AuditFilterForm(request.GET or None)
    page = selectors.audit_events_for_viewing(request.actor, school=school, **form.filters())
    trust_log = selectors.may_view_trust_log(request.actor, school.trust)
    return _render(request, form, page, title="Audit log", caption=school.name, trust_log=trust_log)


@require_GET
def read_list(request: ChaperoneRequest) -> HttpResponse:
    """Who read what in the active school: the looks at sensitive records only."""
    school = school_for(request, VIEW)
    form = AuditFilterForm(request.GET or None, actions=selectors.read_actions())
    page = selectors.reads_for_viewing(request.actor, school=school, **form.filters())
    return _render(request, form, page, title="Who read what", caption=school.name)


@require_GET
def trust_event_list(request: ChaperoneRequest) -> HttpResponse:
    """Everything in the active school's trust, every school of it included (trust admins)."""
    school = active_school(request)
    if school is None or not selectors.may_view_trust_log(request.actor, school.trust):
        raise PermissionDenied("Only the trust's administrators see the whole trust's log.")
    trust = school.trust
    form = AuditFilterForm(request.GET or None)
    page = selectors.trust_events_for_viewing(request.actor, trust=trust, **form.filters())
    names = dict(School.objects.filter(trust_id=trust.pk).values_list("id", "name"))
    for event in page.events:
        name = names.get(event.school_id, "") if event.school_id is not None else ""
        event.school_name = name  # type: ignore[attr-defined]
    return _render(
        request, form, page, title="Audit log of the trust", caption=trust.name, schools=True
    )


@require_GET
def event_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    event = selectors.audit_event_get_for_viewing(request.actor, event_id=pk)
    return render(request, "audit/event_detail.html", {"event": event})
