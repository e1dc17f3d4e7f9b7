from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from chaperone.audit.registry import ACTIONS
from chaperone.audit.selectors import Cursor

#: the dates a filter may name (a day past the end of the calendar cannot be searched up to)
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


def _action_choices(names: list[str] | None = None) -> list[tuple[str, str]]:
    names = sorted(ACTIONS) if names is None else names
    return [("", "Any action"), *((name, f"{ACTIONS[name]} ({name})") for name in names)]


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

    #: where the page starts (the "Older" and "Newer" links set these)
    before = forms.CharField(label="Page link", required=False, widget=forms.HiddenInput)
    after = forms.CharField(label="Page link", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actions is not None:
            self.fields["action"].choices = _action_choices(actions)  # type: ignore[attr-defined]
        for bound in self.visible_fields():
            field = bound.field
            css = "govuk-select" if isinstance(field, forms.ChoiceField) else "govuk-input"
            field.widget.attrs.setdefault("class", css)

    def _clean_cursor(self, name: str) -> Cursor | None:
        text = self.cleaned_data.get(name) or ""
        if not text:
            return None
        cursor = Cursor.parse(text)
        if cursor is None:
            raise forms.ValidationError(
                "That page link is not valid. The list starts again from the newest entries."
            )
        return cursor

    def clean_before(self) -> Cursor | None:
        return self._clean_cursor("before")

    def clean_after(self) -> Cursor | None:
        return self._clean_cursor("after")

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
            for name in ("action", "date_from", "date_to", "before", "after")
            if name in data and data[name] not in (None, "") and name not in self.errors
        }
