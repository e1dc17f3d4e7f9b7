"""Forms of the people app: uploading an MIS export and confirming its import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from chaperone.people.importers import KINDS
from chaperone.people.importers.reading import MAX_BYTES, TOO_LARGE
from chaperone.people.models import StaffMember

KIND_HINTS = {
    "pupils": "One row per pupil, with UPN, names, date of birth and year group.",
    "staff": "One row per staff member, with staff ID, names and roles. No logins are created, "
    "and safeguarding or leadership roles are never given: those are granted on the Roles screen.",
    "households": "One row per parent or carer, with the household reference they belong to.",
}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What does the file hold?",
        choices=[(k, label) for k, label in KINDS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file holds: pupils, staff or households."},
    )
    file = forms.FileField(
        label="CSV file",
        help_text="Export it from your MIS (SIMS, Arbor, Bromcom...) as CSV. Nothing is saved "
        "until you have checked the preview and confirmed.",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(TOO_LARGE)
        return upload


class ImportConfirmForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label="Import the valid rows and leave out the invalid ones",
        required=False,
        help_text="Otherwise nothing is imported while any row has a problem.",
    )


class FlagDecisionForm(forms.Form):
    """A DSL's decision on some of the flag changes listed (their ids are the choices)."""

    changes = forms.MultipleChoiceField(
        label="Changes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "One of the changes chosen is no longer waiting."},
    )
    everything = forms.BooleanField(label="All the changes listed", required=False)
    decision = forms.ChoiceField(
        choices=[("confirm", "Confirm"), ("reject", "Reject")],
        error_messages={"required": "Choose to confirm or to reject the changes."},
    )

    def __init__(self, *args: object, listed: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.listed = listed
        self.fields["changes"].choices = [(str(pk), str(pk)) for pk in listed]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        chosen = [int(pk) for pk in data.get("changes") or ()]
        if data.get("everything"):
            chosen = list(self.listed)
        if not chosen and "changes" not in self.errors:
            self.add_error("changes", "Tick the changes to decide, or tick all the changes listed.")
        data["chosen"] = chosen
        return data


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(
        label="Role to grant",
        help_text="Safeguarding and leadership roles take effect only once another headteacher "
        "or a trust administrator confirms them.",
        error_messages={
            "required": "Choose the role to grant.",
            "invalid_choice": "Choose one of the roles in the list.",
        },
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Choose a role"), *roles]  # type: ignore[attr-defined]


class StaffEmailForm(forms.Form):
    email = forms.EmailField(
        label="New email address",
        max_length=150,  # it becomes the sign-in name, which holds 150 characters
        help_text="Their invitations, sign-in name and notices move to it. We tell the old "
        "address.",
        error_messages={
            "required": "Enter the new email address.",
            "invalid": "Enter an email address like name@school.example.",
            "max_length": "Enter an email address of at most 150 characters.",
        },
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class _StaffNameChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: StaffMember) -> str:
        return obj.full_name


class LineManagerForm(forms.Form):
    """The headteacher names who checks in with a member of staff about their sessions."""

    line_manager = _StaffNameChoice(
        label="Line manager",
        help_text="They see this person's planned and past sessions, for regular check-ins.",
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={"invalid_choice": "Choose a member of staff of this school."},
    )

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line_manager"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = choices
