"""Pages for running a call and its log: open the call with its start-of-call checklist, the
live call with "End the call" and "End and report", the log after it; and the oversight pages
(each staff member's log, the school's register with its CSV, a line manager's view of their
staff). Thin: forms parse, :mod:`chaperone.scheduling.conduct` writes, :mod:`register` reads."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.core.http import ChaperoneRequest
from chaperone.protocols.effective import today_at
from chaperone.scheduling import conduct, register, selectors
from chaperone.scheduling.forms import StaffChoiceField
from chaperone.scheduling.models import Session, SessionKind, SessionState

YES_NO = [("yes", "Yes"), ("no", "No")]


def _session(request: ChaperoneRequest, pk: int) -> Session:
    return selectors.session_get_for_viewing(actor=request.actor, session_id=pk)


def _runs(request: ChaperoneRequest, session: Session) -> None:
    if not conduct.may_run(request.actor, session):
        raise PermissionDenied("Only the host or the second member of staff runs this call.")


def _link(request: ChaperoneRequest, session: Session) -> str:
    return request.build_absolute_uri(reverse("scheduling:detail", args=[session.pk]))


def _pupil_choices(session: Session) -> list[tuple[str, str]]:
    return [(str(p.pk), p.display_name) for p in session.pupils.all()]


def _problem(form: forms.Form, problem: conduct.ConductProblem) -> None:
    form.add_error(problem.field if problem.field in form.fields else None, problem.message)


# --- forms ------------------------------------------------------------------------------------


class StartForm(forms.Form):
    checks = forms.MultipleChoiceField(
        label="Before you begin", required=False, widget=forms.CheckboxSelectMultiple
    )
    joined = forms.MultipleChoiceField(
        label="Pupils who joined", required=False, widget=forms.CheckboxSelectMultiple
    )
    second_adult_present = forms.ChoiceField(
        label="Is the second adult in the call?",
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = conduct.start_items(session)
        checks = self.fields["checks"]
        assert isinstance(checks, forms.MultipleChoiceField)
        checks.choices = [(i.code, i.question) for i in self.items]
        joined = self.fields["joined"]
        assert isinstance(joined, forms.MultipleChoiceField)
        joined.choices = _pupil_choices(session)
        if not conduct.expects_second_adult(session):
            del self.fields["second_adult_present"]

    def second_adult(self) -> bool | None:
        answer = self.cleaned_data.get("second_adult_present")
        return None if not answer else answer == "yes"


class EndForm(forms.Form):
    note = forms.CharField(
        label="Anything to note about how the call ended (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(label="Why you are ending the call", required=False, max_length=2000)
    seen = forms.CharField(
        label="What you saw or heard",
        help_text="In your own words, as it happened. The DSL and deputies are emailed at once.",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    pupils = forms.MultipleChoiceField(
        label="Which pupils the concern is about",
        help_text="None ticked: every pupil in the call.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pupils = self.fields["pupils"]
        assert isinstance(pupils, forms.MultipleChoiceField)
        pupils.choices = _pupil_choices(session)


class LogForm(forms.Form):
    day = forms.DateField(
        label="Date of the call", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    actual_start = forms.TimeField(
        label="Started", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    actual_end = forms.TimeField(
        label="Ended", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    attended = forms.MultipleChoiceField(
        label="Pupils who attended", required=False, widget=forms.CheckboxSelectMultiple
    )
    outcome = forms.CharField(
        label="Outcome",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    recording_made = forms.ChoiceField(
        label="Was the call recorded?", choices=YES_NO, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = ZoneInfo(session.school.time_zone)
        attended = self.fields["attended"]
        assert isinstance(attended, forms.MultipleChoiceField)
        attended.choices = _pupil_choices(session)
        if session.plan_outcome:
            self.fields[
                "outcome"
            ].help_text = f"What came of the call for the pupil's plan: {session.plan_outcome}"
        else:
            self.fields["outcome"].help_text = "What came of the call (optional)."

    def log_data(self) -> conduct.LogData:
        data = self.cleaned_data
        day: date = data["day"]
        return conduct.LogData(
            actual_start=datetime.combine(day, data["actual_start"], tzinfo=self.tz),
            actual_end=datetime.combine(day, data["actual_end"], tzinfo=self.tz),
            attended=[int(p) for p in data["attended"]],
            recording_made=data["recording_made"] == "yes",
            outcome=data["outcome"],
            notes=data["notes"],
        )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Add to the log",
        help_text="A correction or something learned later. The log as written stays as it is.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=conduct.LONGEST_ADDENDUM,
        error_messages={
            "required": "What to add: write what you are adding to the log.",
            "max_length": (
                f"What to add: keep it to {conduct.LONGEST_ADDENDUM} characters or fewer."
            ),
        },
    )


def _log_initial(session: Session) -> dict[str, Any]:
    tz = ZoneInfo(session.school.time_zone)
    start = timezone.localtime(session.started_at or session.starts_at, tz)
    start = start.replace(second=0, microsecond=0)
    end = timezone.localtime(session.ended_at or session.ends_at, tz)
    if end.second or end.microsecond:  # to the next minute, so a short call still ends after
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    joined = [str(a.pupil_id) for a in session.attendance.all() if a.joined]
    return {
        "day": start.date(),
        "actual_start": start.time(),
        "actual_end": end.time(),
        "attended": joined,
        "recording_made": "yes" if session.recording else "no",
    }


# --- running the call -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_run(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Open the call (the start-of-call checklist and attendance), or, once it is under way,
    the call's page with the two ways to end it."""
    session = _session(request, pk)
    _runs(request, session)
    if session.state == SessionState.ENDED:
        return redirect("scheduling:log", pk=session.pk)
    if session.state == SessionState.LIVE:
        if request.method == "POST":
            messages.info(request, "This call is already under way.")
        return _live(request, session)
    form = StartForm(request.POST or None, session=session)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            conduct.session_start(
                actor=request.actor,
                session=session,
                confirmed=form.cleaned_data["checks"],
                joined=[int(p) for p in form.cleaned_data["joined"]],
                second_adult_present=form.second_adult(),
            )
        except conduct.ConductProblem as problem:
            _problem(form, problem)
            status = 400
        else:
            messages.success(request, "The call is under way.")
            return redirect("scheduling:run", pk=session.pk)
    elif request.method == "POST":
        status = 400
    from chaperone.scheduling.services import may_start

    return render(
        request,
        "scheduling/conduct_start.html",
        {
            "session": session,
            "school": session.school,
            "form": form,
            "items": form.items,
            "may_start": may_start(session),
        },
        status=status,
    )


