"""Forms of the scheduling app: a plan, an approval with its risk assessment, and small steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from chaperone.people.models import Pupil, StaffMember
from chaperone.protocols.forms import PupilChoiceField
from chaperone.scheduling.models import (
    Holder,
    Platform,
    PupilLocation,
    Purpose,
    Session,
    SessionKind,
    StaffLocation,
)
from chaperone.scheduling.services import PlanData, PlanProblem


def _radio(choices: Any, label: str, **kw: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect(attrs={"class": "govuk-radios"}),
        **kw,
    )


def _tick(label: str, help_text: str = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, help_text=help_text)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: StaffMember) -> str:
        return obj.full_name

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and (not str(value).isdigit() or len(str(value)) > 18):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


#: (legend, field names) in the order the page shows them
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What and when", ("title", "kind", "purpose", "date", "start_time", "duration_minutes")),
    (
        "Who is there",
        ("pupils", "second_staff", "dsl_invited", "parent_present", "chaperone_present"),
    ),
    (
        "How",
        (
            "platform",
            "join_url",
            "waiting_room",
            "account",
            "device",
            "staff_location",
            "emergency",
            "recording",
        ),
    ),
    ("Where the pupil will be", ("pupil_location",)),
    ("Why", ("plan_outcome",)),
    # invitations and calendars: a weekly series (series.py); only when planning
    ("Repeat", ("repeat_weekly", "repeat_until", "repeat_count")),
)
REPEAT_FIELDS = ("repeat_weekly", "repeat_until", "repeat_count")


class PlanForm(forms.Form):
    title = forms.CharField(
        label="Name of the session",
        max_length=120,
        help_text="A few words colleagues will recognise, such as 'Year 9 maths catch-up'.",
        error_messages={"required": "Enter a name for the session."},
    )
    kind = _radio(SessionKind.choices, "Kind of session")
    purpose = forms.ChoiceField(label="Purpose", choices=Purpose.choices)
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date.", "invalid": "Enter a real date."},
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter the start time.", "invalid": "Enter a time like 14:30."},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        min_value=1,
        max_value=480,
        error_messages={
            "required": "Enter the length in minutes.",
            "min_value": "Enter a length of at least 1 minute.",
            "max_value": "Enter a length of at most 480 minutes (8 hours).",
        },
    )
    pupils = PupilChoiceField(
        label="Pupils",
        queryset=Pupil.objects.none(),
        error_messages={"required": "Choose at least one pupil."},
        widget=forms.SelectMultiple(attrs={"size": "8"}),
    )
    second_staff = StaffChoiceField(
        label="Second member of staff invited",
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label="Nobody else",
    )
    dsl_invited = _tick("The DSL or a senior leader is invited and may join at any time")
    parent_present = _tick("A parent or carer will stay in the room throughout")
    chaperone_present = _tick("Another responsible adult at home will show themselves and agree")
    platform = forms.ChoiceField(label="Platform", choices=Platform.choices)
    join_url = forms.URLField(
        label="Meeting link (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The family receives it only once the session may go ahead.",
        error_messages={"invalid": "Enter a full web address, starting https://."},
    )
    waiting_room = _tick("The meeting has a waiting room (lobby) switched on")
    account = _radio(Holder.choices, "Whose account hosts the call?")
    device = _radio(Holder.choices, "Whose device will you use?")
    staff_location = _radio(StaffLocation.choices, "Where will you be?")
    emergency = _tick("The school is closed in an emergency")
    recording = _tick("The school will record the call")
    pupil_location = _radio(PupilLocation.choices, "Where will the pupil be?")
    plan_outcome = forms.CharField(
        label="Outcome tied to the pupil's pastoral or EHC plan (if any)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # --- a weekly series (invitations and calendars) ---
    # (no help text: the tick partial shows none, and a hint it does not show is a dangling
    # aria-describedby)
    repeat_weekly = _tick(
        "Repeat every week at the same time (each week is a session of its own, moved or "
        "cancelled alone)"
    )
    repeat_until = forms.DateField(
        label="Repeat until (the day of the last week), or give a number of weeks",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Repeat until: enter a real date."},
    )
    repeat_count = forms.IntegerField(
        label="Number of weeks",
        required=False,
        min_value=2,
        max_value=40,
        error_messages={
            "invalid": "Number of weeks: enter a whole number.",
            "min_value": "Number of weeks: enter at least 2.",
            "max_value": "Number of weeks: enter at most 40.",
        },
    )

    def __init__(
        self,
        *args: Any,
        pupils: Any,
        staff: Any,
        host: StaffMember,
        repeat: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.repeat = repeat
        if not repeat:
            for name in REPEAT_FIELDS:
                del self.fields[name]
        pupil_field = self.fields["pupils"]
        assert isinstance(pupil_field, PupilChoiceField)
        pupil_field.queryset = pupils
        staff_field = self.fields["second_staff"]
        assert isinstance(staff_field, StaffChoiceField)
        staff_field.queryset = staff.exclude(pk=host.pk)
        self.host = host

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names])
            for legend, names in GROUPS
            if all(name in self.fields for name in names)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.repeat and data.get("repeat_weekly"):
            until, count = data.get("repeat_until"), data.get("repeat_count")
            if until is None and count is None and not self.has_error("repeat_until"):
                self.add_error("repeat_until", "Repeat: give a last date or a number of weeks.")
            elif until is not None and count is not None:
                self.add_error("repeat_count", "Repeat: give a last date or a number, not both.")
        return data

    def repeats(self) -> tuple[Any, int | None] | None:
        """(last date, number of weeks) of a weekly series asked for, or None."""
        if not self.repeat or not self.cleaned_data.get("repeat_weekly"):
            return None
        return self.cleaned_data.get("repeat_until"), self.cleaned_data.get("repeat_count")

    def plan_data(self, time_zone: str) -> PlanData:
        """The plan from the cleaned data (call after ``is_valid()``)."""
        d = self.cleaned_data
        starts_at = datetime.combine(d["date"], d["start_time"], tzinfo=ZoneInfo(time_zone))
        return PlanData(
            title=d["title"].strip(),
            kind=d["kind"],
            purpose=d["purpose"],
            starts_at=starts_at,
            duration_minutes=d["duration_minutes"],
            platform=d["platform"],
            host=self.host,
            pupils=list(d["pupils"]),
            join_url=d.get("join_url") or "",
            account=d["account"],
            device=d["device"],
            staff_location=d["staff_location"],
            emergency=d["emergency"],
            second_staff=d.get("second_staff"),
            dsl_invited=d["dsl_invited"],
            recording=d["recording"],
            waiting_room=d["waiting_room"],
            pupil_location=d["pupil_location"],
            parent_present=d["parent_present"],
            chaperone_present=d["chaperone_present"],
            plan_outcome=d.get("plan_outcome") or "",
        )

    def add_problem(self, problem: PlanProblem) -> None:
        target = problem.field if problem.field in self.fields else None
        self.add_error(target, problem.message)


def initial_plan(today: str) -> dict[str, Any]:
    return {
        "date": today,
        "start_time": "14:00",
        "duration_minutes": 30,
        "kind": SessionKind.ONE_TO_ONE,
        "purpose": Purpose.PASTORAL,
        "platform": Platform.TEAMS,
        "waiting_room": True,
        "account": Holder.SCHOOL,
        "device": Holder.SCHOOL,
        "staff_location": StaffLocation.ON_SITE,
        "pupil_location": PupilLocation.COMMON_ROOM,
    }


def data_of(session: Session, time_zone: str) -> dict[str, Any]:
    """A session's plan as form data (for changing it)."""
    from django.utils import timezone

    when = timezone.localtime(session.starts_at, ZoneInfo(time_zone))
    data: dict[str, Any] = {name: getattr(session, name) for name in PlanData.FIELDS}
    data.pop("starts_at")
    data.pop("host")
    data["second_staff"] = session.second_staff_id
    data["date"] = when.date().isoformat()
    data["start_time"] = when.strftime("%H:%M")
    data["pupils"] = [p.pk for p in session.pupils.all()]
    return data


