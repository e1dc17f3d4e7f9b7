from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from chaperone.audit.registry import ACTIONS

#: the dates a filter may name (a day past the end of the calendar cannot be searched up to)
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


def _action_choices() -> list[tuple[str, str]]:
    return [("", "Any action"), *((name, f"{ACTIONS[name]} ({name})") for name in sorted(ACTIONS))]


def _date_field(label: str, example: str) -> forms.DateField:
    out_of_range = f"Enter the '{label}' date between {EARLIEST:%Y} and {LATEST:%Y}."
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[
            MinValueValidator(EARLIEST, message=out_of_range),
            MaxValueValidator(LATEST, message=out_of_range),
        ],
        error_messages={"invalid": f"Enter the '{label}' date as a real date, like {example}."},
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=_action_choices)
    date_from = _date_field("From", "2025-09-01")
    date_to = _date_field("To", "2025-09-30")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "govuk-select" if isinstance(field, forms.ChoiceField) else "govuk-input"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The 'To' date must be on or after the 'From' date.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a bad field is reported and ignored, the others still apply."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("action", "date_from", "date_to")
            if name in data and data[name] not in (None, "") and name not in self.errors
        }
