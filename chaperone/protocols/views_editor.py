"""The protocol editor's pages: the form, its live preview (htmx) and saving. Thin: the editor
service builds and checks, the upload service stores."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chaperone import rules
from chaperone.core.http import ChaperoneRequest
from chaperone.protocols import editor, services
from chaperone.protocols.documents import show_document
from chaperone.protocols.forms_editor import EditorForm
from chaperone.tenancy.schools import school_for


def _target(request: ChaperoneRequest, wanted: str) -> editor.Target:
    """What this person edits here: the school's additions, or (``for=trust``, or when the
    school has no additions to make: a standalone school) the trust's protocol."""
    school = school_for(request, "protocol.view")
    may_school = services.may_manage_school_overlay(request.actor, school)
    may_trust = services.may_manage_trust_protocol(request.actor, school.trust)
    kind: editor.TargetKind = "trust" if wanted == "trust" or not may_school else "school"
    if not (may_school if kind == "school" else may_trust):
        raise PermissionDenied("You cannot change this protocol.")
    return editor.target_for(school, kind)


def _documents(
    request: ChaperoneRequest, target: editor.Target, edits: editor.Edits
) -> dict[str, Any]:
    """The upload service's reading of ``edits``: the new documents and the diff (and, for the
    trust, the effect on each school), or the problems."""
    checked = editor.check(actor=request.actor, target=target, edits=edits)
    context: dict[str, Any] = {"checked": checked}
    if checked.protocol is None:
        return context
    origin = None
    if target.kind == "school" and target.base is not None:
        base = target.base
        trust_ids = {r.id for r in base.rules}
        raised = {
            rule_id
            for rule_id, effect in edits.effects.items()
            if rule_id in trust_ids and effect != base.rule(rule_id).effect
        }

        def origin(rule_id: str) -> str:
            if rule_id in raised:
                return "tightened"
            return "trust" if rule_id in trust_ids else "school"

    context["staff_doc"] = show_document(checked.protocol, "staff", origin)
    context["parent_doc"] = show_document(checked.protocol, "parent")
    return context


def _preview(request: ChaperoneRequest, target: editor.Target, form: EditorForm) -> dict[str, Any]:
    """The preview of a posted form; the engine's problems go on the fields that caused them."""
    if not form.is_valid():
        return {"checked": None}
    context = _documents(request, target, form.edits())
    form.add_problems(list(context["checked"].problems))
    return context


def _page(
    request: ChaperoneRequest, target: editor.Target, form: EditorForm, **extra: Any
) -> HttpResponse:
    context = {"target": target, "form": form, "school": target.school, **extra}
    return render(request, "protocols/editor.html", context)


@require_http_methods(["GET", "POST"])
def edit(request: ChaperoneRequest) -> HttpResponse:
    wanted = request.GET.get("for", request.POST.get("for", ""))
    try:
        target = _target(request, wanted)
    except services.NoProtocolError:
        return render(request, "protocols/editor_none.html")
    today = services.today_at(target.school)
    if request.method == "GET":
        left_out: tuple[str, ...] = ()
        template_id = request.GET.get("template", "")
        edits = editor.current_edits(target, today)
        if target.kind == "school" and template_id in rules.template_ids():
            template = rules.load_template(template_id)
            edits = editor.edits_from_template(target, template, today)
            left_out = editor.starting_point(target.in_force, template).left_out
        form = EditorForm(target, initial=EditorForm.initial_from(target, edits))
        extra = _documents(request, target, edits)
        return _page(request, target, form, left_out=left_out, **extra)
    form = EditorForm(target, request.POST)
    if "save" not in request.POST or not form.is_valid():
        return _page(request, target, form, **_preview(request, target, form))
    try:
        version = editor.protocol_edit_save(actor=request.actor, target=target, edits=form.edits())
    except editor.EditorError as exc:
        form.add_problems(exc.problems)
        return _page(request, target, form)
    if version.effective_on > today:
        when = f"{version.effective_on.day} {version.effective_on:%B %Y}"
        messages.success(
            request, f"Version {version.version_label} is saved: in force from {when}."
        )
    else:
        messages.success(request, f"Version {version.version_label} is saved and now in force.")
    return redirect("protocols:version_detail", pk=version.pk)


@require_POST
def edit_preview(request: ChaperoneRequest) -> HttpResponse:
    """The preview panel alone, for htmx: checked on every change, never saved."""
    target = _target(request, request.POST.get("for", ""))
    form = EditorForm(target, request.POST)
    context = {"target": target, "form": form, **_preview(request, target, form)}
    return render(request, "protocols/_editor_preview.html", context)
