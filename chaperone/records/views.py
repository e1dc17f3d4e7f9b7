"""Pages of the records app: the register, adding a recording, an entry with its holds and
access log, opening a recording (reason, second factor, then a short-lived signed address that
answers ranged requests), the retention schedule, legal holds."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.concerns.selectors import concerns_visible, keeps_low_level_log
from chaperone.core.http import ChaperoneRequest
from chaperone.records import retention, selectors, services
from chaperone.records.models import Source
from chaperone.records.storage import open_range, recordings_storage
from chaperone.records.uploads import FIELD, RecordingUploadHandler
from chaperone.scheduling.models import Session
from chaperone.tenancy.querysets import get_for_actor_or_404
from chaperone.tenancy.schools import active_school, school_for


def _second_factor_missing(request: ChaperoneRequest, back: str) -> HttpResponse | None:
    """Opening a recording needs the second factor given in this session, whatever the
    person's roles (checked after the scope, so another school's recording stays a 404)."""
    if request.user.is_verified():
        return None
    return redirect(f"{reverse('two_factor_verify')}?next={back}")


# --- the register ------------------------------------------------------------------------------


@require_GET
def register(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "recording.list")
    rows = selectors.recording_register(request.actor, school)
    return render(request, "records/register.html", {"school": school, "rows": rows})


@require_GET
def mine(request: ChaperoneRequest) -> HttpResponse:
    """The recorded calls a member of staff ran, to add their recordings to the register."""
    school = school_for(request, "session.plan")
    sessions = selectors.recorded_sessions_to_add(request.actor, school)
    return render(request, "records/mine.html", {"school": school, "sessions": sessions})


class RecordingForm(forms.Form):
    source = forms.ChoiceField(
        label="Where the recording is kept",
        choices=Source.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Where it is kept: choose one of the options.",
            "invalid_choice": "Where it is kept: choose one of the options.",
        },
    )
    recorded_by = forms.TypedChoiceField(
        label="Who recorded the call",
        coerce=int,
        error_messages={
            "required": "Recorded by: choose the host or the second adult.",
            "invalid_choice": "Recorded by: choose the host or the second adult.",
        },
    )
    link = forms.CharField(
        label="Link to the recording (not for an upload)",
        required=False,
        max_length=1000,
        help_text="The address in Teams, Zoom, Google Meet or the school's drive.",
        error_messages={"max_length": "Link: keep it under 1000 characters."},
    )
    file = forms.FileField(
        label="The recording's file (for an upload)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "video/*,audio/*"}),
        error_messages={
            "invalid": "File: choose the recording to upload.",
            "empty": "File: the file is empty.",
        },
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(session.host_id, str(session.host))]
        if session.second_staff_id is not None:
            people.append((session.second_staff_id, str(session.second_staff)))
        self.fields["recorded_by"].choices = people  # type: ignore[attr-defined]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def recording_add(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Add a recording of a session. The upload handler is put in place before anything reads
    the body, so the file streams to disk (then CSRF is checked by the inner view)."""
    handler = RecordingUploadHandler(request)
    request.upload_handlers = [handler]
    return _recording_add(request, pk, handler)


@csrf_protect
def _recording_add(
    request: ChaperoneRequest, pk: int, handler: RecordingUploadHandler
) -> HttpResponse:
    session = get_for_actor_or_404(
        Session.objects.select_related("host", "second_staff"),
        request.actor,
        "recording.add",
        pk=pk,
    )
    form = RecordingForm(request.POST or None, request.FILES or None, session=session)
    if request.method == "POST":
        upload = request.FILES.get(FIELD)
        if handler.upload is not None and handler.upload.too_large:
            form.add_error(None, "File: the recording is larger than 10 GB.")
        elif form.is_valid():
            try:
                services.recording_add(
                    actor=request.actor,
                    data=services.RecordingData(
                        session=session,
                        source=form.cleaned_data["source"],
                        recorded_by_id=form.cleaned_data["recorded_by"],
                        link=form.cleaned_data["link"],
                        upload=upload,  # type: ignore[arg-type]
                    ),
                )
            except services.RecordsProblem as problem:
                form.add_error(problem.field or None, problem.message)
            else:
                messages.success(request, "The recording is in the register.")
                return redirect("records:mine")
        if handler.upload is not None:
            handler.upload.discard()
    return render(request, "records/add.html", {"session": session, "form": form})


# --- an entry, and opening it ------------------------------------------------------------------


