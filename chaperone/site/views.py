"""Dashboard, school switcher, school details and health check."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.audit.log import record
from chaperone.core.extensions import DashboardCard, declared
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import int_param
from chaperone.site.school_details import (
    SchoolDetailsForm,
    SchoolTermForm,
    school_details_update,
    school_term_add,
    school_term_remove,
)
from chaperone.tenancy.roles import Role
from chaperone.tenancy.schools import active_school, school_for, set_active_school


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def dashboard(request: ChaperoneRequest) -> HttpResponse:
    """The roles line and every app's :class:`~chaperone.core.extensions.DashboardCard`."""
    actor = request.actor
    school = active_school(request)
    roles = actor.roles_in(school.id) if school else frozenset()
    cards = []
    for card in sorted(declared("dashboard", "CARDS", DashboardCard), key=lambda c: c.order):
        context = card.context(request, school)
        if context is not None:
            cards.append({"template": card.template, **context})
    return render(
        request,
        "site/dashboard.html",
        {
            "school": school,
            "cards": cards,
            "roles": sorted(Role(r).label for r in roles | actor.trust_roles),
            "has_school_role": school is not None and actor.can("dashboard.view", school.id),
        },
    )


@require_POST
def school_switch(request: ChaperoneRequest) -> HttpResponse:
    """Trust staff choose which school they are working in."""
    school_id = int_param(request.POST.get("school"))
    target = request.POST.get("next") or "/"
    # a path on this site (redirect() would read a bare word as a view's name)
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        target = "/"
    if school_id is None or not set_active_school(request, school_id):
        messages.error(request, "Choose one of your schools.")
        return HttpResponseRedirect(target)
    school = active_school(request)
    record("school.switched", actor=request.actor, school_id=school.id if school else None)
    messages.success(request, f"You are now working in {school}.")
    return HttpResponseRedirect(target)


@require_http_methods(["GET", "POST"])
def school_details(request: ChaperoneRequest) -> HttpResponse:
    """The headteacher keeps the school's telephone, email and website current."""
    school = school_for(request, "school.manage_details")
    # A copy, so a refused value never shows as saved in the header or anywhere else.
    form = SchoolDetailsForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(school),
    )
    if form.is_valid():
        changed = school_details_update(actor=request.actor, school=school, data=form.cleaned_data)
        messages.success(
            request, "School details saved." if changed else "Nothing changed: the details stand."
        )
        return HttpResponseRedirect(request.path)
    return render(request, "site/school_details.html", {"form": form, "school": school})


@require_http_methods(["GET", "POST"])
def school_terms(request: ChaperoneRequest) -> HttpResponse:
    """The headteacher sets the school's term dates (a parent's consent "for this term" lasts to
    the end of the term); without them the usual English terms stand in."""
    from chaperone.tenancy.models import SchoolTerm

    school = school_for(request, "school.manage_details")
    form = SchoolTermForm(school=school)
    status = 200
    if request.method == "POST":
        if request.POST.get("remove"):
            term_id = int_param(request.POST["remove"])
            if term_id is not None and school_term_remove(
                actor=request.actor, school=school, term_id=term_id
            ):
                messages.success(request, "Term taken away.")
            return HttpResponseRedirect(request.path)
        form = SchoolTermForm(request.POST, school=school)
        if form.is_valid():
            data = form.cleaned_data
            term = school_term_add(
                actor=request.actor,
                school=school,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
            messages.success(request, f"{term.name} saved.")
            return HttpResponseRedirect(request.path)
        status = 400
    terms = list(SchoolTerm.objects.filter(school=school).order_by("starts_on"))
    return render(
        request,
        "site/school_terms.html",
        {"form": form, "school": school, "terms": terms},
        status=status,
    )
