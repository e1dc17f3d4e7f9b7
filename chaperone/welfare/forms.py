"""Forms of the welfare app: they parse; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from chaperone.welfare.models import (
    KEY_QUESTIONS,
    LADDER_MAX_DAYS,
    LADDER_MAX_STEPS,
    Answer,
    LadderAudience,
    LadderStep,
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


class LadderForm(ProblemForm):
    """The school's escalation ladder: up to :data:`LADDER_MAX_STEPS` rows of step, days and who
    is told (``step_<n>``, ``days_<n>``, ``tell_<n>``); an empty step ends the ladder."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, LADDER_MAX_STEPS + 1):
            self.fields[f"step_{n}"] = forms.ChoiceField(
                label=f"Step {n}",
                choices=[("", "No step" if n > 1 else "Choose a step"), *LadderStep.choices],
                required=False,
                error_messages={"invalid_choice": f"Step {n}: '%(value)s' is not a step."},
            )
            self.fields[f"days_{n}"] = forms.IntegerField(
                label=f"Step {n}: days allowed before the next step is due",
                min_value=1,
                max_value=LADDER_MAX_DAYS,
                required=False,
                error_messages={
                    "invalid": f"Step {n}, days: give a whole number of days.",
                    "min_value": f"Step {n}, days: at least 1 day.",
                    "max_value": f"Step {n}, days: at most {LADDER_MAX_DAYS} days.",
                },
            )
            self.fields[f"tell_{n}"] = forms.MultipleChoiceField(
                label=f"Step {n}: who is told when it opens",
                choices=LadderAudience.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "invalid_choice": f"Step {n}, who is told: '%(value)s' is not a choice."
                },
            )

    @staticmethod
    def initial_from(ladder: list[dict[str, Any]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for n, entry in enumerate(ladder[:LADDER_MAX_STEPS], start=1):
            initial[f"step_{n}"] = entry.get("step", "")
            initial[f"days_{n}"] = entry.get("days", 1)
            initial[f"tell_{n}"] = list(entry.get("tell", []))
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ended = 0
        for n in range(1, LADDER_MAX_STEPS + 1):
            step = data.get(f"step_{n}")
            if not step:
                ended = ended or n
                continue
            if ended:
                self.add_error(
                    f"step_{ended}",
                    f"Step {ended}: choose a step; the ladder cannot skip a row.",
                )
                break
            if data.get(f"days_{n}") is None and f"days_{n}" not in self.errors:
                self.add_error(f"days_{n}", f"Step {n}, days: say how many days it allows.")
        return data

    def steps(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        out = []
        for n in range(1, LADDER_MAX_STEPS + 1):
            if not data.get(f"step_{n}"):
                break
            out.append(
                {"step": data[f"step_{n}"], "days": data[f"days_{n}"], "tell": data[f"tell_{n}"]}
            )
        return out

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"step_{n}"], self[f"days_{n}"], self[f"tell_{n}"])
            for n in range(1, LADDER_MAX_STEPS + 1)
        ]
