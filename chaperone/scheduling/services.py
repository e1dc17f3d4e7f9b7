"""Writes of the scheduling app: plan, change and cancel a session, and do its steps.

Every write checks the policy, runs in one transaction, asks the protocol again
(:func:`_judge`) and records a named audit action. Bad input raises :class:`PlanProblem`
naming the field, and a plan the protocol refuses raises :class:`PlanRefused`; neither saves
anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone import rules
from chaperone.audit.log import record as audit_record
from chaperone.people.models import Pupil, StaffAssignment, StaffMember
from chaperone.protocols.effective import EffectiveProtocol, effective_protocol_for_school
from chaperone.protocols.requests import MAX_PUPILS, primary_role
from chaperone.protocols.services import NoProtocolError, protocol_decide
from chaperone.scheduling import consent as parental
from chaperone.scheduling import gate, invitations
from chaperone.scheduling.models import (
    RISK_FORM_VERSION,
    RiskAssessment,
    Session,
    SessionDecision,
    SessionPupil,
    SessionState,
    SessionStep,
    StepKind,
    StepState,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM, Actor
from chaperone.tenancy.querysets import can_for


class PlanProblem(ValueError):
    """A plan that cannot be stored as given: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PlanRefused(ValueError):
    """The protocol refuses the plan as it stands: change what its refusals name."""

    def __init__(self, decision: rules.Decision) -> None:
        super().__init__("The protocol refuses this plan.")
        self.decision = decision


class StepNotOpen(ValueError):
    """The step asked for is not on the session's checklist, or not open."""


