"""A child's chronology: the page (filters by kind, category and date; siblings through the
household), its PDF for a case conference or strategy meeting, and adding a significant event.
Every page and PDF is a recorded read (:func:`.chronology.chronology_for_viewing`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from chaperone.audit.log import record as audit_record
from chaperone.concerns import chronology
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import ChronologyEvent, EventKind
from chaperone.concerns.pdf import safe_filename
from chaperone.core.http import ChaperoneRequest
from chaperone.people.models import Pupil
from chaperone.tenancy.querysets import get_for_actor_or_404


class EventForm(forms.Form):
    kind = forms.ChoiceField(label="What kind of event", choices=EventKind.choices)
    title = forms.CharField(label="What happened, in a few words", max_length=200)
    occurred_on = forms.DateField(
        label="On which day", widget=forms.DateInput(attrs={"type": "date"})
    )
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea)

    def clean_occurred_on(self) -> object:
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The day cannot be in the future.")
        return day


def _pupil(request: ChaperoneRequest, pk: int) -> Pupil:
    return get_for_actor_or_404(
        Pupil.objects.select_related("school", "household"),
        request.actor,
        "concern.chronology",
        pk=pk,
    )


def _filters(request: ChaperoneRequest, pupil: Pupil) -> tuple[chronology.Filters, list[str]]:
    codes = [c.code for c in categories_for(pupil.school)]
    return chronology.parse_filters(request.GET, codes)


@require_GET
def chronology_page(request: ChaperoneRequest, pk: int) -> HttpResponse:
    pupil = _pupil(request, pk)
    filters, problems = _filters(request, pupil)
    chron = chronology.chronology_for_viewing(actor=request.actor, pupil=pupil, filters=filters)
    return _render(request, pupil, chron, filters, problems, EventForm())


def _render(
    request: ChaperoneRequest,
    pupil: Pupil,
    chron: chronology.Chronology,
    filters: chronology.Filters,
    problems: list[str],
    form: EventForm,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.urlencode()
    return render(
        request,
        "concerns/chronology.html",
        {
            "pupil": pupil,
            "chron": chron,
            "filters": filters,
            "problems": problems,
            "categories": categories_for(pupil.school),
            "event_form": form,
            "pdf_url": reverse("concerns:chronology_pdf", args=[pupil.pk])
            + (f"?{query}" if query else ""),
        },
        status=status,
    )


@require_GET
def chronology_pdf(request: ChaperoneRequest, pk: int) -> HttpResponse:
    pupil = _pupil(request, pk)
    filters, _problems = _filters(request, pupil)
    chron = chronology.chronology_for_viewing(
        actor=request.actor, pupil=pupil, filters=filters, exported=True
    )
    pdf = chronology.render_pdf(
        chron,
        {
            "school": pupil.school,
            "filters": filters,
            "generated": timezone.now(),
            "by": request.actor.label,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = safe_filename(f"chronology-{pupil.last_name}-{timezone.localdate():%Y-%m-%d}.pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
def event_add(request: ChaperoneRequest, pk: int) -> HttpResponse:
    pupil = _pupil(request, pk)
    actor = request.actor
    if actor.staff_id is None:
        raise PermissionDenied("Only a member of staff adds to a chronology.")
    form = EventForm(request.POST)
    if not form.is_valid():
        filters, problems = _filters(request, pupil)
        chron = chronology.chronology_for_viewing(actor=actor, pupil=pupil, filters=filters)
        return _render(request, pupil, chron, filters, problems, form, status=400)
    with transaction.atomic():
        event = ChronologyEvent.objects.create(
            school=pupil.school,
            pupil=pupil,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            details=form.cleaned_data["details"],
            occurred_on=form.cleaned_data["occurred_on"],
            recorded_by_id=actor.staff_id,
        )
        audit_record("concern.event_added", actor=actor, target=event, details={"pupil": pupil.pk})
    messages.success(request, "The event is on the chronology.")
    return redirect("concerns:chronology", pk=pupil.pk)
