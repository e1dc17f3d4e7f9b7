"""The school's contact details (telephone, email, website): the form and the one write.

The parent guide prints them under "How to reach the school", so the headteacher (or a trust
administrator) keeps them current here. Each change is audited with the old and new values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db import transaction

from chaperone.audit.log import record
from chaperone.tenancy.models import School, SchoolTerm
from chaperone.tenancy.policies import Actor

__all__ = [
    "FIELDS",
    "SchoolDetailsForm",
    "SchoolTermForm",
    "school_details_update",
    "school_term_add",
    "school_term_remove",
]

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


# --- the school's term dates (a parent's consent "for this term" lasts to the end of one) -------

#: a term longer than this is a typing slip
LONGEST_TERM_DAYS = 200


class SchoolTermForm(forms.Form):
    name = forms.CharField(
        label="Term",
        max_length=60,
        help_text="As families know it, for example Spring term 2027.",
        error_messages={"required": "Term: give the term a name, for example Spring term 2027."},
    )
    starts_on = forms.DateField(
        label="First day",
        help_text="For example 4/1/2027.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={
            "required": "First day: enter the term's first day.",
            "invalid": "First day: enter a date like 4/1/2027.",
        },
    )
    ends_on = forms.DateField(
        label="Last day",
        help_text="For example 26/3/2027.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={
            "required": "Last day: enter the term's last day.",
            "invalid": "Last day: enter a date like 26/3/2027.",
        },
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts is None or ends is None:
            return data
        if ends < starts:
            self.add_error("ends_on", "Last day: choose a day on or after the first day.")
        elif (ends - starts).days > LONGEST_TERM_DAYS:
            self.add_error("ends_on", f"Last day: a term lasts at most {LONGEST_TERM_DAYS} days.")
        else:
            clash = SchoolTerm.objects.filter(
                school=self.school, starts_on__lte=ends, ends_on__gte=starts
            ).first()
            if clash is not None:
                self.add_error(
                    "starts_on", f"First day: these dates overlap {clash.name}; change one of them."
                )
        return data


def school_term_add(
    *, actor: Actor, school: School, name: str, starts_on: date, ends_on: date
) -> SchoolTerm:
    """Set one of the school's terms (the form has checked the dates)."""
    if not actor.can("school.manage_details", school.pk):
        raise PermissionError("You may not change this school's terms.")
    with transaction.atomic():
        term = SchoolTerm.objects.create(
            school=school, name=name.strip(), starts_on=starts_on, ends_on=ends_on
        )
        record(
            "school.term_added",
            actor=actor,
            target=school,
            details={"term": term.name, "starts_on": str(starts_on), "ends_on": str(ends_on)},
        )
    return term


def school_term_remove(*, actor: Actor, school: School, term_id: int) -> bool:
    """Take one of the school's terms away (another school's term is never found)."""
    if not actor.can("school.manage_details", school.pk):
        raise PermissionError("You may not change this school's terms.")
    with transaction.atomic():
        term = SchoolTerm.objects.select_for_update().filter(pk=term_id, school=school).first()
        if term is None:
            return False
        details = {
            "term": term.name,
            "starts_on": str(term.starts_on),
            "ends_on": str(term.ends_on),
        }
        term.delete()
        record("school.term_removed", actor=actor, target=school, details=details)
    return True