@dataclass
class PlanData:
    """What a plan form gives: every field of a session a person chooses."""

    title: str
    kind: str
    purpose: str
    starts_at: datetime
    duration_minutes: int
    platform: str
    host: StaffMember
    pupils: Sequence[Pupil]
    join_url: str = ""
    account: str = "school"
    device: str = "school"
    staff_location: str = "on_site"
    emergency: bool = False
    second_staff: StaffMember | None = None
    dsl_invited: bool = False
    recording: bool = False
    waiting_room: bool = True
    pupil_location: str = "common_room"
    parent_present: bool = False
    chaperone_present: bool = False
    plan_outcome: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: the host's and second adult's roles at the school, read once per plan (see _plan_roles)
    _roles: tuple[tuple[int, int, int | None], dict[int, list[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    FIELDS = (
        "title",
        "kind",
        "purpose",
        "starts_at",
        "duration_minutes",
        "platform",
        "host",
        "join_url",
        "account",
        "device",
        "staff_location",
        "emergency",
        "second_staff",
        "dsl_invited",
        "recording",
        "waiting_room",
        "pupil_location",
        "parent_present",
        "chaperone_present",
        "plan_outcome",
    )

    @classmethod
    def of(cls, session: Session) -> PlanData:
        return cls(
            **{name: getattr(session, name) for name in cls.FIELDS},
            pupils=list(session.pupils.all()),
        )


def _plan_roles(school: School, data: PlanData) -> dict[int, list[str]]:
    """The confirmed roles at ``school`` of the plan's host and second adult, by staff id: one
    query for both, kept on ``data`` while its school, host and second adult stay the same (a
    plan is checked, then judged, from the same data)."""
    second = data.second_staff.pk if data.second_staff is not None else None
    key = (school.pk, data.host.pk, second)
    if data._roles is not None and data._roles[0] == key:
        return data._roles[1]
    ids = [data.host.pk] if second is None else [data.host.pk, second]
    roles: dict[int, list[str]] = {staff_id: [] for staff_id in ids}
    assignments = StaffAssignment.objects.filter(
        staff_id__in=ids, school=school, awaiting_confirmation=False
    ).values_list("staff_id", "role")
    for staff_id, role in assignments:
        roles[staff_id].append(role)
    data._roles = (key, roles)
    return roles


def _check_plan(school: School, data: PlanData, *, changing: Session | None = None) -> None:
    now = timezone.now()
    moved = changing is None or data.starts_at != changing.starts_at
    if moved and data.starts_at < now - timedelta(minutes=1):
        raise PlanProblem("date", "Date and start time: choose a time in the future.")
    if not 1 <= data.duration_minutes <= 480:
        raise PlanProblem("duration_minutes", "Length: enter between 1 and 480 minutes.")
    if not data.pupils:
        raise PlanProblem("pupils", "Pupils: choose at least one pupil.")
    limit = MAX_PUPILS.get(data.kind)
    if limit is not None and len(data.pupils) > limit:
        raise PlanProblem("pupils", "Pupils: a one-to-one or a phone call is with one pupil.")
    if any(p.school_id != school.pk or not p.is_active for p in data.pupils):
        raise PlanProblem("pupils", "Pupils: choose pupils on this school's roll.")
    roles = _plan_roles(school, data)
    if not roles[data.host.pk]:
        raise PlanProblem("host", "Host: choose a member of staff of this school.")
    if data.second_staff is not None:
        if data.second_staff.pk == data.host.pk:
            raise PlanProblem("second_staff", "Second member of staff: choose someone else.")
        if not roles[data.second_staff.pk]:
            raise PlanProblem(
                "second_staff", "Second member of staff: choose someone of this school."
            )


def _plan_for_gate(school: School, data: PlanData, *, parents_informed: bool = False) -> gate.Plan:
    second = data.second_staff
    roles = _plan_roles(school, data)
    return gate.Plan(
        at=data.starts_at,
        kind=data.kind,
        purpose=data.purpose,
        platform=data.platform,
        duration_minutes=data.duration_minutes,
        host_role=primary_role(roles[data.host.pk]),
        pupils=list(data.pupils),
        second_staff_role=primary_role(roles[second.pk]) if second else None,
        account=data.account,
        device=data.device,
        staff_location=data.staff_location,
        emergency=data.emergency,
        dsl_invited=data.dsl_invited,
        recording=data.recording,
        waiting_room=data.waiting_room,
        pupil_location=data.pupil_location,
        parent_present=data.parent_present,
        chaperone_present=data.chaperone_present,
        linked_to_plan=bool(data.plan_outcome.strip()),
        parents_informed=parents_informed,
    )


def _effective(school: School, at: datetime) -> EffectiveProtocol:
    on = at.astimezone(ZoneInfo(school.time_zone)).date()
    effective = effective_protocol_for_school(school, on=on)
    if effective is None:
        raise NoProtocolError(school)
    return effective


@dataclass(frozen=True)
class Preview:
    """What the protocol says of a plan before it is saved."""

    decision: rules.Decision
    steps: list[gate.StepNeeded]
    effective: EffectiveProtocol


def session_preview(*, actor: Actor, school: School, data: PlanData) -> Preview:
    """The protocol's answer to a plan as the form stands (nothing stored): the decision with no
    step done yet, and the steps it will call for. Raises :class:`PlanProblem`."""
    if not actor.can("session.plan", school.pk):
        raise PermissionDenied("You cannot plan sessions in this school.")
    _check_plan(school, data)
    plan = _plan_for_gate(school, data)
    effective = _effective(school, data.starts_at)
    decision, _ = protocol_decide(
        actor=actor,
        school=school,
        request_data=plan.request(),
        record=False,
        effective=effective,
    )
    _, steps = gate.steps_needed(effective, plan)
    pending = {f.code for f in decision.findings if f.effect == "pending"}
    return Preview(decision, [s for s in steps if s.code in pending], effective)


@transaction.atomic
def session_plan(*, actor: Actor, school: School, data: PlanData) -> Session:
    """Store a new session and its checklist. Raises :class:`PlanProblem` or
    :class:`PlanRefused` (nothing stored)."""
    if not actor.can("session.plan", school.pk) or actor.staff_id is None:
        raise PermissionDenied("You cannot plan sessions in this school.")
    if data.host.pk != actor.staff_id and not actor.can("session.manage", school.pk):
        raise PlanProblem("host", "Host: you can plan only sessions you host yourself.")
    _check_plan(school, data)
    now = timezone.now()
    session = Session(school=school, planned_by_id=actor.staff_id, created_at=now, updated_at=now)
    _apply(session, data)
    session.outcome = "pending"
    session.save()
    SessionPupil.objects.bulk_create(SessionPupil(session=session, pupil=p) for p in data.pupils)
    decision = _judge(actor, session, data, reason="planned")
    if decision.outcome == "refused":
        raise PlanRefused(decision)
    audit_record(
        "session.planned",
        actor=actor,
        target=session,
        details={"outcome": decision.outcome, "pupils": len(data.pupils), "kind": session.kind},
    )
    if _consent_open(session):  # sessions (parents): ask the parents once it is stored
        parental.consent_requests_enqueue(session=session)
    return session


@transaction.atomic
def session_change(*, actor: Actor, session: Session, data: PlanData) -> Session:
    """Change a planned session. A change that alters what the protocol asks sends the session
    back through its steps (approvals and assessments done for the old plan are opened again)."""
    session = _locked(session)
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot change this session.")
    if session.is_cancelled:
        raise PlanProblem("", "This session was cancelled; plan a new one instead.")
    if session.state != SessionState.PLANNED or session.starts_at <= timezone.now():
        raise PlanProblem("", "This session has started; it can no longer be changed.")
    _check_plan(session.school, data, changing=session)
    before = {name: getattr(session, name) for name in PlanData.FIELDS}
    consent_was_open = _consent_open(session)
    pupils_before = sorted(session.pupils.values_list("pk", flat=True))
    _apply(session, data)
    session.updated_at = timezone.now()
    session.save()
    SessionPupil.objects.filter(session=session).delete()
    SessionPupil.objects.bulk_create(SessionPupil(session=session, pupil=p) for p in data.pupils)
    decision = _judge(actor, session, data, reason="changed")
    if decision.outcome == "refused":
        raise PlanRefused(decision)
    changed = sorted(n for n in PlanData.FIELDS if before[n] != getattr(session, n))
    if pupils_before != sorted(p.pk for p in data.pupils):
        changed.append("pupils")
    audit_record(
        "session.changed",
        actor=actor,
        target=session,
        details={"outcome": decision.outcome, "changed": changed},
    )
    # sessions (parents): ask again when consent is newly needed or what parents see changed
    if _consent_open(session) and (not consent_was_open or set(changed) & PARENTS_SEE):
        parental.consent_requests_enqueue(session=session)
    return session


#: the fields of a plan that the parents' consent request shows them
PARENTS_SEE = frozenset(
    {
        "title",
        "kind",
        "purpose",
        "starts_at",
        "duration_minutes",
        "platform",
        "host",
        "recording",
        "pupil_location",
        "parent_present",
        "chaperone_present",
        "pupils",
    }
)


def _consent_open(session: Session) -> bool:
    return session.steps.filter(kind=StepKind.CONSENT).exclude(state=StepState.DONE).exists()


@transaction.atomic
def session_cancel(*, actor: Actor, session: Session, reason: str) -> Session:
    session = _locked(session)
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot cancel this session.")
    if session.is_cancelled:
        return session
    if session.state != SessionState.PLANNED:
        raise PlanProblem("", "This call has started; it can no longer be cancelled.")
    reason = reason.strip()
    if not reason:
        raise PlanProblem("reason", "Reason: say why the session is cancelled.")
    session.state = SessionState.CANCELLED
    session.updated_at = timezone.now()
    invitations.on_cancelled(session)  # calendars: METHOD:CANCEL to whoever holds it
    session.save(update_fields=["state", "updated_at", "sequence"])
    audit_record("session.cancelled", actor=actor, target=session, details={"reason": reason})
    return session


# --- steps ------------------------------------------------------------------------------------


@transaction.atomic
def session_approve(
    *, actor: Actor, session: Session, approve: bool, note: str = "", risk: dict[str, Any] | None
) -> SessionStep:
    """A senior leader approves (or refuses, with a reason) the session. Where the protocol also
    asks for a risk assessment, ``risk`` holds its answers and is stored with the approval.
    Nobody approves a session they host or planned."""
    session = _locked(session)
    if not actor.can("session.approve", session.school_id):
        raise PermissionDenied("You cannot approve sessions in this school.")
    if actor.staff_id in (session.host_id, session.planned_by_id, session.second_staff_id):
        raise PermissionDenied("Nobody approves a session they take part in or planned.")
    step = _open_step(session, StepKind.APPROVAL)
    note = note.strip()
    if not approve and not note:
        raise PlanProblem("note", "Reason: say why the session is not approved.")
    risk_step = session.steps.filter(kind=StepKind.RISK_ASSESSMENT).first()
    if approve and risk_step is not None and not risk_step.is_done:
        if not risk:
            raise PlanProblem("risk", "Risk assessment: answer it before approving.")
        _write_risk_assessment(actor, session, risk_step, risk)
    now = timezone.now()
    step.state = StepState.DONE if approve else StepState.REFUSED
    step.done_by_id = actor.staff_id
    step.done_at = now
    step.note = note
    step.save()
    decision = _judge(
        actor, session, PlanData.of(session), reason="approved" if approve else "refused"
    )
    audit_record(
        "session.approved" if approve else "session.approval_refused",
        actor=actor,
        target=session,
        details={"outcome": decision.outcome, **({"reason": note} if not approve else {})},
    )
    return step


@transaction.atomic
def session_assess_risk(*, actor: Actor, session: Session, risk: dict[str, Any]) -> SessionStep:
    session = _locked(session)
    if not actor.can("session.assess_risk", session.school_id):
        raise PermissionDenied("You cannot write risk assessments in this school.")
    step = _open_step(session, StepKind.RISK_ASSESSMENT)
    _write_risk_assessment(actor, session, step, risk)
    _judge(actor, session, PlanData.of(session), reason="risk_assessed")
    return step


def _write_risk_assessment(
    actor: Actor, session: Session, step: SessionStep, risk: dict[str, Any]
) -> RiskAssessment:
    assert actor.staff_id is not None
    assessment = RiskAssessment.objects.create(
        session=session,
        form_version=RISK_FORM_VERSION,
        answers=risk,
        written_by_id=actor.staff_id,
    )
    step.state = StepState.DONE
    step.done_by_id = actor.staff_id
    step.done_at = assessment.written_at
    step.save()
    audit_record(
        "session.risk_assessed",
        actor=actor,
        target=session,
        details={"assessment_id": assessment.pk, "form": assessment.form_version},
    )
    return assessment


@transaction.atomic
def session_record_consent(*, actor: Actor, session: Session, note: str) -> SessionStep:
    """Staff record that a parent's written consent arrived (by letter, email or form)."""
    session = _locked(session)
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot record consent for this session.")
    note = note.strip()
    if not note:
        raise PlanProblem("note", "Who consented, and how: say whose consent arrived and how.")
    step = _open_step(session, StepKind.CONSENT)
    _done(actor, step, note)
    _judge(actor, session, PlanData.of(session), reason="consent")
    return step


@transaction.atomic
def session_invite_dsl(*, actor: Actor, session: Session) -> SessionStep:
    session = _locked(session)
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot change this session.")
    step = _open_step(session, StepKind.INVITE_DSL)
    session.dsl_invited = True
    session.save(update_fields=["dsl_invited"])
    _done(actor, step, "")
    _judge(actor, session, PlanData.of(session), reason="dsl_invited")
    return step


@transaction.atomic
def session_record_parents_informed(
    *, actor: Actor, session: Session, on: Any, note: str = ""
) -> SessionStep:
    session = _locked(session)
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot change this session.")
    if on is None or on > timezone.localdate():
        raise PlanProblem("on", "Date the parents were told: enter a date today or earlier.")
    step = _open_step(session, StepKind.PARENTS_INFORMED)
    session.parents_informed_on = on
    session.save(update_fields=["parents_informed_on"])
    _done(actor, step, note.strip())
    _judge(actor, session, PlanData.of(session), reason="parents_informed")
    return step


def _done(actor: Actor, step: SessionStep, note: str) -> None:
    step.state = StepState.DONE
    step.done_by_id = actor.staff_id
    step.done_at = timezone.now()
    step.note = note
    step.save()
    audit_record(
        "session.step_completed",
        actor=actor,
        target=step.session,
        details={"step": step.kind},
    )


def _open_step(session: Session, kind: str) -> SessionStep:
    step = session.steps.filter(kind=kind).first()
    if step is None or step.state == StepState.DONE:
        raise StepNotOpen(kind)
    if session.is_cancelled:
        raise StepNotOpen(kind)
    return step


def _locked(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("school").get(pk=session.pk)


def _apply(session: Session, data: PlanData) -> None:
    for name in PlanData.FIELDS:
        setattr(session, name, getattr(data, name))


# --- judging ----------------------------------------------------------------------------------


def _judge(actor: Actor, session: Session, data: PlanData, *, reason: str) -> rules.Decision:
    """Ask the protocol again: the checklist's steps from the bare plan, the session's outcome
    from the plan with the steps done, stored with the versions used. A change of what the bare
    plan calls for opens again every step a person had done (or refused)."""
    school = session.school
    plan = _plan_for_gate(school, data, parents_informed=session.parents_informed_on is not None)
    effective = _effective(school, session.starts_at)
    bare, needed = gate.steps_needed(effective, plan)
    signature = [bare.outcome, [list(pair) for pair in gate.signature(bare)[1]]]
    existing = {s.kind: s for s in session.steps.all()}
    reopened: list[str] = []
    if session.bare_signature and session.bare_signature != signature:
        # sessions (parents): consent given for the old plan of this session no longer counts
        if parental.consent_supersede(session) and StepKind.CONSENT in existing:
            reopened.append(StepKind.CONSENT)
        for was_done in existing.values():
            if was_done.kind in gate.PERSON_STEPS and was_done.state != StepState.OPEN:
                was_done.state = StepState.OPEN
                was_done.done_by = None
                was_done.done_at = None
                was_done.note = ""
                was_done.save()
                reopened.append(was_done.kind)
    # consent: written consent a member of staff recorded (on paper), else the parents'
    # answers through their links (sessions: parents)
    consent_step = existing.get(StepKind.CONSENT)
    on_paper = (
        consent_step is not None
        and consent_step.state == StepState.DONE
        and consent_step.done_by_id is not None
    )
    consent = "written" if on_paper else parental.consent_level(session)
    done = [k for k, s in existing.items() if s.state == StepState.DONE and k != StepKind.CONSENT]
    decision, row = protocol_decide(
        actor=actor,
        school=school,
        request_data=plan.request(done, consent=consent),
        record=True,
        effective=effective,
    )
    assert row is not None
    still_pending = {f.code for f in decision.findings if f.effect == "pending"}
    kinds = {n.kind for n in needed}
    for order, need in enumerate(needed):
        step = existing.get(need.kind) or SessionStep(session=session, kind=need.kind)
        step.code, step.remedy, step.order = need.code, need.remedy, order
        if need.kind == StepKind.CONSENT and not on_paper:
            met = need.code not in still_pending
            if met and step.state != StepState.DONE:
                step.state, step.done_by, step.done_at = StepState.DONE, None, timezone.now()
                step.note = (
                    "Implied consent, until a parent confirms it."
                    if consent == "implied"
                    else "Given by the parents through their links."
                )
            elif not met and step.state == StepState.DONE:
                step.state, step.done_by, step.done_at, step.note = StepState.OPEN, None, None, ""
        elif need.kind not in gate.PERSON_STEPS:
            met = need.code not in still_pending
            if met and step.state != StepState.DONE:
                step.state, step.done_at = StepState.DONE, step.done_at or timezone.now()
            elif not met:
                step.state, step.done_by, step.done_at = StepState.OPEN, None, None
        step.save()
    SessionStep.objects.filter(session=session).exclude(kind__in=kinds).delete()
    # calendars: raise the SEQUENCE where recipients must see it; invitations after commit
    invitations.on_judged(session, before=session.outcome, after=decision.outcome, reason=reason)
    session.outcome = decision.outcome
    session.bare_signature = signature
    session.save(update_fields=["outcome", "bare_signature", "sequence"])
    SessionDecision.objects.create(session=session, decision=row, reason=reason)
    reopened = sorted(set(reopened) & kinds)
    if reopened:
        audit_record(
            "session.steps_reopened",
            actor=actor,
            target=session,
            details={"steps": reopened},
        )
    return decision


@transaction.atomic
def session_judge_again(*, session: Session, reason: str) -> rules.Decision:
    """The system asks the protocol again about a session whose steps changed outside a staff
    member's action (a parent answered through their link)."""
    session = _locked(session)
    return _judge(SYSTEM, session, PlanData.of(session), reason=reason)


def consent_accepts_implied(session: Session) -> bool:
    """Whether implied consent would complete the session's consent step under its protocol."""
    step = session.steps.filter(kind=StepKind.CONSENT).first()
    if step is None:
        return False
    school = session.school
    plan = _plan_for_gate(
        school, PlanData.of(session), parents_informed=session.parents_informed_on is not None
    )
    done = [
        s.kind
        for s in session.steps.all()
        if s.state == StepState.DONE and s.kind != StepKind.CONSENT
    ]
    effective = _effective(school, session.starts_at)
    decision = effective.decide(rules.parse_request(plan.request(done, consent="implied")))
    return not any(f.code == step.code and f.effect == "pending" for f in decision.findings)


def may_start(session: Session) -> bool:
    """A session may start only when the protocol allows it as planned, with its steps done."""
    return session.state == SessionState.PLANNED and session.outcome == "allowed"
