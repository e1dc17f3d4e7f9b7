"""Protocol pages: the school's protocol for staff and parents, PDFs, history, upload,
acknowledgements, the template library and the "try it" checker. Thin: services write and decide,
selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone import rules
from chaperone.core.http import ChaperoneRequest
from chaperone.protocols import selectors, services
from chaperone.protocols.documents import is_audience, pdf_filename, render_pdf, show_document
from chaperone.protocols.forms import TryForm, UploadForm, initial_try_data
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.schools import active_school, school_for


def _actor(request: ChaperoneRequest) -> Actor:
    return request.actor


def _school(request: ChaperoneRequest, action: str = "protocol.view") -> School:
    return school_for(request, action)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- the school's protocol --------------------------------------------------------------------


@require_GET
def current(request: ChaperoneRequest) -> HttpResponse:
    actor = _actor(request)
    school = _school(request)
    effective = services.effective_protocol_for_school(school)
    context: dict[str, Any] = {
        "school": school,
        "effective": effective,
        "can_upload": selectors.upload_owners(actor=actor, school=school) != [],
        "can_see_acknowledgements": actor.can("protocol.acknowledgements", school.pk),
    }
    if effective is not None:
        context["doc"] = show_document(effective.protocol, "staff", effective.origin)
        context["my_acknowledgement"] = selectors.my_acknowledgement(
            actor=actor, versions=effective.versions
        )
    return render(request, "protocols/current.html", context)


@require_GET
def parent_version(request: ChaperoneRequest) -> HttpResponse:
    school = _school(request)
    effective = services.effective_protocol_for_school(school)
    doc = show_document(effective.protocol, "parent") if effective else None
    return render(
        request, "protocols/parent.html", {"school": school, "doc": doc, "effective": effective}
    )


@require_GET
def school_pdf(request: ChaperoneRequest, school_id: int, audience: str) -> HttpResponse:
    actor = _actor(request)
    school = selectors.school_for_protocol(actor=actor, school_id=school_id)
    effective = services.effective_protocol_for_school(school)
    if effective is None or not is_audience(audience):
        raise Http404("No such record.")
    origin = effective.origin if audience == "staff" else None
    doc = show_document(effective.protocol, audience, origin)
    pdf = render_pdf(doc, {"school": school, "effective": effective})
    return _pdf_response(pdf, pdf_filename(doc.document))


# --- versions ---------------------------------------------------------------------------------


@require_GET
def history(request: ChaperoneRequest) -> HttpResponse:
    actor = _actor(request)
    school = _school(request)
    effective = services.effective_protocol_for_school(school)
    histories = selectors.version_histories(actor=actor, school=school, effective=effective)
    return render(
        request,
        "protocols/history.html",
        {"histories": histories, "effective": effective},
    )


@require_GET
def version_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    version = selectors.version_get(actor=actor, version_id=pk)
    doc = show_document(services.protocol_for_version(version), "staff")
    return render(request, "protocols/version_detail.html", {"version": version, "doc": doc})


@require_GET
def version_source(request: ChaperoneRequest, pk: int) -> HttpResponse:
    version = selectors.version_get(actor=_actor(request), version_id=pk)
    response = HttpResponse(version.source_text, content_type="text/plain; charset=utf-8")
    filename = f"{version.protocol.slug}-{version.version_label}.toml".replace('"', "")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def upload(request: ChaperoneRequest) -> HttpResponse:
    actor = _actor(request)
    school = _school(request)
    owners = selectors.upload_owners(actor=actor, school=school)
    if not owners:
        raise PermissionDenied("You cannot change this school's protocol.")
    effective = services.effective_protocol_for_school(school)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            text = form.cleaned_data["source_text"]
            owner = services.upload_kind(text) or owners[-1]
            try:
                if owner not in owners:
                    raise services.ProtocolUploadError([_owner_refusal(owner)])
                version = services.protocol_version_upload(
                    actor=actor,
                    source_text=text,
                    owner_school=school if owner == "school" else None,
                    owner_trust=school.trust if owner == "trust" else None,
                )
            except services.ProtocolUploadError as exc:
                form.keep_text(text)
                for problem in exc.problems:
                    form.add_error("source_text", problem)
            else:
                messages.success(
                    request, f"Version {version.version_label} is stored and now in force."
                )
                return redirect("protocols:version_detail", pk=version.pk)
    else:
        form = UploadForm()
        template_id = request.GET.get("template", "")
        if template_id in rules.template_ids():
            from chaperone.protocols.demo import template_source

            form = UploadForm(initial={"source_text": template_source(template_id)})
    return render(
        request,
        "protocols/upload.html",
        {"school": school, "form": form, "owners": owners, "effective": effective},
    )


def _owner_refusal(owner: str) -> str:
    if owner == "trust":
        return (
            "extends: only the trust's administrators can replace the trust protocol; a school "
            'uploads its additions, starting with extends = "<trust protocol id>"'
        )
    return "extends: this school follows its trust's protocol directly and has no additions"


# --- acknowledgements -------------------------------------------------------------------------


@require_POST
def acknowledge(request: ChaperoneRequest) -> HttpResponse:
    actor = _actor(request)
    school = _school(request)
    ids = [int(v) for v in request.POST.getlist("version") if v.isdigit()]
    try:
        acks = services.protocol_acknowledge_for_school(actor=actor, school=school, version_ids=ids)
    except services.AcknowledgementOutOfDate as exc:
        messages.error(request, str(exc))
    except services.NoProtocolError:
        messages.error(request, "There is no protocol to acknowledge yet.")
    else:
        when = timezone.localtime(max(a.acknowledged_at for a in acks))
        messages.success(request, f"Thank you. Recorded that you read it on {when:%d %B %Y}.")
    return redirect("protocols:current")


@require_GET
def acknowledgements(request: ChaperoneRequest) -> HttpResponse:
    actor = _actor(request)
    school = _school(request, "protocol.acknowledgements")
    effective = services.effective_protocol_for_school(school)
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
    can_upload = bool(school and selectors.upload_owners(actor=_actor(request), school=school))
    return render(
        request,
        "protocols/template_detail.html",
        {
            "protocol": protocol,
            "doc": show_document(protocol, audience),
            "audience": audience,
            "source": template_source(template_id),
            "can_upload": can_upload,
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
    effective: services.EffectiveProtocol | None = None,
) -> dict[str, Any]:
    """Validate the form, ask the engine, and (on "Save this check") record the decision."""
    context: dict[str, Any] = {"form": form, "school": school, "decision": None, "saved": None}
    if not form.is_valid():
        return context
    try:
        decision, saved = services.protocol_decide(
            actor=_actor(request),
            school=school,
            request_data=form.to_request(school.time_zone),
            record=save,
            effective=effective,
        )
    except rules.RequestError as exc:
        form.add_request_error(exc.field, exc.message)
        return context
    except services.NoProtocolError:
        context["no_protocol"] = True
        return context
    context.update(decision=decision, saved=saved, groups=_finding_groups(decision))
    return context


FINDING_GROUPS = (
    ("refuse", "What stops this call"),
    ("pending", "Steps to complete before the call"),
    ("info", "Reminders for the call"),
)


def _finding_groups(decision: rules.Decision) -> list[tuple[str, str, list[rules.Finding]]]:
    """Findings grouped refuse, pending, info (empty groups left out)."""
    groups = []
    for effect, heading in FINDING_GROUPS:
        findings = [f for f in decision.findings if f.effect == effect]
        if findings:
            groups.append((effect, heading, findings))
    return groups


@require_http_methods(["GET", "POST"])
def try_it(request: ChaperoneRequest) -> HttpResponse:
    school = _school(request)
    if request.method == "POST":
        form = TryForm(request.POST)
        save = "save" in request.POST
    else:
        form = TryForm(initial_try_data(timezone.localdate().isoformat()))
        save = False
    effective = services.effective_protocol_for_school(school)
    context = _judge(request, form, school, save=save, effective=effective)
    context["effective"] = effective
    if context["saved"] is not None:
        messages.success(request, f"Check saved (reference {context['saved'].pk}).")
    if request.htmx:
        return render(request, "protocols/_decision.html", context)
    return render(request, "protocols/try.html", context)


@require_POST
def try_result(request: ChaperoneRequest) -> HttpResponse:
    """The result panel alone, for htmx: judged on every change, never recorded."""
    school = _school(request)
    context = _judge(request, TryForm(request.POST), school, save=False)
    return render(request, "protocols/_decision.html", context)
