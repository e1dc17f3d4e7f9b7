"""Pages of the concerns app: raise a concern (the quick-add on every page, a pupil's page, a
session's End and report), the inbox of whoever handles concerns, one concern with what its
handlers do, the low-level concerns log, and the second-factor step-up before a historic record.

Thin: forms parse, :mod:`.services` writes, :mod:`.selectors` reads (and records each read).
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.audit.log import record as audit_record
from chaperone.concerns import selectors, services
from chaperone.concerns.attachments import attachment_add, max_bytes
from chaperone.concerns.categories import categories_for, category_save
from chaperone.concerns.forms import (
    ActionDoneForm,
    ActionForm,
    AllegationForm,
    AssignForm,
    CorrectionForm,
    CorrectPupilsForm,
    RaiseForm,
    StepUpForm,
    TextForm,
)
from chaperone.concerns.models import (
    Concern,
    ConcernDraft,
    ConcernRoute,
    ConcernSource,
    PupilRole,
)
from chaperone.concerns.services import ConcernProblem
from chaperone.core.http import ChaperoneRequest
from chaperone.core.params import int_param
from chaperone.people.models import Pupil, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import active_school, school_for

#: how long a second-factor step-up lets historic records be opened, in seconds
STEP_UP_SECONDS = 15 * 60
STEP_UP_KEY = "concerns_step_up_at"


def _pupils(request: ChaperoneRequest, school: School) -> list[Pupil]:
    return list(
        Pupil.objects.for_actor(request.actor, "pupil.view")
        .filter(school=school, is_active=True)
        .order_by("last_name", "first_name", "id")
    )


def _staff(school: School) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(assignments__school=school, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def _raise_form(request: ChaperoneRequest, school: School, **kwargs: Any) -> RaiseForm:
    return RaiseForm(
        categories=categories_for(school),
        pupils=_pupils(request, school),
        staff=[s for s in _staff(school) if s.pk != request.actor.staff_id],
        **kwargs,
    )


def _problem(form: forms.Form, problem: ConcernProblem) -> None:
    field = problem.field if problem.field in form.fields else None
    if problem.field == "pupils" and "pupil_0" in form.fields:
        field = "pupil_0"
    form.add_error(field, problem.message)


def _draft_data(form: RaiseForm) -> dict[str, Any]:
    data = {k: form.data.get(k, "") for k in services.DRAFT_FIELDS if k in form.fields}
    data["pupils"] = [form.data.get(f"pupil_{i}", "") for i in range(4)]
    data["pupil_roles"] = [form.data.get(f"role_{i}", "") for i in range(4)]
    return data


def _initial_from_draft(draft: ConcernDraft) -> dict[str, Any]:
    initial = {k: v for k, v in draft.data.items() if k not in ("pupils", "pupil_roles")}
    for i, pupil in enumerate(draft.data.get("pupils", [])[:4]):
        initial[f"pupil_{i}"] = pupil
    for i, role in enumerate(draft.data.get("pupil_roles", [])[:4]):
        initial[f"role_{i}"] = role or PupilRole.SUBJECT
    initial["draft"] = draft.pk
    return initial


def _own_draft(request: ChaperoneRequest, draft_id: int | None) -> ConcernDraft | None:
    if draft_id is None:
        return None
    try:
        return selectors.draft_get(actor=request.actor, draft_id=draft_id)
    except Http404:
        return None


@require_http_methods(["GET", "POST"])
def concern_raise(request: ChaperoneRequest) -> HttpResponse:
    """Raise a concern: from the header's quick-add, a pupil's page (``?pupil=``) or a draft."""
    school = school_for(request, "concern.raise")
    actor = request.actor
    if request.method == "GET":
        initial: dict[str, Any] = {"source": ConcernSource.STAFF}
        draft = _own_draft(request, int_param(request.GET.get("draft")))
        if draft is not None:
            initial |= _initial_from_draft(draft)
        pupil_id = int_param(request.GET.get("pupil"))
        if pupil_id is not None:
            initial |= {"pupil_0": str(pupil_id), "source": ConcernSource.PUPIL_PAGE}
        form = _raise_form(request, school, initial=initial)
        return _render_raise(request, school, form, draft)
    form = _raise_form(request, school, data=request.POST)
    draft = _own_draft(request, int_param(request.POST.get("draft")))
    # What was typed is kept first, so nothing is lost whatever the answer below.
    draft = services.draft_save(actor=actor, school=school, data=_draft_data(form), draft=draft)
    file_problems = []
    for upload in request.FILES.getlist("attachments"):
        try:
            attachment_add(actor=actor, upload=upload, draft=draft)
        except ConcernProblem as refused:
            file_problems.append(refused)
    if not form.is_valid() or file_problems:
        for message in file_problems:
            form.add_error(None, message.message)
        return _render_raise(request, school, form, draft, status=400)
    source = form.cleaned_data.get("source") or ConcernSource.STAFF
    try:
        concern = services.concern_raise(
            actor=actor,
            school=school,
            pupils_with_roles=form.chosen_pupils(),
            summary=form.cleaned_data["summary"],
            source=source if source in ConcernSource.values else ConcernSource.STAFF,
            category=form.chosen_category(),
            urgency=form.cleaned_data["urgency"],
            childs_words=form.cleaned_data["childs_words"],
            occurred_at=form.cleaned_data["occurred_at"],
            body_map=form.cleaned_data["body_map"],
            about_staff=form.chosen_staff(),
            told_by=form.cleaned_data["told_by"],
            source_label=form.cleaned_data["source_label"],
            source_ref=form.cleaned_data["source_ref"],
            draft=draft,
            link=request.build_absolute_uri(reverse("concerns:inbox")),
        )
    except ConcernProblem as problem:
        _problem(form, problem)
        return _render_raise(request, school, form, draft, status=400)
    if concern.route == ConcernRoute.SAFEGUARDING:
        messages.success(
            request, "Your concern was sent to the safeguarding team. Thank you for raising it."
        )
        return redirect("concerns:detail", pk=concern.pk)
    who = "the chair of governors" if concern.route == ConcernRoute.CHAIR else "the headteacher"
    if not services.recipients_for(concern, services.ALERT_ACTIONS[concern.route]):
        messages.warning(
            request,
            f"Chaperone has no email address for {who}: tell them yourself today, in person "
            "or by telephone, that you raised a concern.",
        )
    messages.success(
        request,
        f"Your concern was passed to {who} alone. It is not shown to anyone else, "
        "you included: speak to them if you have more to add.",
    )
    return redirect("dashboard")


def _render_raise(
    request: ChaperoneRequest,
    school: School,
    form: RaiseForm,
    draft: ConcernDraft | None,
    *,
    status: int = 200,
) -> HttpResponse:
    files = list(draft.attachments.all()) if draft is not None else []
    return render(
        request,
        "concerns/raise.html",
        {
            "school": school,
            "form": form,
            "draft": draft,
            "files": files,
            "max_mb": max_bytes() // (1024 * 1024),
            "drafts": selectors.drafts_of(actor=request.actor, school=school)[:5],
        },
        status=status,
    )


@require_POST
def draft_save(request: ChaperoneRequest) -> HttpResponse:
    """Autosave of the raise form (htmx, every few seconds while typing): answers the draft's
    id and when it was saved."""
    school = school_for(request, "concern.raise")
    form = _raise_form(request, school, data=request.POST)
    draft = _own_draft(request, int_param(request.POST.get("draft")))
    draft = services.draft_save(
        actor=request.actor, school=school, data=_draft_data(form), draft=draft
    )
    return render(request, "concerns/_draft_saved.html", {"draft": draft})


@require_POST
def draft_discard(request: ChaperoneRequest, pk: int) -> HttpResponse:
    school_for(request, "concern.raise")
    draft = selectors.draft_get(actor=request.actor, draft_id=pk)
    services.draft_discard(actor=request.actor, draft=draft)
    messages.success(request, "The draft was deleted.")
    return redirect("concerns:raise")


@require_GET
def inbox(request: ChaperoneRequest) -> HttpResponse:
    """The concerns whoever handles them at the active school can read, urgent and new first."""
    school = active_school(request)
    if school is None:
        raise PermissionDenied("No school.")
    actor = request.actor
    handles = selectors.handles_concerns_at(actor, school.pk)
    if not handles:
        raise PermissionDenied("Only those who handle concerns see the inbox.")
    show_closed = request.GET.get("closed") == "1"
    box = selectors.inbox(actor=actor, school=school, include_closed=show_closed)
    return render(
        request,
        "concerns/inbox.html",
        {"school": school, "inbox": box, "show_closed": show_closed},
    )


def _stepped_up(request: ChaperoneRequest) -> bool:
    at = request.session.get(STEP_UP_KEY)
    return isinstance(at, int | float) and time.time() - at < STEP_UP_SECONDS


def _forms(concern: Concern, data: Any = None, *, what: str = "") -> dict[str, forms.Form]:
    handlers = services.handlers_of(concern)
    categories = categories_for(concern.school)

    def bound(name: str) -> Any:
        return data if what == name else None

    return {
        "assign": AssignForm(bound("assign"), handlers=handlers),
        "action_add": ActionForm(bound("action_add"), handlers=handlers),
        "action_done": ActionDoneForm(bound("action_done")),
        "addendum": TextForm(bound("addendum"), label="Add to this concern", prefix="addendum"),
        "no_referral": TextForm(
            bound("no_referral"), label="Why it is not referred", prefix="no_referral"
        ),
        "outcome": TextForm(bound("outcome"), label="Outcome", prefix="outcome"),
        "close": TextForm(bound("close"), label="Why the concern can be closed", prefix="close"),
        "disclosure_mark": TextForm(
            bound("disclosure_mark"),
            label="Why it needs reviewing before any release",
            prefix="disclosure",
        ),
        "correct": CorrectionForm(bound("correct"), categories=categories),
        "allegation": AllegationForm(bound("allegation"), initial=_allegation_initial(concern)),
    }


def _allegation_initial(concern: Concern) -> dict[str, Any]:
    allegation = getattr(concern, "allegation", None)
    if allegation is None:
        return {"level": "allegation"}
    return {
        "level": allegation.level,
        "lado_consulted_on": allegation.lado_consulted_at.date()
        if allegation.lado_consulted_at
        else None,
        "lado_officer": allegation.lado_officer,
        "lado_advice": allegation.lado_advice,
        "lado_referred_on": allegation.lado_referred_at.date()
        if allegation.lado_referred_at
        else None,
        "lado_reference": allegation.lado_reference,
        "outcome": allegation.outcome,
        "outcome_notes": allegation.outcome_notes,
    }


def _render_detail(
    request: ChaperoneRequest,
    concern: Concern,
    concern_forms: dict[str, forms.Form],
    *,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    return render(
        request,
        "concerns/detail.html",
        {
            "concern": concern,
            "forms": concern_forms,
            # an imported concern is kept as it was sent: added to, never handled here
            "manages": selectors.may_manage(actor, concern) and not concern.is_imported,
            "adds": selectors.may_manage(actor, concern) or concern.raised_by_id == actor.staff_id,
            "signs_off": concern.route == ConcernRoute.SAFEGUARDING
            and actor.can("concern.sign_off", concern.school_id),
            "raised_it": concern.raised_by_id == actor.staff_id,
            "reviews_disclosure": services.may_mark_for_disclosure_review(actor, concern),
            "pupil_links": list(concern.pupil_links.all()),
            "front_marks": [m for m in concern.body_map if m.get("side") == "front"],
            "back_marks": [m for m in concern.body_map if m.get("side") == "back"],
            "max_mb": max_bytes() // (1024 * 1024),
        },
        status=status,
    )


@require_GET
def detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """One concern, for whoever may read it (anyone else: 404). A historic one asks for the
    second factor again first. The read is recorded."""
    concern = selectors.concern_for_actor_or_404(actor=request.actor, concern_id=pk)
    if selectors.is_historic(concern) and not _stepped_up(request):
        return redirect(f"{reverse('concerns:step_up', args=[pk])}")
    concern = selectors.concern_get_for_viewing(actor=request.actor, concern_id=pk)
    return _render_detail(request, concern, _forms(concern))


def _do(request: ChaperoneRequest, concern: Concern, what: str, form: forms.Form) -> str:
    """Carry out one of the concern page's forms; answers the message to show."""
    actor = request.actor
    data: dict[str, Any] = form.cleaned_data
    if what == "acknowledge":
        services.concern_acknowledge(actor=actor, concern=concern)
        return "Acknowledged."
    if what == "assign":
        services.concern_assign(
            actor=actor, concern=concern, staff_id=int_param(data.get("assigned_to"))
        )
        return "Assigned."
    if what == "action_add":
        services.concern_action_add(
            actor=actor,
            concern=concern,
            kind=data.get("kind") or "",
            owner_id=int_param(data.get("owner")),
            due_on=data.get("due_on"),
            notes=data.get("notes") or "",
        )
        return "Action added."
    if what == "action_done":
        action_id = data.get("action")
        if action_id is None:
            raise ConcernProblem("outcome", "Action: choose one of this concern's actions.")
        services.concern_action_complete(
            actor=actor,
            concern=concern,
            action_id=action_id,
            outcome=data.get("outcome") or "",
            cancelled=bool(data.get("cancelled")),
        )
        return "Action finished."
    if what == "addendum":
        services.concern_addendum_add(actor=actor, concern=concern, text=data.get("text") or "")
        return "Added to the concern."
    if what == "no_referral":
        services.concern_decide_not_to_refer(
            actor=actor, concern=concern, reason=data.get("text") or ""
        )
        return "The decision not to refer is recorded."
    if what == "outcome":
        services.concern_outcome_record(actor=actor, concern=concern, text=data.get("text") or "")
        return "Outcome recorded."
    if what == "close":
        services.concern_close(actor=actor, concern=concern, rationale=data.get("text") or "")
        return "The concern is closed."
    if what == "sign_off":
        services.concern_sign_off(actor=actor, concern=concern)
        return "Signed off."
    if what == "disclosure_mark":
        services.concern_disclosure_review_mark(
            actor=actor, concern=concern, reason=data.get("text") or ""
        )
        return "Marked for disclosure review: a subject access pack withholds it for now."
    if what == "disclosure_clear":
        services.concern_disclosure_review_clear(actor=actor, concern=concern)
        return "The disclosure review mark is cleared."
    if what == "correct":
        assert isinstance(form, CorrectionForm)
        field = data.get("field") or ""
        services.concern_correct(
            actor=actor,
            concern=concern,
            field=field,
            reason=data.get("reason") or "",
            category=form.categories.get(data.get("category") or ""),
            occurred_at=data.get("occurred_at"),
        )
        return "Corrected; the reason is kept in its history."
    if what == "allegation":
        services.allegation_update(
            actor=actor,
            concern=concern,
            level=data.get("level") or "",
            lado_consulted_on=data.get("lado_consulted_on"),
            lado_officer=data.get("lado_officer") or "",
            lado_advice=data.get("lado_advice") or "",
            lado_referred_on=data.get("lado_referred_on"),
            lado_reference=data.get("lado_reference") or "",
            outcome=data.get("outcome") or "",
            outcome_notes=data.get("outcome_notes") or "",
        )
        return "The allegations record is saved."
    raise Http404("No such record.")


