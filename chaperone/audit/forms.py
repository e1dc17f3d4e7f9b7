from __future__ import annotations

from typing import Any

from django import forms

from chaperone.audit.registry import ACTIONS


def _action_choices() -> list[tuple[str, str]]:
    return [("", "Any action"), *((name, f"{ACTIONS[name]} ({name})") for name in sorted(ACTIONS))]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=_action_choices)
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the 'From' date as a real date, like 2025-09-01."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the 'To' date as a real date, like 2025-09-30."},
    )

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