def _live(
    request: ChaperoneRequest,
    session: Session,
    *,
    end_form: EndForm | None = None,
    report_form: ReportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "scheduling/conduct_live.html",
        {
            "session": session,
            "school": session.school,
            "end_form": end_form or EndForm(),
            "report_form": report_form or ReportForm(session=session),
        },
        status=status,
    )


@require_POST
def session_end(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    _runs(request, session)
    form = EndForm(request.POST)
    if not form.is_valid():
        return _live(request, session, end_form=form, status=400)
    try:
        conduct.session_end(
            actor=request.actor,
            session=session,
            reason=form.cleaned_data["note"],
            link=_link(request, session),
        )
    except conduct.ConductProblem as problem:
        messages.error(request, problem.message)
        return redirect("scheduling:detail", pk=session.pk)
    messages.success(request, "The call has ended for everyone. Now write its log.")
    return redirect("scheduling:log", pk=session.pk)


@require_POST
def session_end_report(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    _runs(request, session)
    form = ReportForm(request.POST, session=session)
    if form.is_valid():
        try:
            conduct.session_end_and_report(
                actor=request.actor,
                session=session,
                reason=form.cleaned_data["reason"],
                seen=form.cleaned_data["seen"],
                pupil_ids=[int(p) for p in form.cleaned_data["pupils"]],
                link=_link(request, session),
            )
        except conduct.ConductProblem as problem:
            if not problem.field:
                messages.error(request, problem.message)
                return redirect("scheduling:detail", pk=session.pk)
            _problem(form, problem)
        else:
            messages.success(
                request,
                "The call has ended for everyone and the DSL and deputies are being emailed "
                "your concern. Now write the call's log.",
            )
            return redirect("scheduling:log", pk=session.pk)
    return _live(request, session, report_form=form, status=400)


# --- the log ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_log(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """The call's log: the form for the host once the call has ended, else the log as written
    (for everyone who may see the session)."""
    session = _session(request, pk)
    context = _log_context(request, session)
    entry, runs = context["entry"], context["runs"]
    removed = context["removal"] is not None
    if entry is not None or removed or session.state != SessionState.ENDED or not runs:
        if request.method == "POST":
            raise PermissionDenied("This call's log cannot be written now.")
        return _log_detail(request, context)
    form = LogForm(request.POST or None, session=session, initial=_log_initial(session))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                conduct.session_log_write(
                    actor=request.actor, session=session, data=form.log_data()
                )
            except conduct.ConductProblem as problem:
                _problem(form, problem)
            else:
                messages.success(request, "The call's log is saved.")
                return redirect("scheduling:detail", pk=session.pk)
    context["form"] = form
    return render(request, "scheduling/log_form.html", context, status=status)


def _log_context(request: ChaperoneRequest, session: Session) -> dict[str, Any]:
    """What the log's pages show: the session, its log as written, attendance, and whether the
    reader ran the call."""
    written = conduct.SessionLog.objects.filter(session=session).select_related("written_by")
    return {
        "session": session,
        "school": session.school,
        "entry": written.first(),
        "removal": conduct.SessionLogRemoval.objects.filter(session=session).first(),
        "attendance": list(session.attendance.select_related("pupil")),
        "runs": conduct.may_run(request.actor, session),
    }


def _log_detail(
    request: ChaperoneRequest,
    context: dict[str, Any],
    form: AddendumForm | None = None,
    status: int = 200,
) -> HttpResponse:
    entry = context["entry"]
    context["addenda"] = (
        list(entry.addenda.select_related("written_by")) if entry is not None else []
    )
    if entry is not None and context["runs"]:
        context["addendum_form"] = form or AddendumForm()
    return render(request, "scheduling/log_detail.html", context, status=status)


@require_POST
def session_log_amend(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Add to a written log (those who ran the call); what was written stays."""
    session = _session(request, pk)
    _runs(request, session)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            conduct.session_log_amend(
                actor=request.actor, session=session, text=form.cleaned_data["text"]
            )
        except conduct.ConductProblem as problem:
            _problem(form, problem)
        else:
            messages.success(request, "Added to the call's log.")
            return redirect("scheduling:log", pk=session.pk)
    return _log_detail(request, _log_context(request, session), form=form, status=400)


# --- oversight --------------------------------------------------------------------------------


@require_GET
def my_log(request: ChaperoneRequest) -> HttpResponse:
    """Your own past sessions, and whether each is logged."""
    from chaperone.tenancy.schools import school_for

    school = school_for(request, "session.plan")
    rows = register.my_log(actor=request.actor, school=school)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "scheduling/log_mine.html",
        {"school": school, "page": page, "unlogged": register.unlogged_count(rows)},
    )


class RegisterFilterForm(forms.Form):
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    staff = StaffChoiceField(
        label="Member of staff",
        queryset=Session.objects.none(),
        required=False,
        empty_label="Everyone",
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "Every kind"), *SessionKind.choices], required=False
    )
    logged = forms.ChoiceField(
        label="Logged",
        choices=[("", "Logged or not"), ("yes", "Logged"), ("no", "Not logged")],
        required=False,
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, StaffChoiceField)
        field.queryset = staff

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "To: choose a date on or after the 'From' date.")
        return data


