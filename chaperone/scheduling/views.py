"""Pages of the scheduling app: plan a session (the protocol's answer updating as the form
changes), its checklist, approval, the steps, and the DSL's timetable. Thin: forms parse,
services write, selectors read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.core.http import ChaperoneRequest
from chaperone.people.models import StaffMember
from chaperone.protocols.effective import today_at
from chaperone.protocols.services import NoProtocolError
from chaperone.protocols.shown import StaffDecision
from chaperone.scheduling import selectors, series, services
from chaperone.scheduling.forms import (
    ApprovalForm,
    CancelForm,
    NoteForm,
    ParentsInformedForm,
    PlanForm,
    RiskForm,
    TimetableFilterForm,
    data_of,
    initial_plan,
)
from chaperone.scheduling.models import Session, SessionState, StepKind, StepState, latest_decision
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import school_for


def _me(request: ChaperoneRequest, school: School) -> StaffMember:
    staff_id = request.actor.staff_id
    if staff_id is None:
        raise PermissionDenied("Only members of staff plan sessions.")
    return StaffMember.objects.get(pk=staff_id)


def _plan_form(
    request: ChaperoneRequest,
    school: School,
    host: StaffMember,
    data: Any = None,
    *,
    repeat: bool = True,
) -> PlanForm:
    return PlanForm(
        data,
        pupils=selectors.pupils_to_choose(actor=request.actor, school=school),
        staff=selectors.staff_to_choose(actor=request.actor, school=school),
        host=host,
        repeat=repeat,
    )


def _preview(
    request: ChaperoneRequest, form: PlanForm, school: School, session: Session | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "school": school}
    if not form.is_valid():
        return context
    try:
        preview = services.session_preview(
            actor=request.actor, school=school, data=form.plan_data(school.time_zone)
        )
    except services.PlanProblem as problem:
        form.add_problem(problem)
        return context
    except NoProtocolError:
        context["no_protocol"] = True
        return context
    context.update(shown=StaffDecision.of(preview.decision), preview=preview)
    changing = request.POST.get("changing", "")  # the change page's live check: not itself
    context["clashes"] = series.clashes_of_plan(  # calendars: flagged, never blocking
        school=school,
        data=form.plan_data(school.time_zone),
        repeats=form.repeats(),
        exclude_id=session.pk if session else _id_or_none(changing),
        reader=request.actor,
    )
    return context


def _id_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 18 else None


@require_GET
def session_list(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "session.plan")
    upcoming = selectors.my_sessions(actor=request.actor, school=school)
    past = selectors.my_sessions(actor=request.actor, school=school, past=True)[:20]
    return render(
        request,
        "scheduling/session_list.html",
        {
            "school": school,
            "upcoming": upcoming,
            "past": past,
            "sees_timetable": request.actor.can("session.timetable", school.pk),
        },
    )


@require_http_methods(["GET", "POST"])
def session_plan(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "session.plan")
    host = _me(request, school)
    if request.method == "GET":
        form = _plan_form(request, school, host)
        form.initial = initial_plan(today_at(school).isoformat())
        return render(request, "scheduling/plan.html", {"form": form, "school": school})
    form = _plan_form(request, school, host, request.POST)
    context = _preview(request, form, school)
    if "shown" in context and form.repeats():
        return _plan_series(request, form, school, context)
    if "shown" in context:
        try:
            session = services.session_plan(
                actor=request.actor, school=school, data=form.plan_data(school.time_zone)
            )
        except services.PlanProblem as problem:
            form.add_problem(problem)
        except services.PlanRefused as refused:
            context["shown"] = StaffDecision.of(refused.decision)
            form.add_error(
                None,
                "The protocol does not allow this session as planned: change "
                "what the answer lists under 'What stops this call'.",
            )
        else:
            messages.success(request, f"Session planned: {session}.")
            return redirect("scheduling:detail", pk=session.pk)
    return render(request, "scheduling/plan.html", context, status=200)


def _plan_series(
    request: ChaperoneRequest, form: PlanForm, school: School, context: dict[str, Any]
) -> HttpResponse:
    """Plan a weekly series (calendars part): every occurrence, or nothing."""
    repeats = form.repeats()
    assert repeats is not None
    until, count = repeats
    try:
        sessions = series.series_plan(
            actor=request.actor,
            school=school,
            data=form.plan_data(school.time_zone),
            until=until,
            count=count,
        )
    except series.SeriesProblem as problem:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
    except services.PlanProblem as problem:
        form.add_problem(problem)
    except series.SeriesRefused as refused:
        context["shown"] = StaffDecision.of(refused.decision)
        form.add_error(
            None,
            f"The protocol does not allow the session of {refused.on.day} {refused.on:%B %Y} "
            "as planned, so no session of the series was saved: change what the answer lists "
            "under 'What stops this call'.",
        )
    else:
        messages.success(request, f"Weekly series planned: {len(sessions)} sessions.")
        return redirect("scheduling:detail", pk=sessions[0].pk)
    return render(request, "scheduling/plan.html", context)


@require_POST
def session_check(request: ChaperoneRequest) -> HttpResponse:
    """The protocol's answer alone, for htmx: judged on every change of the plan form."""
    school = school_for(request, "session.plan")
    form = _plan_form(request, school, _me(request, school), request.POST)
    return render(request, "scheduling/_answer.html", _preview(request, form, school))