#: what the concern page's forms post to, and what they need
ACTIONS = {
    "acknowledge",
    "assign",
    "action_add",
    "action_done",
    "addendum",
    "no_referral",
    "outcome",
    "close",
    "sign_off",
    "correct",
    "allegation",
    "attach",
    "disclosure_mark",
    "disclosure_clear",
}


@require_POST
def act(request: ChaperoneRequest, pk: int, what: str) -> HttpResponse:
    """One of the concern page's forms. Refusals and bad input come back on the page with what
    was typed; a concern the actor may not read is a 404."""
    if what not in ACTIONS:
        raise Http404("No such record.")
    concern = selectors.concern_for_actor_or_404(actor=request.actor, concern_id=pk)
    concern_forms = _forms(concern, request.POST, what=what)
    problem_form: forms.Form | None = None
    try:
        if what == "attach":
            uploads = request.FILES.getlist("attachments")
            if not uploads:
                raise ConcernProblem("attachments", "Files: choose a file to add.")
            for upload in uploads:
                attachment_add(actor=request.actor, upload=upload, concern=concern)
            message = "File added."
        else:
            form = concern_forms.get(what) or forms.Form(request.POST)
            problem_form = form
            if not form.is_valid():
                raise ConcernProblem("", "")
            message = _do(request, concern, what, form)
    except PermissionDenied:
        messages.error(request, "You do not handle this concern: nothing was changed.")
    except ConcernProblem as problem:
        if problem.message:
            if problem_form is not None:
                _problem(problem_form, problem)
            else:
                messages.error(request, problem.message)
        viewed = selectors.concern_get_for_viewing(actor=request.actor, concern_id=pk)
        return _render_detail(request, viewed, concern_forms, status=400)
    else:
        messages.success(request, message)
    return redirect("concerns:detail", pk=concern.pk)


