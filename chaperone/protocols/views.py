"""Protocol pages: the school's protocol for staff and parents, PDFs, history, upload,
acknowledgements, the template library and the "try it" checker. Thin: services write and decide,
selectors read."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone import rules
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import id_params
from chaperone.protocols import selectors, services, uploads
from chaperone.protocols.documents import (
    is_audience,
    pdf_filename,
    render_pdf,
    safe_filename,
    show_document,
)
from chaperone.protocols.effective import EffectiveProtocol, effective_protocol_for_school
from chaperone.protocols.forms import TryForm, UploadForm, initial_try_data
from chaperone.protocols.models import ProtocolVersion
from chaperone.protocols.requests import primary_role
from chaperone.protocols.shown import StaffDecision
from chaperone.protocols.toml_text import with_line
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import active_school, school_for


def _school(request: ChaperoneRequest, action: str = "protocol.view") -> School:
    return school_for(request, action)


def _effective(school: School) -> EffectiveProtocol | None:
    """The school's protocol today, where the school is."""
    return effective_protocol_for_school(school, on=services.today_at(school))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- the school's protocol --------------------------------------------------------------------


@require_GET
def current(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = _school(request)
    effective = _effective(school)
    context: dict[str, Any] = {
        "school": school,
        "effective": effective,
        "can_upload": services.may_upload(actor, school),
        "can_manage": services.may_manage_school_overlay(actor, school),
        "can_see_acknowledgements": actor.can("protocol.acknowledgements", school.pk),
    }
    if effective is not None:
        context["doc"] = show_document(effective.protocol, "staff", effective.origin)
        context["my_acknowledgement"] = selectors.acknowledgement_of_actor(
            actor=actor, versions=effective.versions
        )
        context["scheduled"] = selectors.scheduled_versions(school=school, on=effective.on)
    return render(request, "protocols/current.html", context)


@require_GET
def parent_version(request: ChaperoneRequest) -> HttpResponse:
    school = _school(request)
    effective = _effective(school)
    context: dict[str, Any] = {"school": school, "effective": effective, "doc": None}
    if effective is not None:
        context["doc"] = show_document(effective.protocol, "parent")
        context["contacts"] = selectors.school_contacts(school=school, protocol=effective.protocol)
    return render(request, "protocols/parent.html", context)


@require_GET
def school_pdf(request: ChaperoneRequest, school_id: int, audience: str) -> HttpResponse:
    actor = request.actor
    school = selectors.school_for_protocol(actor=actor, school_id=school_id)
    effective = _effective(school)
    if effective is None or not is_audience(audience):
        raise Http404("No such record.")
    context: dict[str, Any] = {"school": school, "effective": effective}
    if audience == "staff":
        doc = show_document(effective.protocol, audience, effective.origin)
    else:
        doc = show_document(effective.protocol, audience)
        context["contacts"] = selectors.school_contacts(school=school, protocol=effective.protocol)
    return _pdf_response(render_pdf(doc, context), pdf_filename(doc.document))


# --- versions ---------------------------------------------------------------------------------


@require_GET
def history(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = _school(request)
    effective = _effective(school)
    histories = selectors.version_histories(actor=actor, school=school, effective=effective)
    return render(
        request,
        "protocols/history.html",
        {"histories": histories, "effective": effective},
    )


@require_GET
def version_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    version = selectors.protocol_version_get(actor=actor, version_id=pk)
    doc = show_document(services.protocol_for_version(version), "staff")
    school = active_school(request)
    today = services.today_at(school) if school else timezone.localdate()
    context = {"version": version, "doc": doc, "scheduled": version.effective_on > today}
    return render(request, "protocols/version_detail.html", context)


@require_GET
def version_source(request: ChaperoneRequest, pk: int) -> HttpResponse:
    version = selectors.protocol_version_get(actor=request.actor, version_id=pk)
    response = HttpResponse(version.source_text, content_type="text/plain; charset=utf-8")
    filename = safe_filename(f"{version.protocol.slug}-{version.version_label}.toml")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def upload(request: ChaperoneRequest) -> HttpResponse:
    """Check a file (showing its effect before anything is stored), then store it on confirm."""
    actor = request.actor
    school = _school(request)
    if not services.may_upload(actor, school):
        raise PermissionDenied("You cannot change this school's protocol.")
    context: dict[str, Any] = {
        "school": school,
        "effective": _effective(school),
        "may_upload_trust": services.may_manage_trust_protocol(actor, school.trust),
        "may_upload_school": services.may_manage_school_overlay(actor, school),
    }
    if request.method == "GET":
        template_id = request.GET.get("template", "")
        initial = {}
        if template_id in rules.template_ids():
            from chaperone.protocols.demo import template_source

            initial["source_text"] = template_source(template_id)
        context["form"] = UploadForm(initial=initial)
        return render(request, "protocols/upload.html", context)
    form = UploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "protocols/upload.html", context)
    text = form.cleaned_data["source_text"]
    try:
        if "confirm" in request.POST:
            version = uploads.protocol_version_upload(
                actor=actor,
                school=school,
                source_text=text,
                expected_sha256=request.POST.get("sha256", ""),
            )
        else:
            context["check"] = uploads.protocol_upload_check(
                actor=actor, school=school, source_text=text
            )
            return render(request, "protocols/upload_preview.html", {**context, "text": text})
    except uploads.ProtocolUploadError as exc:
        form.keep_text(text)
        for problem in exc.problems:
            form.add_error("source_text", with_line(text, problem))
        return render(request, "protocols/upload.html", context)
    messages.success(request, _stored_message(version, services.today_at(school)))
    return redirect("protocols:version_detail", pk=version.pk)


def _stored_message(version: ProtocolVersion, today: date) -> str:
    if version.effective_on > today:
        return (
            f"Version {version.version_label} is stored, scheduled from "
            f"{date_format(version.effective_on, 'j F Y')}. Until then the current version "
            "stays in force."
        )
    return f"Version {version.version_label} is stored and now in force."


@require_POST
def confirm_additions(request: ChaperoneRequest) -> HttpResponse:
    """The school follows the trust's new version with the additions that still fit."""
    school = _school(request, "protocol.manage")
    try:
        uploads.protocol_additions_confirm(actor=request.actor, school=school)
    except uploads.NothingToConfirm as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Confirmed. The school now follows the trust's version with the additions that "
            "still fit.",
        )
    return redirect("protocols:current")