def _session(request: ChaperoneRequest, pk: int) -> Session:
    return selectors.session_get_for_viewing(actor=request.actor, session_id=pk)


@require_GET
def session_detail(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    return render(request, "scheduling/detail.html", _detail_context(request, session))


def _detail_context(request: ChaperoneRequest, session: Session, **extra: Any) -> dict[str, Any]:
    actor = request.actor
    manages = selectors.may_manage(actor, session)
    steps = list(session.steps.all())
    own = actor.staff_id in (session.host_id, session.planned_by_id, session.second_staff_id)
    latest = latest_decision(session)
    return {
        "session": session,
        "school": session.school,
        "steps": steps,
        "manages": manages and session.state == SessionState.PLANNED,
        "may_approve": actor.can("session.approve", session.school_id) and not own,
        "may_assess": actor.can("session.assess_risk", session.school_id),
        "may_start": services.may_start(session),
        "decision": latest,
        "clashes": series.clashes_of_session(session, actor),  # calendars part
        "StepKind": StepKind,
        "StepState": StepState,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def session_change(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not selectors.may_manage(request.actor, session) or session.state != SessionState.PLANNED:
        raise Http404("No such record.")
    school = session.school
    data = request.POST if request.method == "POST" else data_of(session, school.time_zone)
    form = _plan_form(request, school, session.host, data, repeat=False)
    context = _preview(request, form, school, session)
    context["session"] = session
    if request.method == "POST" and "shown" in context:
        try:
            services.session_change(
                actor=request.actor, session=session, data=form.plan_data(school.time_zone)
            )
        except services.PlanProblem as problem:
            form.add_problem(problem)
        except services.PlanRefused as refused:
            context["shown"] = StaffDecision.of(refused.decision)
            form.add_error(
                None, "The protocol does not allow the session as changed; nothing was saved."
            )
        else:
            messages.success(request, "Session changed.")
            return redirect("scheduling:detail", pk=session.pk)
    return render(request, "scheduling/plan.html", context)


@require_http_methods(["GET", "POST"])
def session_approval(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not request.actor.can("session.approve", session.school_id):
        raise PermissionDenied("You cannot approve sessions in this school.")
    step = next((s for s in session.steps.all() if s.kind == StepKind.APPROVAL), None)
    if step is None or step.state == StepState.DONE:
        messages.info(request, "This session has no approval waiting.")
        return redirect("scheduling:detail", pk=session.pk)
    with_risk = any(
        s.kind == StepKind.RISK_ASSESSMENT and s.state != StepState.DONE
        for s in session.steps.all()
    )
    form = ApprovalForm(request.POST or None, with_risk=with_risk)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.session_approve(
                actor=request.actor,
                session=session,
                approve=approve,
                note=form.cleaned_data["note"],
                risk=form.risk_answers() if approve else None,
            )
        except services.PlanProblem as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        except services.StepNotOpen:
            messages.info(request, "This session has no approval waiting.")
            return redirect("scheduling:detail", pk=session.pk)
        else:
            messages.success(
                request, "Approved." if approve else "Not approved; the host is told why."
            )
            return redirect("scheduling:detail", pk=session.pk)
    return render(
        request,
        "scheduling/approval.html",
        {"session": session, "school": session.school, "form": form, "with_risk": with_risk},
    )


@require_http_methods(["GET", "POST"])
def session_risk(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not request.actor.can("session.assess_risk", session.school_id):
        raise PermissionDenied("You cannot write risk assessments in this school.")
    form = RiskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_assess_risk(actor=request.actor, session=session, risk=form.answers())
        except services.StepNotOpen:
            messages.info(request, "This session needs no risk assessment now.")
        else:
            messages.success(request, "Risk assessment saved.")
        return redirect("scheduling:detail", pk=session.pk)
    return render(
        request,
        "scheduling/risk.html",
        {"session": session, "school": session.school, "form": form},
    )


@require_POST
def session_step(request: ChaperoneRequest, pk: int, kind: str) -> HttpResponse:
    """The host's small steps: invite the DSL, record consent that arrived, record that parents
    were told."""
    session = _session(request, pk)
    if not selectors.may_manage(request.actor, session):
        raise Http404("No such record.")
    try:
        if kind == StepKind.INVITE_DSL:
            services.session_invite_dsl(actor=request.actor, session=session)
            messages.success(request, "The DSL is invited.")
        elif kind == StepKind.CONSENT:
            form = NoteForm(request.POST)
            note = form.data.get("note", "") if form.is_valid() else ""
            services.session_record_consent(actor=request.actor, session=session, note=note)
            messages.success(request, "Consent recorded.")
        elif kind == StepKind.PARENTS_INFORMED:
            informed = ParentsInformedForm(request.POST)
            if not informed.is_valid():
                raise services.PlanProblem("on", str(informed.errors["on"][0]))
            services.session_record_parents_informed(
                actor=request.actor, session=session, on=informed.cleaned_data["on"]
            )
            messages.success(request, "Recorded that the parents were told.")
        else:
            raise Http404("No such step.")
    except services.PlanProblem as problem:
        context = _detail_context(request, session, step_error=(kind, problem.message))
        return render(request, "scheduling/detail.html", context, status=400)
    except services.StepNotOpen:
        messages.info(request, "That step is not open on this session.")
    return redirect("scheduling:detail", pk=session.pk)


@require_POST
def session_cancel(request: ChaperoneRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if not selectors.may_manage(request.actor, session):
        raise Http404("No such record.")
    form = CancelForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, session, cancel_form=form)
        return render(request, "scheduling/detail.html", context, status=400)
    try:
        services.session_cancel(
            actor=request.actor, session=session, reason=form.cleaned_data["reason"]
        )
    except services.PlanProblem as problem:
        messages.error(request, problem.message)
        return redirect("scheduling:detail", pk=session.pk)
    messages.success(request, "Session cancelled.")
    return redirect("scheduling:detail", pk=session.pk)


@require_GET
def timetable(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "session.timetable")
    staff = selectors.staff_to_choose(actor=request.actor, school=school)
    form = TimetableFilterForm(request.GET or None, staff=staff)
    today = today_at(school)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    view = cleaned.get("view") or "week"
    start = cleaned.get("start") or today
    if view == "week":
        start = selectors.week_start(start)
    days = 7 if view == "week" else 1
    staff_pick = cleaned.get("staff")
    filters = selectors.TimetableFilter(
        staff_id=staff_pick.pk if staff_pick else None,
        kind=cleaned.get("kind") or "",
        outcome=cleaned.get("outcome") or "",
    )
    table = selectors.timetable(
        actor=request.actor, school=school, start=start, days=days, filters=filters
    )
    step = timedelta(days=days)
    return render(
        request,
        "scheduling/timetable.html",
        {
            "school": school,
            "form": form,
            "days": table,
            "view": view,
            "start": start,
            "previous": start - step,
            "next": start + step,
            "count": sum(len(d.sessions) for d in table),
            "today": today,
        },
    )