@require_GET
def attachment(request: ChaperoneRequest, pk: int, file_pk: int) -> FileResponse:
    concern = selectors.concern_for_actor_or_404(actor=request.actor, concern_id=pk)
    if selectors.is_historic(concern) and not _stepped_up(request):
        raise PermissionDenied("Confirm your second factor first.")
    kept = selectors.attachment_for_viewing(
        actor=request.actor, concern=concern, attachment_id=file_pk
    )
    response = FileResponse(
        kept.file.open("rb"),
        as_attachment=True,
        filename=kept.original_name,
        content_type=kept.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def step_up(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Ask for the second factor again before a historic concern opens (for a while after)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    concern = selectors.concern_for_actor_or_404(actor=request.actor, concern_id=pk)
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    form = StepUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        allowed = all(d.verify_is_allowed()[0] for d in devices)
        if not allowed:
            form.add_error("token", "Code: too many wrong codes in a row. Wait a few seconds.")
        elif any(d.verify_token(token) for d in devices):
            request.session[STEP_UP_KEY] = time.time()
            audit_record("concern.step_up", actor=request.actor, target=concern)
            return redirect("concerns:detail", pk=pk)
        else:
            form.add_error("token", "Code: that code did not match. Codes change every 30 seconds.")
    return render(
        request,
        "concerns/step_up.html",
        {"concern": concern, "form": form, "has_device": bool(devices)},
        status=400 if form.errors else 200,
    )


@require_GET
def low_level_log(request: ChaperoneRequest) -> HttpResponse:
    """The school's low-level concerns about adults, for the headteacher (or the chair)."""
    school = active_school(request)
    if school is None or not selectors.keeps_low_level_log(request.actor, school.pk):
        raise PermissionDenied("Only the headteacher keeps the low-level concerns log.")
    rows = list(selectors.low_level_log(actor=request.actor, school=school))
    audit_record(
        "concern.low_level_log_viewed",
        actor=request.actor,
        target=school,
        details={"low_level_log": len(rows)},
    )
    return render(
        request,
        "concerns/low_level.html",
        {"school": school, "rows": rows, "now": timezone.now()},
    )


class CategoryForm(forms.Form):
    category = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Name", required=False, max_length=200)
    about_an_adult = forms.BooleanField(
        label="About an adult's conduct (goes to the headteacher)", required=False
    )
    is_active = forms.BooleanField(label="In use", required=False, initial=True)


@require_http_methods(["GET", "POST"])
def categories(request: ChaperoneRequest) -> HttpResponse:
    """The school's concern categories: add one, rename or retire one."""
    school = school_for(request, "concern.configure")
    form = CategoryForm(request.POST or None, prefix="new")
    status = 200
    if request.method == "POST":
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category_save(
                    actor=request.actor,
                    school=school,
                    name=form.cleaned_data["name"],
                    category_id=form.cleaned_data["category"],
                    about_an_adult=form.cleaned_data["about_an_adult"],
                    is_active=form.cleaned_data["is_active"]
                    or form.cleaned_data["category"] is None,
                )
            except ConcernProblem as problem:
                _problem(form, problem)
            else:
                messages.success(request, "The categories are saved.")
                return redirect("concerns:categories")
        status = 400
    return render(
        request,
        "concerns/categories.html",
        {
            "school": school,
            "form": form,
            "rows": categories_for(school, include_retired=True),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def correct_pupils(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Correct who a concern is about (each pupil with their part), with a reason: for whoever
    handles it. The reason and the old and new pupils go in its history (``concern.corrected``
    in the audit). htmx posts get the form back alone; bad input is named by the field and
    keeps what was chosen."""
    concern = selectors.concern_for_actor_or_404(actor=request.actor, concern_id=pk)
    if not selectors.may_manage(request.actor, concern):
        raise PermissionDenied("Only whoever handles this concern corrects it.")
    if concern.is_imported:
        messages.error(request, services.IMPORTED_IS_KEPT)
        return redirect("concerns:detail", pk=pk)
    if selectors.is_historic(concern) and not _stepped_up(request):
        return redirect("concerns:step_up", pk=pk)
    links = list(concern.pupil_links.select_related("pupil").order_by("id"))
    pupils = _pupils(request, concern.school)
    known = {p.pk for p in pupils}
    # the pupils it names now stay choosable even if they have left the school
    pupils += [link.pupil for link in links if link.pupil_id not in known]
    if request.method == "GET":
        concern = selectors.concern_get_for_viewing(actor=request.actor, concern_id=pk)
        initial: dict[str, Any] = {}
        for i, link in enumerate(links[:4]):
            initial[f"pupil_{i}"] = str(link.pupil_id)
            initial[f"role_{i}"] = link.role
        form = CorrectPupilsForm(pupils=pupils, initial=initial)
        return _render_correct_pupils(request, concern, form, links)
    form = CorrectPupilsForm(request.POST, pupils=pupils)
    if form.is_valid():
        try:
            services.concern_correct(
                actor=request.actor,
                concern=concern,
                field="pupils",
                reason=form.cleaned_data["reason"],
                pupils_with_roles=form.chosen_pupils(),
            )
        except ConcernProblem as problem:
            _problem(form, problem)
        else:
            messages.success(
                request, "The pupils are corrected; the reason is kept in its history."
            )
            target = reverse("concerns:detail", args=[pk])
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    # htmx swaps only a 2xx answer: the form with its messages comes back as 200 to htmx
    return _render_correct_pupils(
        request, concern, form, links, status=200 if request.htmx else 400
    )


def _render_correct_pupils(
    request: ChaperoneRequest,
    concern: Concern,
    form: CorrectPupilsForm,
    links: list[Any],
    *,
    status: int = 200,
) -> HttpResponse:
    template = (
        "concerns/_correct_pupils_form.html" if request.htmx else "concerns/correct_pupils.html"
    )
    return render(
        request, template, {"concern": concern, "form": form, "links": links}, status=status
    )