# --- acknowledgements -------------------------------------------------------------------------


@require_POST
def acknowledge(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = _school(request)
    ids = id_params(request.POST.getlist("version"))
    try:
        acks = services.protocol_acknowledge_for_school(actor=actor, school=school, version_ids=ids)
    except services.AcknowledgementOutOfDate as exc:
        messages.error(request, str(exc))
    except services.NoProtocolError:
        messages.error(request, "There is no protocol to acknowledge yet.")
    else:
        when = timezone.localtime(max(a.acknowledged_at for a in acks))
        messages.success(
            request, f"Thank you. Recorded that you read it on {date_format(when, 'j F Y')}."
        )
    return redirect("protocols:current")


@require_GET
def acknowledgements(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = _school(request, "protocol.acknowledgements")
    effective = _effective(school)
    rows = (
        selectors.acknowledgement_rows(actor=actor, school=school, versions=effective.versions)
        if effective
        else []
    )
    return render(
        request,
        "protocols/acknowledgements.html",
        {
            "school": school,
            "effective": effective,
            "read": [r for r in rows if r.acknowledged_at],
            "not_read": [r for r in rows if not r.acknowledged_at],
            "total": len(rows),
        },
    )


@require_POST
def remind(request: ChaperoneRequest) -> HttpResponse:
    """E-mail everyone who has not yet read the protocol in force (a task sends it)."""
    school = _school(request, "protocol.acknowledgements")
    try:
        services.acknowledgement_remind(actor=request.actor, school=school)
    except services.NoProtocolError:
        messages.error(request, "There is no protocol to read yet.")
    except services.ReminderTooSoon as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "A reminder is on its way to everyone who has not read it yet.")
    return redirect("protocols:acknowledgements")


# --- template library -------------------------------------------------------------------------


@require_GET
def template_list(request: ChaperoneRequest) -> HttpResponse:
    templates = [rules.load_template(t) for t in rules.template_ids()]
    return render(request, "protocols/template_list.html", {"templates": templates})


def _template_or_404(template_id: str) -> rules.Protocol:
    if template_id not in rules.template_ids():
        raise Http404("No such template.")
    return rules.load_template(template_id)


@require_GET
def template_detail(request: ChaperoneRequest, template_id: str) -> HttpResponse:
    from chaperone.protocols.demo import template_source

    protocol = _template_or_404(template_id)
    wanted = request.GET.get("for", "staff")
    audience = wanted if is_audience(wanted) else "staff"
    school = active_school(request)
    can_upload = bool(school and services.may_upload(request.actor, school))
    can_edit_additions = bool(school and services.may_manage_school_overlay(request.actor, school))
    return render(
        request,
        "protocols/template_detail.html",
        {
            "protocol": protocol,
            "doc": show_document(protocol, audience),
            "audience": audience,
            "source": template_source(template_id),
            "can_upload": can_upload,
            "can_edit_additions": can_edit_additions,
        },
    )


@require_GET
def template_pdf(request: ChaperoneRequest, template_id: str, audience: str) -> HttpResponse:
    protocol = _template_or_404(template_id)
    if not is_audience(audience):
        raise Http404("No such document.")
    doc = show_document(protocol, audience)
    return _pdf_response(render_pdf(doc), pdf_filename(doc.document))


# --- try it -----------------------------------------------------------------------------------


def _judge(
    request: ChaperoneRequest,
    form: TryForm,
    school: School,
    *,
    save: bool,
    effective: EffectiveProtocol | None = None,
) -> dict[str, Any]:
    """Validate the form, ask the engine, and (on "Save this check") record the decision."""
    context: dict[str, Any] = {"form": form, "school": school, "decision": None, "saved": None}
    if not form.is_valid():
        return context
    try:
        decision, saved = services.protocol_decide(
            actor=request.actor,
            school=school,
            request_data=form.to_request(school.time_zone),
            record=save,
            effective=effective,
        )
    except rules.RequestError as exc:
        form.add_request_error(exc.field, exc.message, exc.code)
        return context
    except services.NoProtocolError:
        context["no_protocol"] = True
        return context
    context.update(decision=decision, saved=saved, shown=StaffDecision.of(decision))
    return context


def _try_form(request: ChaperoneRequest, school: School) -> TryForm:
    """The try-it form as posted, or (first visit) a typical group lesson in the person's role."""
    pupils = selectors.pupils_to_choose(actor=request.actor, school=school)
    if request.method == "POST":
        return TryForm(request.POST, pupils=pupils)
    data = initial_try_data(services.today_at(school).isoformat())
    own = request.actor.roles_in(school.pk)
    if own:
        data["your_role"] = primary_role(own)
    return TryForm(data, pupils=pupils)


@require_http_methods(["GET", "POST"])
def try_it(request: ChaperoneRequest) -> HttpResponse:
    school = _school(request)
    form = _try_form(request, school)
    save = request.method == "POST" and "save" in request.POST
    effective = _effective(school)
    context = _judge(request, form, school, save=save, effective=effective)
    context["effective"] = effective
    if context["saved"] is not None:
        messages.success(request, f"Check saved: {context['saved']}.")
    if request.htmx:
        return render(request, "protocols/_decision.html", context)
    return render(request, "protocols/try.html", context)


@require_POST
def try_result(request: ChaperoneRequest) -> HttpResponse:
    """The result panel alone, for htmx: judged on every change, never recorded. Fields the form
    changed to fit the kind of contact are swapped in too (out of band)."""
    school = _school(request)
    context = _judge(request, _try_form(request, school), school, save=False)
    return render(request, "protocols/_decision.html", context)
