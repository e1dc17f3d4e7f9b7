"""Forms of the welfare app: they parse; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from chaperone.welfare.models import (
    KEY_QUESTIONS,
    Answer,
    Outcome,
    Tier,
    Weekday,
    WelfareChannel,
    WithheldNumber,
)
from chaperone.welfare.need import WelfareProblem


class ProblemForm(forms.Form):
    def add_problem(self, problem: WelfareProblem) -> None:
        self.add_error(problem.field if problem.field in self.fields else None, problem.message)


class TierForm(ProblemForm):
    tier = forms.ChoiceField(
        label="Tier",
        choices=[("", "As the flags say"), *Tier.choices],
        required=False,
        error_messages={"invalid_choice": "Tier: '%(value)s' is not a tier; choose one listed."},
    )
    known_to_us = forms.BooleanField(
        label="Known to us: at risk without a formal status", required=False
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Reason: say why the tier changes."},
    )


class PreferenceForm(ProblemForm):
    channel = forms.ChoiceField(label="Preferred channel", choices=WelfareChannel.choices)
    avoid_days = forms.MultipleChoiceField(
        label="Days to avoid",
        choices=Weekday.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    avoid_times = forms.CharField(label="Times to avoid", max_length=100, required=False)
    language = forms.CharField(label="Language", max_length=40, required=False)
    ask_for = forms.CharField(label="Who to ask for", max_length=100, required=False)


class PreferenceImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: household_reference, channel, avoid_days, avoid_times, language, "
        "ask_for.",
        error_messages={"required": "CSV file: choose a file to upload."},
    )


class AvailabilityForm(ProblemForm):
    days = forms.MultipleChoiceField(
        label="Days", choices=Weekday.choices, widget=forms.CheckboxSelectMultiple
    )
    hours_from = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    hours_to = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    calls_per_day = forms.IntegerField(label="Calls a day", min_value=0, max_value=100)
    school_phone = forms.CharField(label="School phone or extension", required=False)
    withheld_number = forms.ChoiceField(label="Number policy", choices=WithheldNumber.choices)


class RotaForm(ProblemForm):
    title = forms.CharField(label="Name", max_length=120, required=False)
    first_day = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))


class ReplanForm(ProblemForm):
    absent = forms.MultipleChoiceField(
        label="Who is away", choices=(), widget=forms.CheckboxSelectMultiple
    )
    from_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].choices = [(str(pk), name) for pk, name in staff]  # type: ignore[attr-defined]


class CallForm(ProblemForm):
    outcome = forms.ChoiceField(
        label="What happened",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "What happened: choose the outcome of the call."},
    )
    food = forms.ChoiceField(label=KEY_QUESTIONS["food"], choices=Answer.choices, required=False)
    safety = forms.ChoiceField(
        label=KEY_QUESTIONS["safety"], choices=Answer.choices, required=False
    )
    learning = forms.ChoiceField(
        label=KEY_QUESTIONS["learning"], choices=Answer.choices, required=False
    )
    health = forms.ChoiceField(
        label=KEY_QUESTIONS["health"], choices=Answer.choices, required=False
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    concern = forms.CharField(
        label="Raise a safeguarding concern (optional)",
        help_text="Write what you heard; the DSL is told at once.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class StepForm(ProblemForm):
    outcome = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "What happened: say what came of this step."},
    )
    resolved = forms.BooleanField(label="The family is safe: close the escalation", required=False)
