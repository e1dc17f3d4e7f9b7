"""Forms of the concerns pages: they parse and name the field of bad input; the services
(:mod:`.services`) decide and write."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from chaperone.concerns.models import (
    ActionKind,
    AllegationLevel,
    AllegationOutcome,
    ConcernCategory,
    PupilRole,
    Urgency,
)
from chaperone.people.models import Pupil, StaffMember

#: how many pupils the raise form offers rows for
PUPIL_ROWS = 4

ROLE_CHOICES = [(r.value, r.label) for r in PupilRole]


def add_pupil_rows(form: forms.Form, pupils: list[Pupil], *, empty: str) -> None:
    """The form's PUPIL_ROWS rows of a pupil and their part in the concern (``empty``: the
    label of choosing no pupil in a row)."""
    pupil_choices = [("", empty)] + [
        (str(p.pk), f"{p.display_name} (Year {p.year_group})") for p in pupils
    ]
    for i in range(PUPIL_ROWS):
        form.fields[f"pupil_{i}"] = forms.ChoiceField(
            label=f"Pupil {i + 1}",
            choices=pupil_choices,
            required=False,
            error_messages={"invalid_choice": f"Pupil {i + 1}: choose a pupil of this school."},
        )
        form.fields[f"role_{i}"] = forms.ChoiceField(
            label=f"Pupil {i + 1}'s part in it",
            choices=ROLE_CHOICES,
            required=False,
            initial=PupilRole.SUBJECT,
            error_messages={"invalid_choice": f"Pupil {i + 1}'s part: choose one of the list."},
        )


class RaiseForm(forms.Form):
    """What the person raising a concern says. Nothing is required by the form itself: the
    service names what is missing, so a submit with a gap keeps everything else typed."""

    summary = forms.CharField(
        label="What you saw or heard",
        help_text="The facts, as they happened. Say what you saw, not what you think it means.",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    childs_words = forms.CharField(
        label="What the child said, in their own words (if they said anything)",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    category = forms.ChoiceField(label="Category", required=False)
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={
            "required": "How urgent is it: choose routine or urgent.",
            "invalid_choice": "How urgent is it: choose routine or urgent.",
        },
    )
    occurred_at = forms.DateTimeField(
        label="When it happened (leave empty for now)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "When it happened: give a date and a time."},
    )
    told_by = forms.CharField(
        label="Who told you, if it was not your own observation (e.g. a parent)",
        required=False,
        max_length=200,
    )
    about_staff = forms.ChoiceField(
        label="Is it about a member of staff? Choose them",
        help_text="A concern about staff goes to the headteacher only (to the chair of governors "
        "if it is about the headteacher).",
        required=False,
    )
    body_map = forms.CharField(required=False, widget=forms.HiddenInput)
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    source_label = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    source_ref = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    draft = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        categories: list[ConcernCategory],
        pupils: list[Pupil],
        staff: list[StaffMember],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.error_messages["invalid_choice"] = "Category: choose one of the school's."
        category.choices = [("", "Choose a category")] + [(str(c.pk), c.name) for c in categories]
        about = self.fields["about_staff"]
        assert isinstance(about, forms.ChoiceField)
        about.error_messages["invalid_choice"] = "Member of staff: choose someone at this school."
        about.choices = [("", "No: it is about a child")] + [
            (str(s.pk), s.full_name) for s in staff
        ]
        add_pupil_rows(self, pupils, empty="Choose a pupil")
        self.categories = {str(c.pk): c for c in categories}
        self.pupils = {str(p.pk): p for p in pupils}
        self.staff = {str(s.pk): s for s in staff}

    def pupil_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"pupil_{i}"], self[f"role_{i}"]) for i in range(PUPIL_ROWS)]

    def chosen_pupils(self) -> list[tuple[Pupil, str]]:
        chosen = []
        for i in range(PUPIL_ROWS):
            pupil = self.pupils.get(self.cleaned_data.get(f"pupil_{i}") or "")
            if pupil is not None:
                chosen.append((pupil, self.cleaned_data.get(f"role_{i}") or PupilRole.SUBJECT))
        return chosen

    def chosen_category(self) -> ConcernCategory | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def chosen_staff(self) -> StaffMember | None:
        return self.staff.get(self.cleaned_data.get("about_staff") or "")

    def clean_body_map(self) -> list[dict[str, Any]]:
        text = self.cleaned_data.get("body_map") or ""
        if not text.strip():
            return []
        try:
            marks = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError("Body map: the marks could not be read.") from exc
        if not isinstance(marks, list) or not all(isinstance(m, dict) for m in marks):
            raise forms.ValidationError("Body map: the marks could not be read.")
        return marks

    def clean_occurred_at(self) -> dt.datetime | None:
        value = self.cleaned_data.get("occurred_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


def _choice(label: str, choices: list[tuple[str, str]], **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, required=False, **kwargs)


class AssignForm(forms.Form):
    assigned_to = _choice("Assign to", [])

    def __init__(self, *args: Any, handlers: list[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_to"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose")] + [(str(s.pk), s.full_name) for s in handlers]


class ActionForm(forms.Form):
    kind = _choice("What is to be done", [("", "Choose"), *list(ActionKind.choices)])
    owner = _choice("Who does it", [])
    due_on = forms.DateField(
        label="By when (leave empty for the usual timescale)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "By when: give a date."},
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, handlers: list[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose")] + [(str(s.pk), s.full_name) for s in handlers]


class ActionDoneForm(forms.Form):
    action = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.CharField(label="What happened", required=False, max_length=5000)
    cancelled = forms.BooleanField(label="Cancelled rather than done", required=False)


class TextForm(forms.Form):
    """One text box: an addendum, a reason, an outcome, a rationale."""

    text = forms.CharField(
        label="", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label


class CorrectionForm(forms.Form):
    field = _choice(
        "What to correct",
        [
            ("", "Choose"),
            ("category", "The category"),
            ("occurred_at", "When it happened"),
        ],
    )
    category = _choice("New category", [])
    occurred_at = forms.DateTimeField(
        label="New date and time",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "New date and time: give a date and a time."},
    )
    reason = forms.CharField(label="Why it is corrected", required=False, max_length=5000)

    def __init__(self, *args: Any, categories: list[ConcernCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose")] + [(str(c.pk), c.name) for c in categories]
        self.categories = {str(c.pk): c for c in categories}


class AllegationForm(forms.Form):
    level = forms.ChoiceField(
        label="Level", choices=AllegationLevel.choices, widget=forms.RadioSelect
    )
    lado_consulted_on = forms.DateField(
        label="LADO consulted on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "LADO consulted on: give a date."},
    )
    lado_officer = forms.CharField(label="LADO's name", required=False, max_length=200)
    lado_advice = forms.CharField(
        label="LADO's advice", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lado_referred_on = forms.DateField(
        label="Referred to the LADO on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Referred to the LADO on: give a date."},
    )
    lado_reference = forms.CharField(label="LADO reference", required=False, max_length=80)
    outcome = _choice("Outcome", [("", "Not yet decided"), *list(AllegationOutcome.choices)])
    outcome_notes = forms.CharField(
        label="About the outcome", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepUpForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
        error_messages={
            "required": "Code: enter the six-digit code from your authenticator app.",
            "min_length": "Code: it has six digits.",
            "max_length": "Code: it has six digits.",
        },
    )


class CorrectPupilsForm(forms.Form):
    """Who a concern is about, corrected: each pupil with their part, and why. The rows start
    from the pupils it names now; the service checks the school and the reason."""

    reason = forms.CharField(
        label="Why it is corrected",
        help_text="Kept in the concern's history with who the pupils were before.",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, pupils: list[Pupil], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_pupil_rows(self, pupils, empty="Nobody")
        self.pupils = {str(p.pk): p for p in pupils}
        # the reason box after the rows
        self.order_fields([*(f for f in self.fields if f != "reason"), "reason"])

    def pupil_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"pupil_{i}"], self[f"role_{i}"]) for i in range(PUPIL_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: dict[str, int] = {}
        for i in range(PUPIL_ROWS):
            pk = data.get(f"pupil_{i}") or ""
            if pk and pk in seen:
                self.add_error(
                    f"pupil_{i}",
                    f"Pupil {i + 1}: already chosen as pupil {seen[pk] + 1}; "
                    "give each pupil one part.",
                )
            elif pk:
                seen[pk] = i
        return data

    def chosen_pupils(self) -> list[tuple[Pupil, str]]:
        chosen = []
        for i in range(PUPIL_ROWS):
            pupil = self.pupils.get(self.cleaned_data.get(f"pupil_{i}") or "")
            if pupil is not None:
                chosen.append((pupil, self.cleaned_data.get(f"role_{i}") or PupilRole.SUBJECT))
        return chosen
