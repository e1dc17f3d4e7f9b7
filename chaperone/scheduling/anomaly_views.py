"""The page where a DSL or senior leader sets when the timetable flags repeated one-to-ones."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chaperone.core.http import ChaperoneRequest
from chaperone.scheduling import anomalies
from chaperone.tenancy.schools import school_for


class AnomalySettingsForm(forms.Form):
    repeat_threshold = forms.IntegerField(
        label="Flag the one-to-one that makes this many of one adult with one pupil",
        min_value=2,
        max_value=50,
        error_messages={
            "required": "Number of one-to-ones: enter a number from 2 to 50.",
            "invalid": "Number of one-to-ones: enter a whole number from 2 to 50.",
            "min_value": "Number of one-to-ones: enter a number from 2 to 50.",
            "max_value": "Number of one-to-ones: enter a number from 2 to 50.",
        },
    )
    repeat_days = forms.IntegerField(
        label="Within this many days",
        min_value=1,
        max_value=366,
        error_messages={
            "required": "Days: enter a number of days from 1 to 366.",
            "invalid": "Days: enter a whole number of days from 1 to 366.",
            "min_value": "Days: enter a number of days from 1 to 366.",
            "max_value": "Days: enter a number of days from 1 to 366.",
        },
    )


@require_http_methods(["GET", "POST"])
def timetable_flags(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "session.timetable")
    now = anomalies.thresholds_for(school)
    initial = {"repeat_threshold": now.repeat_threshold, "repeat_days": now.repeat_days}
    form = AnomalySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            anomalies.anomaly_settings_set(
                actor=request.actor,
                school=school,
                repeat_threshold=form.cleaned_data["repeat_threshold"],
                repeat_days=form.cleaned_data["repeat_days"],
            )
        except anomalies.SettingsProblem as problem:
            form.add_error(problem.field, problem.message)
        else:
            messages.success(request, "The timetable's flags are changed.")
            return redirect("scheduling:timetable")
    return render(request, "scheduling/timetable_flags.html", {"school": school, "form": form})
