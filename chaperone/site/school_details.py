"""The school's contact details (telephone, email, website): the form and the one write.

The parent guide prints them under "How to reach the school", so the headteacher (or a trust
administrator) keeps them current here. Each change is audited with the old and new values.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction

from chaperone.audit.log import record
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

__all__ = ["FIELDS", "SchoolDetailsForm", "school_details_update"]

FIELDS = ("phone", "email", "website")


class SchoolDetailsForm(forms.ModelForm):
    website = forms.URLField(
        label="Website",
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="The full address, starting https://",
        error_messages={"invalid": "Enter a full web address, like https://school.example."},
    )

    class Meta:
        model = School
        fields = FIELDS
        labels = {
            "phone": "Telephone",
            "email": "Email address for families",
        }
        help_texts = {
            "phone": "The number families ring, for example 01632 960 123.",
            "email": "The school office's address, not a person's.",
        }
        error_messages = {
            "email": {"invalid": "Enter an email address like office@school.example."},
            "phone": {"max_length": "Enter a telephone number of at most 40 characters."},
        }

    def clean_phone(self) -> str:
        phone = " ".join(str(self.cleaned_data.get("phone", "")).split())
        if phone and not all(c.isascii() and (c.isdigit() or c in " +()-") for c in phone):
            raise forms.ValidationError(
                "Enter a telephone number with digits, spaces, brackets, + or - only."
            )
        return phone


def school_details_update(*, actor: Actor, school: School, data: dict[str, Any]) -> list[str]:
    """Save the school's contact details; the names of the fields that changed (audited)."""
    if not actor.can("school.manage_details", school.pk):
        raise PermissionError("You may not change this school's details.")
    changes = {
        name: {"from": getattr(school, name), "to": data[name]}
        for name in FIELDS
        if getattr(school, name) != data[name]
    }
    if not changes:
        return []
    with transaction.atomic():
        for name, change in changes.items():
            setattr(school, name, change["to"])
        school.save(update_fields=list(changes))
        record("school.details_changed", actor=actor, target=school, details=changes)
    return list(changes)