class OpenForm(forms.Form):
    reason = forms.CharField(
        label="Why you need to see the recording",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="For example: 'The DSL asked me to review the call after the concern raised "
        "on 3 March.' The reason is kept in the access log.",
        error_messages={
            "required": "Reason: say in a sentence why you need to see the recording.",
            "max_length": "Reason: keep it under 1000 characters.",
        },
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        label="Why it must be kept",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Reason: say why the record must be kept."},
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label="Why it need no longer be kept",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Reason: say why the record need no longer be kept."},
    )


class LinkForm(forms.Form):
    concern = forms.IntegerField(
        label="Concern number",
        min_value=1,
        max_value=2**62,
        error_messages={
            "required": "Concern: enter the number of a concern of this school.",
            "invalid": "Concern: enter the number of a concern of this school.",
            "min_value": "Concern: enter the number of a concern of this school.",
            "max_value": "Concern: enter the number of a concern of this school.",
        },
    )


def _detail_context(request: ChaperoneRequest, recording: Any, **forms_: Any) -> dict[str, Any]:
    actor = request.actor
    context = {
        "recording": recording,
        "holds": selectors.holds_of(recording, actor),
        "may_open": actor.can("recording.view", recording.school_id),
        "may_hold": actor.can("records.hold", recording.school_id),
        # the head and the chair link records to the allegations they alone handle
        "may_link": actor.can("records.hold", recording.school_id)
        or keeps_low_level_log(actor, recording.school_id),
        "accesses": selectors.access_log(actor, recording.school, recording)
        if actor.can("recording.access_log", recording.school_id)
        else None,
        "open_form": forms_.get("open_form") or OpenForm(),
        "hold_form": forms_.get("hold_form") or HoldForm(),
        "link_form": forms_.get("link_form") or LinkForm(),
        "release_form": ReleaseForm(),
    }
    return context


@require_GET
def recording_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    recording = selectors.recording_get_for_viewing(actor=request.actor, recording_id=pk)
    return render(request, "records/detail.html", _detail_context(request, recording))


@require_POST
def recording_open(request: ChaperoneRequest, pk: int) -> HttpResponse:
    recording = selectors.recording_get_for_opening(actor=request.actor, recording_id=pk)
    back = reverse("records:detail", kwargs={"pk": recording.pk})
    if (verify := _second_factor_missing(request, back)) is not None:
        return verify
    form = OpenForm(request.POST)
    if form.is_valid():
        try:
            grant = services.recording_open(
                actor=request.actor,
                recording=recording,
                reason=form.cleaned_data["reason"],
                verified=request.user.is_verified(),
            )
        except services.RecordsProblem as problem:
            form.add_error(problem.field or None, problem.message)
        else:
            if recording.is_upload:
                return redirect("records:stream", token=grant.token)
            return redirect(recording.link)
    context = _detail_context(request, recording, open_form=form)
    return render(request, "records/detail.html", context, status=400)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@login_not_required  # the token names the person; anyone else (signed in or not) gets a 404
