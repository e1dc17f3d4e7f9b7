"""Child protection files in and out: the list (files to send with their countdown, files
received), preparing a leaving pupil's bundle, one transfer (download, sent, receipt), and
importing a file that came with a new pupil (a Chaperone bundle or a PDF)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.concerns import transfer as svc
from chaperone.concerns.models import FileTransfer, ReceivedFile
from chaperone.concerns.pdf import safe_filename
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import int_param
from chaperone.people.models import Pupil
from chaperone.tenancy.models import School
from chaperone.tenancy.querysets import get_for_actor_or_404
from chaperone.tenancy.schools import school_for


def _pupil_choices(request: ChaperoneRequest, school: School) -> list[tuple[str, str]]:
    pupils = (
        Pupil.objects.for_actor(request.actor, "concern.transfer")
        .filter(school=school)
        .order_by("last_name", "first_name", "id")
    )
    return [("", "Choose a pupil")] + [
        (str(p.pk), f"{p.display_name} ({p.year_label})") for p in pupils
    ]


class StartForm(forms.Form):
    pupil = forms.ChoiceField(label="Pupil who is leaving")
    leaving_on = forms.DateField(
        label="Leaving date", widget=forms.DateInput(attrs={"type": "date"})
    )
    to_school_name = forms.CharField(label="New school", max_length=200)
    to_school_urn = forms.CharField(label="New school's URN", max_length=6)
    to_dsl_email = forms.EmailField(label="New school's DSL email (optional)", required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pupil"].choices = choices  # type: ignore[attr-defined]


class ReceiptForm(forms.Form):
    confirmed_by = forms.CharField(label="Who confirmed receipt (name and role)", max_length=200)
    received_on = forms.DateField(
        label="On which day", widget=forms.DateInput(attrs={"type": "date"})
    )


class ImportForm(forms.Form):
    pupil = forms.ChoiceField(label="Pupil the file is about")
    kind = forms.ChoiceField(
        label="What you have",
        choices=[
            ("bundle", "A bundle from a school that uses Chaperone (.zip)"),
            ("pdf", "A PDF from another system"),
        ],
        widget=forms.RadioSelect,
    )
    upload = forms.FileField(label="The file")
    expected_sha256 = forms.CharField(
        label="The bundle's checksum, as the previous school gave it (optional)",
        max_length=64,
        required=False,
    )
    from_school_name = forms.CharField(
        label="Previous school (for a PDF)", max_length=200, required=False
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pupil"].choices = choices  # type: ignore[attr-defined]


def _chosen_pupil(request: ChaperoneRequest, school: School, raw: str) -> Pupil | None:
    pk = int_param(raw)
    if pk is None:
        return None
    return (
        Pupil.objects.for_actor(request.actor, "concern.transfer")
        .filter(school=school, pk=pk)
        .select_related("school")
        .first()
    )


def _problem(form: forms.Form, problem: svc.TransferProblem) -> None:
    field = problem.field if problem.field in form.fields else None
    if problem.field == "bundle" or problem.field == "pdf":
        field = "upload"
    form.add_error(field, problem.message)


@require_GET
def transfers(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "concern.transfer")
    today = timezone.localdate()
    outgoing = list(
        FileTransfer.objects.for_actor(request.actor, "concern.transfer")
        .filter(school=school)
        .select_related("pupil")
        .order_by("status", "due_on", "id")
    )
    days = svc.SchoolDays(school.pk)
    for t in outgoing:
        t.days_left = days.between(today, t.due_on)  # type: ignore[attr-defined]
    received = list(
        ReceivedFile.objects.for_actor(request.actor, "concern.transfer")
        .filter(school=school)
        .select_related("pupil")
    )
    return render(
        request,
        "concerns/transfers.html",
        {"school": school, "outgoing": outgoing, "received": received, "today": today},
    )


@require_http_methods(["GET", "POST"])
def transfer_start(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "concern.transfer")
    choices = _pupil_choices(request, school)
    initial = {"pupil": request.GET.get("pupil", "")}
    form = StartForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        pupil = _chosen_pupil(request, school, form.cleaned_data["pupil"])
        if pupil is None:
            form.add_error("pupil", "Choose a pupil of this school.")
        else:
            try:
                t = svc.transfer_start(
                    actor=request.actor,
                    pupil=pupil,
                    leaving_on=form.cleaned_data["leaving_on"],
                    to_school_name=form.cleaned_data["to_school_name"],
                    to_school_urn=form.cleaned_data["to_school_urn"],
                    to_dsl_email=form.cleaned_data["to_dsl_email"],
                )
            except svc.TransferProblem as problem:
                _problem(form, problem)
            else:
                messages.success(request, "The bundle is sealed. Download it and send it securely.")
                return redirect("concerns:transfer_detail", pk=t.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "concerns/transfer_start.html", {"school": school, "form": form}, status=status
    )


def _transfer(request: ChaperoneRequest, pk: int) -> FileTransfer:
    return get_for_actor_or_404(
        FileTransfer.objects.select_related("pupil", "school", "created_by", "sent_by"),
        request.actor,
        "concern.transfer",
        pk=pk,
    )


def _render_detail(
    request: ChaperoneRequest, t: FileTransfer, form: ReceiptForm | None = None, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "concerns/transfer_detail.html",
        {
            "t": t,
            "days_left": svc.school_days_between(today, t.due_on, school_id=t.school_id),
            "receipt_form": form or ReceiptForm(initial={"received_on": today}),
        },
        status=status,
    )


@require_GET
def transfer_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _transfer(request, pk))


@require_GET
def transfer_bundle(request: ChaperoneRequest, pk: int) -> HttpResponse:
    t = _transfer(request, pk)
    if not t.bundle:  # not sealed (yet): nothing to download
        raise Http404("No such record.")
    content = svc.transfer_bundle_for_download(actor=request.actor, transfer=t)
    response = HttpResponse(content, content_type="application/zip")
    name = safe_filename(f"cp-file-{t.pupil.last_name}-{t.reference}.zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def transfer_act(request: ChaperoneRequest, pk: int, what: str) -> HttpResponse:
    t = _transfer(request, pk)
    try:
        if what == "sent":
            svc.transfer_mark_sent(actor=request.actor, transfer=t)
            messages.success(
                request, "Recorded as sent. Now ask the new school to confirm receipt."
            )
        elif what == "received":
            form = ReceiptForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, t, form, status=400)
            try:
                svc.transfer_confirm_receipt(
                    actor=request.actor,
                    transfer=t,
                    confirmed_by=form.cleaned_data["confirmed_by"],
                    received_on=form.cleaned_data["received_on"],
                )
            except svc.TransferProblem as problem:
                _problem(form, problem)
                return _render_detail(request, t, form, status=400)
            messages.success(request, "The new school's receipt is recorded.")
        else:
            messages.error(request, "That is not something this page does.")
    except svc.TransferProblem as problem:
        messages.error(request, problem.message)
    return redirect("concerns:transfer_detail", pk=t.pk)


@require_http_methods(["GET", "POST"])
def transfer_import(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "concern.transfer")
    choices = _pupil_choices(request, school)
    form = ImportForm(request.POST or None, request.FILES or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        pupil = _chosen_pupil(request, school, form.cleaned_data["pupil"])
        upload = form.cleaned_data["upload"]
        if pupil is None:
            form.add_error("pupil", "Choose a pupil of this school.")
        elif upload.size > svc.MAX_IMPORT_BYTES:
            form.add_error("upload", "The file is larger than 50 MB.")
        else:
            content = upload.read()
            try:
                if form.cleaned_data["kind"] == "bundle":
                    svc.bundle_import(
                        actor=request.actor,
                        pupil=pupil,
                        content=content,
                        expected_sha256=form.cleaned_data["expected_sha256"],
                    )
                else:
                    svc.pdf_import(
                        actor=request.actor,
                        pupil=pupil,
                        content=content,
                        from_school_name=form.cleaned_data["from_school_name"],
                    )
            except svc.TransferProblem as problem:
                _problem(form, problem)
            else:
                messages.success(request, f"The file is on {pupil.display_name}'s chronology.")
                return redirect("concerns:chronology", pk=pupil.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "concerns/transfer_import.html", {"school": school, "form": form}, status=status
    )


@require_GET
def received_file(request: ChaperoneRequest, pk: int) -> HttpResponse:
    received = get_for_actor_or_404(
        ReceivedFile.objects.select_related("pupil"), request.actor, "concern.transfer", pk=pk
    )
    content = svc.received_file_for_viewing(actor=request.actor, received=received)
    kind = "application/pdf" if received.kind == "pdf" else "application/zip"
    response = HttpResponse(content, content_type=kind)
    ext = "pdf" if received.kind == "pdf" else "zip"
    name = safe_filename(f"cp-file-from-{received.from_school_name}.{ext}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
