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

from chaperone.people.models import Pupil
from chaperone.protocols.requests import MAX_PUPILS, PupilFacts, contact_request_for
from chaperone.protocols.uploads import MAX_SOURCE_CHARS
from chaperone.tenancy.roles import Role

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


#: Every role the app knows; :data:`~chaperone.protocols.requests.ENGINE_ROLE` says what each is
#: to the engine.
ROLE_CHOICES = [(role.value, role.label) for role in Role]
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
            "pupils",
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


class PupilChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        # An id beyond the database's integer range is no pupil of this school: say so, not 500.
        for pk in value or ():
            if not str(pk).isascii() or not str(pk).isdigit() or len(str(pk)) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]

    def label_from_instance(self, obj: Pupil) -> str:
        return f"{obj.display_name} ({obj.year_label})"


#: Messages for requests the engine finds contradictory, in a teacher's words.
INCONSISTENT = {
    "pupil_home_alone": "No adult at home cannot go with a parent or carer in the room; "
    "untick one of them.",
}


class TryForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        help_text="Up to 480.",
        min_value=1,
        max_value=480,
        error_messages={
            "min_value": "Enter a length of at least 1 minute.",
            "max_value": "Enter a length of at most 480 minutes (8 hours).",
        },
    )
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
    pupils = PupilChoiceField(
        label="Pupils (optional)",
        queryset=Pupil.objects.none(),
        required=False,
        help_text="Choose the pupils from the school's records, and their age and needs are "
        "read from there; or leave empty and describe them below.",
    )
    pupil_count = forms.IntegerField(
        label="Number of pupils",
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": "Enter at least 1 pupil.",
            "max_value": "Enter at most 60 pupils.",
        },
    )
    pupil_age = forms.IntegerField(
        label="Age of the youngest pupil",
        min_value=2,
        max_value=25,
        error_messages={
            "min_value": "Enter an age of 2 or more.",
            "max_value": "Enter an age of 25 or less.",
        },
    )
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

    def __init__(self, *args: Any, pupils: Any = None, **kwargs: Any) -> None:
        """``pupils``: the pupils the person may choose from (the school's, scoped); None: no
        picker at all (the person may not see the flags a chosen record would bring)."""
        super().__init__(*args, **kwargs)
        if pupils is None:
            del self.fields["pupils"]
        else:
            field = self.fields["pupils"]
            assert isinstance(field, PupilChoiceField)
            field.queryset = pupils
        #: fields whose shown value the form changed to fit the kind of contact
        self.adjusted: list[str] = []

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in GROUPS
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        limit = MAX_PUPILS.get(data.get("kind", ""))
        if limit is None:
            return data
        chosen = list(data.get("pupils") or [])
        if len(chosen) > limit:
            self.add_error("pupils", "A one-to-one or phone call is with one pupil: choose one.")
        count = data.get("pupil_count")
        if count is not None and count > limit:
            # A one-to-one keeps one pupil: show it, rather than failing.
            data["pupil_count"] = limit
            self._show("pupil_count", str(limit))
        return data

    def adjusted_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.adjusted]

    def _show(self, name: str, value: str) -> None:
        shown = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        shown[name] = value
        self.data = shown
        self.adjusted.append(name)

    def to_request(self, time_zone: str) -> dict[str, Any]:
        """The contract's request from the cleaned data (call after ``is_valid()``)."""
        d = self.cleaned_data
        at = datetime.combine(d["date"], d["start_time"], tzinfo=ZoneInfo(time_zone))
        pupils: list[Pupil | PupilFacts] = list(d.get("pupils") or [])
        if not pupils:
            first = PupilFacts(d["pupil_age"], d["pupil_vulnerable"], d["pupil_has_ehcp"])
            pupils = [first, *[PupilFacts(d["pupil_age"])] * (d["pupil_count"] - 1)]
        details = {
            name: d[name]
            for name in (
                "duration_minutes",
                "account",
                "device",
                "staff_location",
                "emergency",
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
            )
        }
        return contact_request_for(
            staff=[d["your_role"]],
            pupils=pupils,
            at=at,
            kind=d["kind"],
            purpose=d["purpose"],
            platform=d["platform"],
            second_staff_role=d.get("second_staff_role") or None,
            **details,
        )

    def add_request_error(self, field: str, message: str, code: str = "") -> str:
        """Put a request parser error on the form field it concerns; returns that field's name."""
        target = REQUEST_TO_FORM.get(field)
        if target is None:
            head = field.split(".")[0]
            target = REQUEST_TO_FORM.get(head, head)
        if self.cleaned_data.get("pupils") and target.startswith("pupil_"):
            target = "pupils"  # the facts came from the records chosen
        if target not in self.fields:
            self.add_error(None, message)
            return ""
        text = INCONSISTENT.get(target) if code == "inconsistent_request" else None
        if text is None:
            text = message.removeprefix(f"{field}: ")
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
        "your_role": Role.TEACHER.value,
        "second_staff_role": "",
        "pupil_count": "6",
        "pupil_age": "10",
        "parental_consent": "none",
        "pupil_location": "common_room",
    }