@never_cache
@require_GET
def recording_stream(request: ChaperoneRequest, token: str) -> HttpResponseBase:
    """The file behind a signed address: for the person it was given to, for a few minutes,
    answering ``Range`` requests with 206 so a long video can be scrubbed."""
    access = services.access_from_token(token, user_id=request.user.pk)
    if access is None or not access.recording.storage_name:
        raise Http404("No such recording.")
    recording = access.recording
    storage: Any = recordings_storage()
    if not _on_local_disk(storage):
        # an S3-compatible bucket answers ranged requests itself: send the person to a
        # presigned address that works for as long as the token did
        return redirect(
            storage.url(
                recording.storage_name,
                parameters={"ResponseContentDisposition": "inline"},
                expire=services.ACCESS_SECONDS,
            )
        )
    size = storage.size(recording.storage_name)
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range", "")
    if header:
        match = _RANGE.match(header.strip())
        if match is None or (not match.group(1) and not match.group(2)):
            return _unsatisfiable(size)
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
        else:  # the last N bytes
            start = max(size - int(match.group(2)), 0)
        end = min(end, size - 1)
        if start > end or start >= size:
            return _unsatisfiable(size)
        status = 206
    length = end - start + 1
    response = StreamingHttpResponse(
        open_range(recording.storage_name, start, length),
        status=status,
        content_type=recording.content_type or "application/octet-stream",
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


def _on_local_disk(storage: Any) -> bool:
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


@require_GET
def access_log(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "recording.access_log")
    rows = selectors.access_log_for_viewing(request.actor, school)
    return render(request, "records/access_log.html", {"school": school, "rows": rows})


# --- holds -------------------------------------------------------------------------------------


@require_POST
def recording_hold(request: ChaperoneRequest, pk: int) -> HttpResponse:
    recording = get_for_actor_or_404(
        selectors.Recording.objects.select_related("session"),
        request.actor,
        "records.hold",
        pk=pk,
    )
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            services.hold_place(
                actor=request.actor,
                school=recording.school,
                record_type=retention.RECORDING,
                object_id=recording.pk,
                reason=form.cleaned_data["reason"],
            )
        except services.RecordsProblem as problem:
            form.add_error(problem.field or None, problem.message)
        else:
            messages.success(request, "The recording is held: it will not be deleted.")
            return redirect("records:detail", pk=recording.pk)
    context = _detail_context(request, recording, hold_form=form)
    return render(request, "records/detail.html", context, status=400)


@require_POST
def recording_link(request: ChaperoneRequest, pk: int) -> HttpResponse:
    recording = get_for_actor_or_404(
        selectors.Recording.objects.select_related("session"),
        request.actor,
        "recording.list",
        pk=pk,
    )
    if not (
        request.actor.can("records.hold", recording.school_id)
        or keeps_low_level_log(request.actor, recording.school_id)
    ):
        raise PermissionDenied("Only those who handle concerns link recordings to them.")
    form = LinkForm(request.POST)
    if form.is_valid():
        # only a concern the person may read: an allegation is unknown to the team
        concern = (
            concerns_visible(actor=request.actor)
            .filter(pk=form.cleaned_data["concern"], school_id=recording.school_id)
            .first()
        )
        if concern is None:
            form.add_error("concern", "Concern: enter the number of a concern of this school.")
        else:
            services.records_link_to_concern(
                actor=request.actor,
                school=recording.school,
                record_type=retention.RECORDING,
                object_id=recording.pk,
                concern=concern,
            )
            messages.success(request, "Linked to the concern: the recording is held.")
            return redirect("records:detail", pk=recording.pk)
    context = _detail_context(request, recording, link_form=form)
    return render(request, "records/detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
def log_hold(request: ChaperoneRequest, pk: int) -> HttpResponse:
    entry = selectors.log_for_hold_or_404(actor=request.actor, log_id=pk)
    school = entry.session.school
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_place(
                actor=request.actor,
                school=school,
                record_type=retention.SESSION_LOG,
                object_id=entry.pk,
                reason=form.cleaned_data["reason"],
            )
        except services.RecordsProblem as problem:
            form.add_error(problem.field or None, problem.message)
        else:
            messages.success(request, "The session log is held: it will not be deleted.")
            return redirect("records:holds")
    return render(request, "records/log_hold.html", {"entry": entry, "form": form})


@require_GET
def holds(request: ChaperoneRequest) -> HttpResponse:
    """The school's holds: all but those for allegations to the safeguarding team; those for
    the allegations they handle to the head and the chair."""
    school = active_school(request)
    if school is None or not (
        request.actor.can("records.hold", school.pk)
        or keeps_low_level_log(request.actor, school.pk)
    ):
        raise PermissionDenied("You do not have access to this in the school you are working in.")
    rows = selectors.active_holds(request.actor, school)
    return render(
        request,
        "records/holds.html",
        {"school": school, "rows": rows, "release_form": ReleaseForm()},
    )


@require_POST
def hold_release(request: ChaperoneRequest, pk: int) -> HttpResponse:
    hold = selectors.hold_for_actor_or_404(actor=request.actor, hold_id=pk)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.hold_release(
                actor=request.actor, hold=hold, reason=form.cleaned_data["reason"]
            )
        except services.RecordsProblem as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, "The hold is released.")
    else:
        messages.error(request, "Reason: say why the record need no longer be kept.")
    return redirect("records:holds")


# --- the schedule ------------------------------------------------------------------------------


class SettingForm(forms.Form):
    record_type = forms.ChoiceField(
        label="Kind of record",
        error_messages={
            "required": "Kind of record: choose one from the schedule.",
            "invalid_choice": "Kind of record: choose one from the schedule.",
        },
    )
    days = forms.IntegerField(
        label="Keep for this many days",
        min_value=1,
        max_value=36500,
        error_messages={
            "required": "Days: enter a number of days from 1 to 36500.",
            "invalid": "Days: enter a whole number of days from 1 to 36500.",
            "min_value": "Days: enter a number of days from 1 to 36500.",
            "max_value": "Days: enter a number of days from 1 to 36500.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [  # type: ignore[attr-defined]
            (p.key, p.label) for p in _periods_labels()
        ]


def _periods_labels() -> list[Any]:
    return [
        type("K", (), {"key": retention.RECORDING, "label": "Session recordings"})(),
        *retention.kinds(),
    ]


@require_http_methods(["GET", "POST"])
def schedule(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "records.schedule")
    may_change = request.actor.can("records.hold", school.pk)
    form = SettingForm(request.POST or None)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.retention_set(
                    actor=request.actor,
                    school=school,
                    record_type=form.cleaned_data["record_type"],
                    days=form.cleaned_data["days"],
                )
            except services.RecordsProblem as problem:
                form.add_error(problem.field or None, problem.message)
            else:
                messages.success(request, "The school's schedule is changed.")
                return redirect("records:schedule")
    context = {
        "school": school,
        "kinds": selectors.schedule_with_due(school),
        "reviewed": retention.reviewed_kinds(),
        "failed": selectors.failed_file_deletions(school),
        "look_ahead": selectors.LOOK_AHEAD_DAYS,
        "form": form,
        "may_change": may_change,
    }
    return render(request, "records/schedule.html", context, status=400 if form.errors else 200)


# --- subject access ----------------------------------------------------------------------------


class SarForm(forms.Form):
    upn = forms.CharField(
        label="The pupil's UPN",
        max_length=13,
        error_messages={"required": "UPN: enter the pupil's unique pupil number."},
    )
    requester = forms.CharField(
        label="Who asked",
        max_length=200,
        help_text="For example: the pupil's mother, by email.",
        error_messages={"required": "Who asked: say who made the request."},
    )
    received_on = forms.DateField(
        label="Received on",
        help_text="The one-month deadline runs from this day. For example: 2026-11-30.",
        error_messages={
            "required": "Received: enter the date the request arrived.",
            "invalid": "Received: enter a date such as 2026-11-30.",
        },
    )
    redact_staff = forms.BooleanField(label="Redact staff names too", required=False)


@require_http_methods(["GET", "POST"])
def sar_list(request: ChaperoneRequest) -> HttpResponse:
    from chaperone.records import sar
    from chaperone.records.models import SubjectAccessRequest

    school = school_for(request, "records.sar")
    form = SarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            logged = sar.request_log(
                actor=request.actor,
                school=school,
                upn=form.cleaned_data["upn"],
                requester=form.cleaned_data["requester"],
                received_on=form.cleaned_data["received_on"],
                redact_staff=form.cleaned_data["redact_staff"],
            )
        except sar.SarProblem as problem:
            form.add_error(problem.field or None, problem.message)
        else:
            messages.success(request, f"Logged: the answer is due by {logged.due_on:%d %B %Y}.")
            return redirect("records:sar_detail", pk=logged.pk)
    rows = list(
        SubjectAccessRequest.objects.for_actor(request.actor, "records.sar")
        .filter(school=school)
        .select_related("pupil")
    )
    context = {"school": school, "rows": rows, "form": form, "today": timezone.localdate()}
    return render(request, "records/sar_list.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sar_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    from chaperone.records import sar
    from chaperone.records.models import SubjectAccessRequest

    item = get_for_actor_or_404(
        SubjectAccessRequest.objects.select_related("pupil", "school"),
        request.actor,
        "records.sar",
        pk=pk,
    )
    if request.method == "POST":
        try:
            sar.request_release(actor=request.actor, request=item)
        except sar.SarProblem as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, "Recorded as answered.")
        return redirect("records:sar_detail", pk=item.pk)
    wanted = request.GET.get("format", "")
    if wanted in {"json", "pdf"}:
        data, pdf = sar.export(
            actor=request.actor,
            school=item.school,
            pupil=item.pupil,
            redact_staff=item.redact_staff,
        )
        body, kind = (data, "application/json") if wanted == "json" else (pdf, "application/pdf")
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = (
            f'attachment; filename="sar-{item.pupil.upn}-{item.received_on:%Y-%m-%d}.{wanted}"'
        )
        response["Cache-Control"] = "no-store, private"
        return response
    pack = sar.build(item.school, item.pupil, redact_staff=item.redact_staff)
    return render(
        request,
        "records/sar_detail.html",
        {
            "item": item,
            "pack": pack,
            "today": timezone.localdate(),
            "withheld": sum(1 for c in pack["concerns"] if c.get("withheld")),
        },
    )