def _register_filters(
    request: ChaperoneRequest, school: Any
) -> tuple[RegisterFilterForm, register.RegisterFilter]:
    staff = selectors.staff_to_choose(actor=request.actor, school=school)
    form = RegisterFilterForm(request.GET or None, staff=staff)
    today = today_at(school)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start = cleaned.get("start") or today - timedelta(days=28)
    end = cleaned.get("end") or today + timedelta(days=7)
    picked = cleaned.get("staff")
    filters = register.RegisterFilter(
        start=start,
        end=end,
        staff_id=picked.pk if picked else None,
        kind=cleaned.get("kind") or "",
        logged=cleaned.get("logged") or "",
    )
    return form, filters


@require_GET
def session_register(request: ChaperoneRequest) -> HttpResponse:
    """The school's register of sessions, for leaders and the safeguarding team."""
    from chaperone.tenancy.schools import school_for

    school = school_for(request, "session.view")
    form, filters = _register_filters(request, school)
    rows = register.register(actor=request.actor, school=school, filters=filters)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scheduling/register.html",
        {
            "school": school,
            "form": form,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
        },
    )


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def session_register_csv(request: ChaperoneRequest) -> HttpResponse:
    from chaperone.tenancy.schools import school_for

    school = school_for(request, "session.view")
    form, filters = _register_filters(request, school)
    if form.errors:
        return session_register(request)
    rows = register.register(actor=request.actor, school=school, filters=filters, export=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"sessions-{filters.start.isoformat()}-to-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(register.CSV_HEADER)
    for line in register.csv_rows(rows, ZoneInfo(school.time_zone)):
        writer.writerow([_cell(v) for v in line])
    return response


@require_GET
def team_sessions(request: ChaperoneRequest) -> HttpResponse:
    """A line manager's view of the planned and past sessions of the staff they manage."""
    from chaperone.tenancy.schools import school_for

    school = school_for(request, "session.plan")
    team = register.team_of(actor=request.actor, school=school)
    today = today_at(school)
    tz = ZoneInfo(school.time_zone)
    start = datetime.combine(today - timedelta(days=28), time.min, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=29), time.min, tzinfo=tz)
    sessions = register.team_sessions(
        actor=request.actor, school=school, team=team, start=start, end=end
    )
    now = timezone.now()
    return render(
        request,
        "scheduling/register_team.html",
        {
            "school": school,
            "team": team,
            "coming": [s for s in sessions if s.starts_at >= now],
            "past": [s for s in sessions if s.starts_at < now][::-1],
            "start": start,
            "end": end,
        },
    )
