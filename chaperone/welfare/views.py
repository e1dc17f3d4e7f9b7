"""Pages of the welfare app: the caller's sheet and the call form; the DSL's tiers, families'
preferences, callers, rotas and escalations; the coverage figures, printed sheets and the CSV.
Thin: forms parse, services write, selectors read."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.core.http import ChaperoneRequest
from chaperone.people.models import StaffMember
from chaperone.tenancy.schools import active_school, school_for
from chaperone.welfare import calls, escalation, need, planning, preferences, selectors
from chaperone.welfare.forms import (
    AvailabilityForm,
    CallForm,
    LadderForm,
    PreferenceForm,
    PreferenceImportForm,
    ReplanForm,
    RotaForm,
    StepForm,
    TierForm,
)
from chaperone.welfare.models import (
    TIER_ORDER,
    CallerAvailability,
    HouseholdPreference,
    Tier,
)
from chaperone.welfare.need import MANAGE, WelfareProblem

CALL = "welfare.call"
VIEW = "welfare.view"


def _day(request: ChaperoneRequest, name: str = "day") -> dt.date:
    raw = request.GET.get(name, "")
    try:
        return dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


# --- the caller -----------------------------------------------------------------------------


@require_GET
def call_sheet(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, CALL)
    today = timezone.localdate()
    day = _day(request)
    rows = calls.call_sheet(actor=request.actor, school=school, day=day, today=today)
    return render(
        request,
        "welfare/sheet.html",
        {
            "school": school,
            "day": day,
            "today": today,
            "rows": rows,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "sees_coverage": request.actor.can(VIEW, school.pk),
            "manages": request.actor.can(MANAGE, school.pk),
        },
    )


@require_http_methods(["GET", "POST"])
def call_record(request: ChaperoneRequest, pk: int) -> HttpResponse:
    call = calls.planned_call_for_caller(actor=request.actor, call_id=pk)
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calls.call_record(
                actor=request.actor,
                call=call,
                outcome=data["outcome"],
                answers={k: data[k] for k in ("food", "safety", "learning", "health")},
                notes=data["notes"],
                concern=data["concern"],
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, f"Call to {call.household.name} recorded.")
            return redirect(f"{_url('welfare:sheet')}?day={call.day.isoformat()}")
    return render(request, "welfare/record.html", {"call": call, "form": form})


def _url(name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


# --- tiers ----------------------------------------------------------------------------------


@require_GET
def tiers(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    tier = request.GET.get("tier", "")
    if tier not in TIER_ORDER:
        tier = ""
    rows = selectors.pupils_with_tiers(actor=request.actor, school=school, tier=tier)
    return render(
        request,
        "welfare/tiers.html",
        {"school": school, "rows": rows, "tier": tier, "tiers": Tier.choices},
    )


@require_http_methods(["GET", "POST"])
def tier_change(request: ChaperoneRequest, pk: int) -> HttpResponse:
    pupil = selectors.pupil_for_tier(actor=request.actor, pupil_id=pk)
    existing = getattr(pupil, "welfare_need", None)
    initial = {"tier": existing.tier, "known_to_us": existing.known_to_us} if existing else {}
    form = TierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            need.tier_set(
                actor=request.actor,
                pupil=pupil,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                known_to_us=form.cleaned_data["known_to_us"],
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, f"{pupil.display_name}'s tier is saved.")
            return redirect("welfare:tiers")
    return render(
        request,
        "welfare/tier_change.html",
        {
            "pupil": pupil,
            "form": form,
            "current": need.pupil_tier(pupil),
            "from_flags": need.tier_from_flags(
                pupil, known_to_us=bool(existing and existing.known_to_us)
            ),
            "history": selectors.tier_history(actor=request.actor, pupil=pupil),
        },
    )


# --- preferences and callers ----------------------------------------------------------------


@require_GET
def households(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    rows = selectors.households_of_school(actor=request.actor, school=school)
    return render(request, "welfare/households.html", {"school": school, "households": rows})


@require_http_methods(["GET", "POST"])
def household_preferences(request: ChaperoneRequest, pk: int) -> HttpResponse:
    household = selectors.household_for_preferences(actor=request.actor, household_id=pk)
    pref = HouseholdPreference.objects.filter(household=household).first()
    initial: dict[str, Any] = {}
    if pref is not None:
        initial = {
            "channel": pref.channel,
            "avoid_days": pref.avoid_day_list,
            "avoid_times": pref.avoid_times,
            "language": pref.language,
            "ask_for": pref.ask_for,
        }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            preferences.preferences_set(
                actor=request.actor, household=household, values=form.cleaned_data
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, f"Preferences of the {household.name} saved.")
            return redirect("welfare:households")
    return render(request, "welfare/preferences.html", {"household": household, "form": form})


@require_http_methods(["GET", "POST"])
def preferences_import(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    form = PreferenceImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = preferences.preferences_import(
            actor=request.actor, school=school, data=upload.read(preferences.MAX_CSV_BYTES + 1)
        )
        if not result.errors:
            messages.success(request, f"Preferences of {result.saved} families imported.")
            return redirect("welfare:households")
    return render(
        request,
        "welfare/preferences_import.html",
        {"school": school, "form": form, "result": result},
    )


@require_GET
def callers(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    staff = selectors.callers_of_school(actor=request.actor, school=school)
    return render(request, "welfare/callers.html", {"school": school, "staff": staff})


@require_http_methods(["GET", "POST"])
def availability(request: ChaperoneRequest, pk: int) -> HttpResponse:
    staff = selectors.staff_for_availability(actor=request.actor, staff_id=pk)
    current = CallerAvailability.objects.filter(staff=staff).first()
    initial: dict[str, Any] = {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "hours_from": "09:00",
        "hours_to": "15:00",
        "calls_per_day": 6,
    }
    if current is not None:
        initial = {
            "days": current.day_list,
            "hours_from": current.hours_from,
            "hours_to": current.hours_to,
            "calls_per_day": current.calls_per_day,
            "school_phone": current.school_phone,
            "withheld_number": current.withheld_number,
        }
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            preferences.availability_set(actor=request.actor, staff=staff, values=form.cleaned_data)
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, f"{staff.full_name}'s availability saved.")
            return redirect("welfare:callers")
    return render(request, "welfare/availability.html", {"staff": staff, "form": form})


# --- rotas ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def rotas(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    form = RotaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        schools = [s for s in _plannable_schools(request) if s.trust_id == school.trust_id]
        try:
            run = planning.rota_request(
                actor=request.actor,
                schools=schools,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                title=form.cleaned_data["title"],
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, "The rota is being planned.")
            return redirect("welfare:rota", pk=run.pk)
    runs = selectors.runs_of_school(actor=request.actor, school=school)
    return render(request, "welfare/rotas.html", {"school": school, "form": form, "runs": runs})


def _plannable_schools(request: ChaperoneRequest) -> list[Any]:
    from chaperone.tenancy.schools import request_schools

    return [s for s in request_schools(request) if request.actor.can(MANAGE, s.pk)]


@require_GET
def rota(request: ChaperoneRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=pk)
    view = selectors.run_detail(actor=request.actor, run=run)
    staff = sorted({(s.pk, s.full_name) for s, _ in view.load}, key=lambda r: r[1])
    # the page asks for its body again while the run is being planned (htmx polling)
    template = "welfare/_rota_body.html" if request.htmx else "welfare/rota.html"
    return render(
        request,
        template,
        {
            "view": view,
            "run": run,
            "replan_form": ReplanForm(staff=staff, initial={"from_day": timezone.localdate()}),
        },
    )


@require_POST
def replan(request: ChaperoneRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=pk)
    view = selectors.run_detail(actor=request.actor, run=run)
    staff = sorted({(s.pk, s.full_name) for s, _ in view.load}, key=lambda r: r[1])
    form = ReplanForm(request.POST, staff=staff)
    if form.is_valid():
        absent = list(
            StaffMember.objects.filter(pk__in=[int(s) for s in form.cleaned_data["absent"]])
        )
        try:
            new = planning.rota_replan(
                actor=request.actor,
                run=run,
                absent_staff=absent,
                from_day=form.cleaned_data["from_day"],
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, "The rota is being planned again.")
            return redirect("welfare:rota", pk=new.pk)
    return render(
        request, "welfare/rota.html", {"view": view, "run": run, "replan_form": form}, status=400
    )


# --- escalations ----------------------------------------------------------------------------


@require_GET
def escalations(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, MANAGE)
    closed = request.GET.get("show") == "all"
    rows = selectors.escalations_of_school(actor=request.actor, school=school, open_only=not closed)
    return render(
        request,
        "welfare/escalations.html",
        {
            "school": school,
            "rows": rows,
            "all": closed,
            "edits_ladder": request.actor.can(escalation.LADDER, school.pk),
        },
    )


@require_GET
def escalation_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    item = selectors.escalation_get_for_viewing(actor=request.actor, escalation_id=pk)
    return render(request, "welfare/escalation.html", _escalation_context(item, StepForm()))


def _escalation_context(item: Any, form: StepForm) -> dict[str, Any]:
    steps = list(item.steps.select_related("done_by").order_by("opened_at", "pk"))
    current = next((s for s in steps if s.done_at is None), None)
    return {"item": item, "steps": steps, "current": current, "form": form}


@require_POST
def escalation_step(request: ChaperoneRequest, pk: int) -> HttpResponse:
    step = selectors.step_get(actor=request.actor, step_id=pk)
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            escalation.escalation_step_record(
                actor=request.actor,
                step=step,
                outcome=form.cleaned_data["outcome"],
                resolved=form.cleaned_data["resolved"],
            )
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, f"{step.get_step_display()}: outcome recorded.")
            return redirect("welfare:escalation", pk=step.escalation_id)
    item = selectors.escalation_get_for_viewing(
        actor=request.actor, escalation_id=step.escalation_id
    )
    return render(request, "welfare/escalation.html", _escalation_context(item, form), status=400)


@require_http_methods(["GET", "POST"])
def ladder(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, escalation.LADDER)
    form = LadderForm(
        request.POST or None, initial=LadderForm.initial_from(escalation.ladder_of(school.pk))
    )
    if request.method == "POST" and form.is_valid():
        try:
            escalation.ladder_set(actor=request.actor, school_id=school.pk, steps=form.steps())
        except WelfareProblem as problem:
            form.add_problem(problem)
        else:
            messages.success(request, "The escalation ladder is saved.")
            return redirect("welfare:ladder")
    return render(
        request,
        "welfare/ladder.html",
        {"school": school, "form": form},
        status=400 if form.errors else 200,
    )


# --- coverage, print and export -------------------------------------------------------------


@require_GET
def coverage(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, VIEW)
    day = _day(request)
    first, last = selectors.week_of(day)
    today = selectors.coverage(actor=request.actor, school=school, first=day, last=day)
    week = selectors.coverage(actor=request.actor, school=school, first=first, last=last)
    from chaperone.audit.log import record_read

    record_read("welfare.coverage_viewed", actor=request.actor, target=school)
    return render(
        request,
        "welfare/coverage.html",
        {"school": school, "day": day, "today": today, "week": week},
    )


@require_GET
def export_csv(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, VIEW)
    day = _day(request)
    first, last = selectors.week_of(day)
    if request.GET.get("first") and request.GET.get("last"):
        first, last = _day(request, "first"), _day(request, "last")
    rows = selectors.export_rows(actor=request.actor, school=school, first=first, last=last)
    from chaperone.audit.log import record

    record(
        "welfare.calls_exported",
        actor=request.actor,
        target=school,
        details={"rows": len(rows) - 1},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="welfare-calls-{first}-{last}.csv"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return response


def _csv_safe(value: str) -> str:
    """No cell a spreadsheet would run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


@require_GET
def day_pdf(request: ChaperoneRequest, school_id: int) -> HttpResponse:
    """The day's sheets of every caller of the school being worked in (another school's, or a
    school one may not see, is a 404 like a missing one)."""
    school = active_school(request)
    if school is None or school.pk != school_id or not request.actor.can(VIEW, school.pk):
        raise Http404("No such school.")
    day = _day(request)
    sheets = selectors.day_sheets(actor=request.actor, school=school, day=day)
    from chaperone.audit.log import record

    record(
        "welfare.day_sheets_printed",
        actor=request.actor,
        target=school,
        details={"day": day.isoformat(), "callers": len(sheets)},
    )
    html = render_to_string(
        "welfare/day_pdf.html", {"school": school, "day": day, "sheets": sheets}
    )
    from weasyprint import HTML  # slow to import; only needed here

    pdf = HTML(string=html, base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    response = HttpResponse(bytes(pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="call-sheets-{day.isoformat()}.pdf"'
    return response
