"""Pupil, household and staff pages. Thin: selectors read (and audit sensitive reads), templates
show."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from chaperone.core.extensions import PupilPanel, declared
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import int_param, text_param
from chaperone.people import flags, selectors, services
from chaperone.people.forms import FlagDecisionForm
from chaperone.tenancy.schools import active_school, school_for

PAGE_SIZE = 50
#: the flag changes page lists this many at a time (the oldest first)
FLAG_CHANGES_SHOWN = 500
#: the year groups the filter offers, Nursery (-1) to Year 13
YEARS = range(-1, 14)


@require_GET
def pupil_list(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = school_for(request, "pupil.view")
    search = text_param(request.GET.get("q"))
    flag_choices = selectors.pupil_filter_flags(actor=actor, school=school)
    flag = request.GET.get("flag", "")
    flag = flag if flag in flag_choices else ""
    year = int_param(request.GET.get("year"), minimum=YEARS.start, maximum=YEARS.stop - 1)
    qs = selectors.pupil_list(actor=actor, school=school, search=search, year_group=year, flag=flag)
    page = selectors.list_page_for_viewing(
        "pupil.list_viewed",
        actor=actor,
        school=school,
        queryset=qs,
        page=request.GET.get("page"),
        page_size=PAGE_SIZE,
        filters={"q": search, "year": year, "flag": flag},
    )
    context = {
        "page": page,
        "school": school,
        "q": search,
        "flag": flag,
        "flags": flag_choices,
        "year": "" if year is None else str(year),
        "years": YEARS,
        "show_safeguarding_flags": actor.can(selectors.VIEW_SAFEGUARDING_FLAGS, school.id),
    }
    template = "people/_pupil_rows.html" if request.htmx else "people/pupil_list.html"
    return render(request, template, context)


@require_GET
def pupil_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    pupil = selectors.pupil_get_for_viewing(actor=actor, pupil_id=pk)
    can_see_household = actor.can("household.view", pupil.school_id)
    contacts = (
        selectors.household_contacts(actor=actor, household=pupil.household)
        if pupil.household and can_see_household
        else []
    )
    panels = []
    for panel in sorted(declared("pupil_panels", "PANELS", PupilPanel), key=lambda p: p.order):
        context = panel.context(request, pupil)
        if context is not None:
            panels.append({"template": panel.template, "panel": context})
    return render(
        request,
        "people/pupil_detail.html",
        {
            "pupil": pupil,
            "panels": panels,
            "siblings": selectors.pupil_siblings(actor=actor, pupil=pupil),
            "contacts": contacts,
            "can_see_household": can_see_household,
            "show_safeguarding_flags": actor.can(
                selectors.VIEW_SAFEGUARDING_FLAGS, pupil.school_id
            ),
        },
    )


@require_GET
def household_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    household, pupils = selectors.household_get_for_viewing(
        actor=actor, household_id=pk, from_school=active_school(request)
    )
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "contacts": selectors.household_contacts(actor=actor, household=household),
            "pupils": pupils,
        },
    )


@require_GET
def staff_list(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = school_for(request, "staff.view")
    search = text_param(request.GET.get("q"))
    qs = selectors.staff_list(actor=actor, school=school, search=search)
    page = selectors.list_page_for_viewing(
        "staff.list_viewed",
        actor=actor,
        school=school,
        queryset=qs,
        page=request.GET.get("page"),
        page_size=PAGE_SIZE,
        filters={"q": search},
    )
    context = {
        "page": page,
        "school": school,
        "q": search,
        "show_dbs": actor.can(selectors.VIEW_DBS, school.id),
    }
    return render(request, "people/staff_list.html", context)


@require_GET
def staff_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    school = active_school(request)
    staff = selectors.staff_get_for_viewing(actor=actor, staff_id=pk, from_school=school)
    here = school.id if school and staff.assignments.filter(school=school).exists() else None
    return render(
        request,
        "people/staff_detail.html",
        {
            "staff": staff,
            "assignments": selectors.staff_roles_by_school(actor=actor, staff=staff),
            "can_manage_roles": here is not None and actor.can("staff.manage_roles", here),
            "can_manage_login": here is not None and actor.can("staff.manage_accounts", here),
            "show_dbs": selectors.staff_dbs_visible(actor=actor, staff=staff),
        },
    )


@require_http_methods(["GET", "POST"])
def code_of_conduct(request: ChaperoneRequest) -> HttpResponse:
    """Staff confirm they have read the staff code of conduct (recorded once, with the date)."""
    actor = request.actor
    if actor.staff_id is None:
        raise Http404("No staff record.")
    if request.method == "POST":
        services.staff_acknowledge_code_of_conduct(actor=actor)
        messages.success(request, "Thank you. We have recorded that you read the code of conduct.")
        return redirect("people:code_of_conduct")
    staff = selectors.staff_self(actor=actor)
    return render(request, "people/code_of_conduct.html", {"staff": staff})


@require_http_methods(["GET", "POST"])
def flag_changes(request: ChaperoneRequest) -> HttpResponse:
    """The DSL confirms or rejects the safeguarding flag changes imports asked for."""
    actor = request.actor
    school = school_for(request, "people.confirm_flag_changes")
    shown, total = selectors.flag_changes_for_deciding(
        actor=actor, school=school, limit=FLAG_CHANGES_SHOWN
    )
    form = FlagDecisionForm(request.POST or None, listed=[c.pk for c in shown])
    if request.method == "POST" and form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        done = services.pupil_flag_changes_decide(
            actor=actor, school=school, change_ids=form.cleaned_data["chosen"], confirm=confirm
        )
        verb = "Confirmed" if confirm else "Rejected"
        messages.success(request, f"{verb} {len(done)} change{'s' if len(done) != 1 else ''}.")
        return redirect("people:flag_changes")
    rows = [
        {
            "change": c,
            "flag": flags.FLAG_LABELS[c.flag],
            "old": flags.show(c.flag, flags.decode(c.flag, c.old_value)),
            "new": flags.show(c.flag, flags.decode(c.flag, c.new_value)),
        }
        for c in shown
    ]
    return render(
        request,
        "people/flag_changes.html",
        {"school": school, "form": form, "rows": rows, "total": total},
        status=400 if form.errors else 200,
    )
