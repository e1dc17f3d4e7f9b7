"""Forms: uploading a protocol version, and describing a planned contact to check it.

The try-it form only collects values; the engine's request parser judges them, and its errors
(which name a request field) are put back on the form field a person filled in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import QueryDict

from chaperone.protocols.uploads import MAX_SOURCE_CHARS

MAX_UPLOAD_BYTES = MAX_SOURCE_CHARS * 2


class UploadForm(forms.Form):
    source_text = forms.CharField(
        label="Protocol file (TOML)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "govuk-textarea"}),
        help_text=(
            "Paste the whole file, or choose it below. A school's file starts with "
            'extends = "<trust protocol id>" and lists only what it adds or makes stricter.'
        ),
    )
    source_file = forms.FileField(
        label="Or choose a file",
        required=False,
        help_text="A .toml file saved as UTF-8 text.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        upload = data.get("source_file")
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error("source_file", "The file is too large for a protocol.")
                return data
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("source_file", "The file is not UTF-8 text. Save it as UTF-8.")
                return data
            data["source_text"] = text
            self.keep_text(text)
        # Browsers send line breaks as CRLF (and a checked text comes back through the preview),
        # so the text is stored with plain LF line breaks whichever way it came.
        data["source_text"] = (data.get("source_text") or "").replace("\r\n", "\n")
        text = data["source_text"]
        if not text.strip():
            self.add_error("source_text", "Paste the protocol or choose a file.")
        elif len(text) > MAX_SOURCE_CHARS:
            # before anything parses it
            self.add_error(
                "source_text", f"The protocol is longer than {MAX_SOURCE_CHARS:,} characters."
            )
        return data

    def keep_text(self, text: str) -> None:
        """Show ``text`` in the text box when the form is shown again (nothing is lost)."""
        # request.POST (a QueryDict) is immutable; its copy() is not.
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        data["source_text"] = text
        self.data = data


ROLE_CHOICES = [
    ("teacher", "Teacher"),
    ("tutor", "Tutor"),
    ("head_of_year", "Head of year"),
    ("housemaster", "Housemaster or housemistress"),
    ("senior_deputy_head_pastoral", "Senior deputy head (pastoral)"),
    ("dsl", "Designated safeguarding lead"),
    ("slt", "Senior leadership team"),
    ("counsellor", "Counsellor"),
    ("sen_staff", "SEN staff"),
    ("support_staff", "Support staff"),
]
PURPOSE_CHOICES = [
    ("teaching", "Teaching a lesson"),
    ("academic_tuition", "Academic tuition"),
    ("music_tuition", "Music tuition"),
    ("counselling", "Counselling"),
    ("pastoral", "Pastoral check-in"),
    ("sen_support", "SEN support"),
    ("welfare_check", "Welfare check"),
]
KIND_CHOICES = [
    ("group", "A group: one member of staff and several pupils"),
    ("one_to_one", "One to one: a video call with one pupil"),
    ("phone_call", "A phone call with one pupil"),
]
PLATFORM_CHOICES = [
    ("teams", "Microsoft Teams"),
    ("zoom", "Zoom"),
    ("meet", "Google Meet"),
    ("phone", "Telephone"),
    ("other", "Something else"),
]
HOLDER_CHOICES = [("school", "The school's"), ("personal", "My own")]
LOCATION_CHOICES = [("on_site", "In school"), ("off_site", "Away from school")]
CONSENT_CHOICES = [
    ("none", "No consent yet"),
    ("implied", "Implied (the family knows and agreed informally)"),
    ("written", "Written, in advance, with the time and reason"),
]
PUPIL_LOCATION_CHOICES = [
    ("common_room", "A shared room such as the kitchen or living room"),
    ("bedroom_door_open", "Their bedroom, with the door open"),
    ("bedroom", "Their bedroom"),
]

#: (legend, field names) in the order the page shows them
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("When and for how long", ("date", "start_time", "duration_minutes")),
    ("What kind of contact, and why", ("kind", "purpose")),
    (
        "Platform, account and device",
        ("platform", "waiting_room", "account", "device", "staff_location", "emergency"),
    ),
    (
        "Who is there",
        (
            "your_role",
            "second_staff_role",
            "dsl_invited",
            "pupil_count",
            "pupil_age",
            "pupil_vulnerable",
            "pupil_has_ehcp",
            "parent_present",
            "chaperone_present",
            "pupil_home_alone",
            "recording",
        ),
    ),
    (
        "Approvals and consent",
        (
            "parental_consent",
            "parents_informed",
            "slt_approved",
            "risk_assessed",
            "on_dsl_timetable",
            "linked_to_plan",
        ),
    ),
    ("Where the pupil is", ("pupil_location",)),
)

#: request field (first part of the parser's dotted name) -> form field
REQUEST_TO_FORM = {
    "at": "date",
    "staff": "your_role",
    "pupils": "pupil_count",
    "pupils.0.age": "pupil_age",
    "pupils.0.vulnerable": "pupil_vulnerable",
    "pupils.0.has_ehcp": "pupil_has_ehcp",
    "second_staff_invited": "second_staff_role",
}


def _radio(choices: list[tuple[str, str]], label: str, **kw: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect(attrs={"class": "govuk-radios"}),
        **kw,
    )


def _tick(label: str, help_text: str = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, help_text=help_text)


class TryForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label="Length in minutes", help_text="Up to 480.")
    kind = _radio(KIND_CHOICES, "Kind of contact")
    purpose = forms.ChoiceField(label="Purpose", choices=PURPOSE_CHOICES)
    platform = forms.ChoiceField(label="Platform", choices=PLATFORM_CHOICES)
    waiting_room = _tick("The meeting has a waiting room (lobby) switched on")
    account = _radio(HOLDER_CHOICES, "Whose account hosts the call?")
    device = _radio(HOLDER_CHOICES, "Whose device will you use?")
    staff_location = _radio(LOCATION_CHOICES, "Where will you be?")
    emergency = _tick("The school is closed in an emergency")
    your_role = forms.ChoiceField(label="Your role", choices=ROLE_CHOICES)
    second_staff_role = forms.ChoiceField(
        label="Second member of staff invited",
        choices=[("", "Nobody else"), *ROLE_CHOICES],
        required=False,
    )
    dsl_invited = _tick("The DSL or a senior leader is invited and may join at any time")
    pupil_count = forms.IntegerField(label="Number of pupils", min_value=1, max_value=60)
    pupil_age = forms.IntegerField(label="Age of the youngest pupil")
    pupil_vulnerable = _tick("A pupil is on the school's vulnerable list")
    pupil_has_ehcp = _tick("A pupil has an EHC plan")
    parent_present = _tick("A parent or carer stays in the room throughout")
    chaperone_present = _tick(
        "Another responsible adult at home has shown themselves on camera and agreed"
    )
    pupil_home_alone = _tick("No adult is at the pupil's home")
    recording = _tick("The school will record the call")
    parental_consent = _radio(CONSENT_CHOICES, "Parental consent")
    parents_informed = _tick("Parents were told in writing about remote contact in advance")
    slt_approved = _tick("A senior leader has approved (or been told about) this contact")
    risk_assessed = _tick("A risk assessment covers this contact")
    on_dsl_timetable = _tick("The call is on the DSL/SLT timetable in advance")
    linked_to_plan = _tick("The call has an outcome tied to the pupil's pastoral or EHC plan")
    pupil_location = _radio(PUPIL_LOCATION_CHOICES, "Where will the pupil be?")

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in GROUPS]

    def to_request(self, time_zone: str) -> dict[str, Any]:
        """The contract's request from the cleaned data (call after ``is_valid()``)."""
        d = self.cleaned_data
        at = datetime.combine(d["date"], d["start_time"], tzinfo=ZoneInfo(time_zone))
        first = {
            "age": d["pupil_age"],
            "vulnerable": d["pupil_vulnerable"],
            "has_ehcp": d["pupil_has_ehcp"],
        }
        others = [{"age": d["pupil_age"]} for _ in range(d["pupil_count"] - 1)]
        second = d.get("second_staff_role") or None
        request: dict[str, Any] = {
            "at": at.isoformat(),
            "duration_minutes": d["duration_minutes"],
            "kind": d["kind"],
            "purpose": d["purpose"],
            "platform": d["platform"],
            "account": d["account"],
            "device": d["device"],
            "staff_location": d["staff_location"],
            "emergency": d["emergency"],
            "staff": [{"role": d["your_role"]}],
            "pupils": [first, *others],
            "second_staff_invited": second is not None,
            "second_staff_role": second,
        }
        for name in (
            "parent_present",
            "chaperone_present",
            "pupil_home_alone",
            "dsl_invited",
            "recording",
            "parental_consent",
            "slt_approved",
            "risk_assessed",
            "on_dsl_timetable",
            "linked_to_plan",
            "waiting_room",
            "pupil_location",
            "parents_informed",
        ):
            request[name] = d[name]
        return request

    def add_request_error(self, field: str, message: str) -> str:
        """Put a request parser error on the form field it concerns; returns that field's name."""
        target = REQUEST_TO_FORM.get(field)
        if target is None:
            head = field.split(".")[0]
            target = REQUEST_TO_FORM.get(head, head)
        if target not in self.fields:
            self.add_error(None, message)
            return ""
        text = message
        prefix = f"{field}: "
        if text.startswith(prefix):
            text = text[len(prefix) :]
        label = self.fields[target].label
        self.add_error(target, f"{label}: {text[:1].lower()}{text[1:]}")
        return target


def initial_try_data(today: str) -> dict[str, Any]:
    """What the try-it form shows first: a typical group lesson this afternoon."""
    return {
        "date": today,
        "start_time": "14:00",
        "duration_minutes": "30",
        "kind": "group",
        "purpose": "teaching",
        "platform": "teams",
        "waiting_room": "on",
        "account": "school",
        "device": "school",
        "staff_location": "on_site",
        "your_role": "teacher",
        "second_staff_role": "",
        "pupil_count": "6",
        "pupil_age": "10",
        "parental_consent": "none",
        "pupil_location": "common_room",
    }