RISK_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("why_remote", "Why must this contact happen remotely, and why in this form?"),
    ("known_risks", "What is known about the pupil and home that bears on the call?"),
    ("controls", "What will keep the pupil and the member of staff safe during the call?"),
    ("if_concern", "What will the host do if a concern arises during the call?"),
)


class ApprovalForm(forms.Form):
    decision = _radio(
        [("approve", "Approve the session"), ("refuse", "Do not approve it")],
        "Your decision",
        error_messages={"required": "Choose whether you approve the session."},
    )
    note = forms.CharField(
        label="Reason or note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you do not approve: the host reads it.",
    )

    def __init__(self, *args: Any, with_risk: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.with_risk = with_risk
        if with_risk:
            for name, label in RISK_QUESTIONS:
                self.fields[f"risk_{name}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", "Reason: say why the session is not approved.")
        if self.with_risk and data.get("decision") == "approve":
            for name, label in RISK_QUESTIONS:
                if not (data.get(f"risk_{name}") or "").strip():
                    self.add_error(f"risk_{name}", f"Answer: {label}")
        return data

    def risk_answers(self) -> dict[str, str] | None:
        if not self.with_risk:
            return None
        return {name: self.cleaned_data[f"risk_{name}"].strip() for name, _ in RISK_QUESTIONS}


class RiskForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in RISK_QUESTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": f"Answer: {label}"},
            )

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data[name].strip() for name, _ in RISK_QUESTIONS}


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ParentsInformedForm(forms.Form):
    on = forms.DateField(
        label="Date the parents were told in writing",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date.", "invalid": "Enter a real date."},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the session cancelled?",
        max_length=500,
        error_messages={"required": "Reason: say why the session is cancelled."},
    )


class TimetableFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[("week", "Week"), ("day", "Day")], required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    staff = StaffChoiceField(
        label="Member of staff",
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label="Everyone",
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "Every kind"), *SessionKind.choices], required=False
    )
    outcome = forms.ChoiceField(
        label="State",
        choices=[
            ("", "Every state"),
            ("allowed", "May go ahead"),
            ("pending", "Steps to complete"),
            ("refused", "Cannot go ahead"),
        ],
        required=False,
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, StaffChoiceField)
        field.queryset = staff
