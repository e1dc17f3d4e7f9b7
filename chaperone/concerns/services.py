"""Writes of the concerns app: raise a concern and tell whoever must hear of it at once, then
everything its handlers add (acknowledgement, assignment, actions, decisions, outcome, closure,
sign-off, the allegations record) and what anyone adds later (addenda, corrections).

Every write checks the actor, runs in one transaction and records its audit event in it. A
submitted concern is never edited: what changes is added as a :class:`ConcernEntry`. Emails go
from a task enqueued once the transaction commits, so a concern rolled back is never announced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import (
    ActionKind,
    ActionStatus,
    Allegation,
    AllegationLevel,
    AllegationOutcome,
    Concern,
    ConcernAction,
    ConcernAttachment,
    ConcernCategory,
    ConcernDraft,
    ConcernEntry,
    ConcernPupil,
    ConcernRoute,
    ConcernSource,
    ConcernStatus,
    EntryKind,
    PupilRole,
    Urgency,
)
from chaperone.concerns.selectors import concerns_visible, may_manage
from chaperone.core.mail import send_email_quietly
from chaperone.people.models import Pupil, StaffAssignment, StaffMember
from chaperone.people.selectors import holders_at_school, staff_to_tell
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM, Actor

log = structlog.get_logger(__name__)

#: whom a new concern is emailed to at once, by route (the policy's "who is told" entries)
ALERT_ACTIONS: Mapping[str, str] = {
    ConcernRoute.SAFEGUARDING: "concern.alert",
    ConcernRoute.HEADTEACHER: "concern.alert_about_staff",
    ConcernRoute.CHAIR: "concern.alert_about_head",
}
#: kept for callers of the first version
ALERT_ACTION = ALERT_ACTIONS[ConcernRoute.SAFEGUARDING]

#: days from an action's creation to its due date, unless the DSL sets one (referrals and the
#: police the same or next day, as local safeguarding partnerships expect)
ACTION_DUE_DAYS_DEFAULT: Mapping[str, int] = {
    ActionKind.REFER_SOCIAL_CARE: 1,
    ActionKind.POLICE: 0,
    ActionKind.LADO: 1,
    ActionKind.CALL_PARENT: 1,
    ActionKind.EARLY_HELP: 5,
    ActionKind.MONITOR: 14,
    ActionKind.OTHER: 7,
}

BODY_MAP_SIDES = ("front", "back")
MAX_BODY_MARKS = 30


class ConcernProblem(ValueError):
    """A concern that cannot be stored as given: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def action_due_days(kind: str) -> int:
    configured = getattr(settings, "CONCERNS_ACTION_DUE_DAYS", {})
    return int(configured.get(kind, ACTION_DUE_DAYS_DEFAULT.get(kind, 7)))


# --- raising -----------------------------------------------------------------------------------


def _clean_body_map(marks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if len(marks) > MAX_BODY_MARKS:
        raise ConcernProblem("body_map", f"Body map: mark at most {MAX_BODY_MARKS} places.")
    cleaned = []
    for mark in marks:
        try:
            side = str(mark["side"])
            x, y = float(mark["x"]), float(mark["y"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConcernProblem("body_map", "Body map: a mark could not be read.") from exc
        if side not in BODY_MAP_SIDES or not (0 <= x <= 100 and 0 <= y <= 100):
            raise ConcernProblem("body_map", "Body map: a mark is outside the outline.")
        note = str(mark.get("note", "")).strip()[:500]
        cleaned.append({"side": side, "x": round(x, 1), "y": round(y, 1), "note": note})
    return cleaned


def _route_for(school: School, about_staff: StaffMember | None) -> str:
    """A concern naming a member of staff goes to the headteacher; one naming someone who would
    handle it (the headteacher) to the chair of governors."""
    if about_staff is None:
        return ConcernRoute.SAFEGUARDING
    handlers = holders_at_school(action="concern.about_staff", school_id=school.pk)
    if handlers.filter(pk=about_staff.pk).exists():
        return ConcernRoute.CHAIR
    return ConcernRoute.HEADTEACHER


def _check_pupils(
    school: School, pupils_with_roles: Sequence[tuple[Pupil, str]], *, required: bool
) -> None:
    if required and not pupils_with_roles:
        raise ConcernProblem("pupils", "Pupils: choose at least one pupil.")
    seen: set[int] = set()
    for pupil, role in pupils_with_roles:
        if pupil.school_id != school.pk:
            raise ConcernProblem("pupils", "Pupils: choose pupils of this school.")
        if role not in PupilRole.values:
            raise ConcernProblem("pupils", f"Pupils: choose {pupil.display_name}'s part in it.")
        if pupil.pk in seen:
            raise ConcernProblem("pupils", f"Pupils: {pupil.display_name} is listed twice.")
        seen.add(pupil.pk)


def _works_at(staff: StaffMember, school: School) -> bool:
    return StaffAssignment.objects.filter(staff=staff, school=school).exists() or (
        staff.trust_id == school.trust_id
        and StaffAssignment.objects.filter(staff=staff, school__isnull=True).exists()
    )


def concern_raise(
    *,
    actor: Actor,
    school: School,
    pupils_with_roles: Sequence[tuple[Pupil, str]],
    summary: str,
    source: str = ConcernSource.STAFF,
    category: ConcernCategory | None = None,
    urgency: str = Urgency.ROUTINE,
    childs_words: str = "",
    occurred_at: dt.datetime | None = None,
    body_map: Sequence[Mapping[str, Any]] = (),
    about_staff: StaffMember | None = None,
    told_by: str = "",
    source_label: str = "",
    source_ref: str = "",
    source_details: Mapping[str, Any] | None = None,
    draft: ConcernDraft | None = None,
    link: str = "",
) -> Concern:
    """Store a concern about ``pupils_with_roles`` (each pupil with their part in it) at
    ``school`` and tell whoever must hear of it (the team, or for a concern naming a member of
    staff the headteacher, or the chair of governors when it names the head) once the
    transaction commits. ``draft`` (the raiser's own) is removed and its files move to the
    concern. ``link`` is where the email points."""
    if not actor.can("concern.raise", school.pk) or actor.staff_id is None:
        raise PermissionDenied("You cannot raise concerns in this school.")
    summary = summary.strip()
    if not summary:
        raise ConcernProblem("summary", "What you saw or heard: say what happened.")
    if category is not None and (category.school_id != school.pk or not category.is_active):
        raise ConcernProblem("category", "Category: choose one of the school's categories.")
    if category is not None and category.about_an_adult and about_staff is None:
        raise ConcernProblem("about_staff", "Member of staff: say whom the concern is about.")
    if about_staff is not None and not _works_at(about_staff, school):
        raise ConcernProblem("about_staff", "Member of staff: choose someone at this school.")
    if about_staff is not None and about_staff.pk == actor.staff_id:
        raise ConcernProblem("about_staff", "Member of staff: you cannot name yourself.")
    _check_pupils(school, pupils_with_roles, required=about_staff is None)
    if urgency not in Urgency.values:
        raise ConcernProblem("urgency", "Urgency: choose routine or urgent.")
    if source not in ConcernSource.values:
        raise ConcernProblem("source", "Source: not one Chaperone knows.")
    now = timezone.now()
    if occurred_at is not None and occurred_at > now + dt.timedelta(minutes=5):
        raise ConcernProblem("occurred_at", "When it happened: the time is in the future.")
    marks = _clean_body_map(body_map)
    if draft is not None and (draft.author_id != actor.staff_id or draft.school_id != school.pk):
        draft = None
    with transaction.atomic():
        concern = Concern.objects.create(
            school=school,
            raised_by_id=actor.staff_id,
            raised_at=now,
            occurred_at=occurred_at,
            summary=summary,
            childs_words=childs_words.strip(),
            category=category,
            urgency=urgency,
            source=source,
            source_label=source_label[:200],
            source_ref=source_ref[:40],
            source_details=dict(source_details or {}),
            told_by=told_by.strip()[:200],
            body_map=marks,
            about_staff=about_staff,
            route=_route_for(school, about_staff),
        )
        ConcernPupil.objects.bulk_create(
            ConcernPupil(concern=concern, pupil=p, role=role) for p, role in pupils_with_roles
        )
        if about_staff is not None:
            Allegation.objects.create(concern=concern)
        files = 0
        if draft is not None:
            files = ConcernAttachment.objects.filter(draft=draft).update(
                concern=concern, draft=None
            )
            draft.delete()
        audit_record(
            "concern.raised",
            actor=actor,
            target=concern,
            details={
                "pupils": len(pupils_with_roles),
                "source": source,
                "urgency": urgency,
                "route": concern.route,
                "files": files,
            },
        )
        concern_id = concern.pk
        transaction.on_commit(lambda: _enqueue_alert(concern_id, link))
    return concern


def _enqueue_alert(concern_id: int, link: str) -> None:
    from chaperone.concerns.tasks import send_concern_alert

    send_concern_alert.enqueue(concern_id, link)


def recipients_for(concern: Concern, action: str) -> list[StaffMember]:
    """Who a notice about ``concern`` goes to: the holders of ``action`` at its school with an
    address, never the member of staff it names."""
    return [
        s
        for s in staff_to_tell(action=action, school_id=concern.school_id)
        if s.pk != concern.about_staff_id
    ]


def concern_alert_send(*, concern_id: int, link: str = "") -> int:
    """Email whoever must hear of the new concern (by its route: the team, the head or the
    chair), HTML and text; returns how many were emailed. Sent once: a concern already alerted
    is left alone."""
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update()
            .filter(pk=concern_id, alert_sent_at__isnull=True)
            .first()
        )
        if concern is None:
            return 0
        concern = Concern.objects.select_related("school", "raised_by", "category").get(
            pk=concern.pk
        )
        recipients = recipients_for(concern, ALERT_ACTIONS[concern.route])
        if not recipients:
            log.warning("concern_nobody_to_alert", concern=concern.pk, school=concern.school_id)
            return 0
        pupils = list(concern.pupils.order_by("last_name", "first_name", "id"))
        context = {"concern": concern, "pupils": pupils, "link": link}
        addresses = [s.notice_email for s in recipients]
        if not send_email_quietly("concerns/email/alert", context, addresses, separately=False):
            return 0
        concern.alert_sent_at = timezone.now()
        concern.save(update_fields=["alert_sent_at"])
        audit_record(
            "concern.alert_sent",
            actor=SYSTEM,
            target=concern,
            details={"to": len(recipients), "route": concern.route},
        )
        return len(recipients)


# --- drafts ------------------------------------------------------------------------------------

#: what a draft keeps: the raise form's own fields, nothing else
DRAFT_FIELDS = (
    "summary",
    "childs_words",
    "category",
    "urgency",
    "occurred_at",
    "told_by",
    "about_staff",
    "pupils",
    "pupil_roles",
    "body_map",
    "source",
    "source_label",
    "source_ref",
)


#: the most a draft keeps of one typed value (a draft holds what was typed, unchecked)
DRAFT_VALUE_LIMIT = 20_000


def _draft_value(value: Any) -> Any:
    """A typed value as a draft keeps it: text without NUL characters (no database stores them
    in text or JSON) and at most :data:`DRAFT_VALUE_LIMIT` characters; lists value by value."""
    if isinstance(value, list | tuple):
        return [_draft_value(v) for v in value[:50]]
    if isinstance(value, dict):
        return {_draft_value(k): _draft_value(v) for k, v in list(value.items())[:50]}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value).replace("\x00", "")[:DRAFT_VALUE_LIMIT]


def draft_save(
    *, actor: Actor, school: School, data: Mapping[str, Any], draft: ConcernDraft | None = None
) -> ConcernDraft:
    """Keep what the actor has typed so far (their own draft; a new one without ``draft``)."""
    if not actor.can("concern.raise", school.pk) or actor.staff_id is None:
        raise PermissionDenied("You cannot raise concerns in this school.")
    kept = {k: _draft_value(data[k]) for k in DRAFT_FIELDS if k in data}
    now = timezone.now()
    if draft is None:
        draft = ConcernDraft.objects.create(
            school=school, author_id=actor.staff_id, data=kept, created_at=now, updated_at=now
        )
    else:
        if draft.author_id != actor.staff_id:
            raise PermissionDenied("Not your draft.")
        draft.data = kept
        draft.updated_at = now
        draft.save(update_fields=["data", "updated_at"])
    return draft


def draft_discard(*, actor: Actor, draft: ConcernDraft) -> None:
    if draft.author_id != actor.staff_id:
        raise PermissionDenied("Not your draft.")
    with transaction.atomic():
        for attachment in ConcernAttachment.objects.filter(draft=draft, concern__isnull=True):
            attachment.file.delete(save=False)
            attachment.delete()
        draft.delete()


# --- after submission: anyone who may read it ------------------------------------------------


def _entry(
    concern: Concern, actor: Actor | None, kind: str, text: str = "", **details: Any
) -> ConcernEntry:
    return ConcernEntry.objects.create(
        concern=concern,
        kind=kind,
        text=text,
        details=details,
        by_id=actor.staff_id if actor is not None else None,
    )


def concern_addendum_add(*, actor: Actor, concern: Concern, text: str) -> ConcernEntry:
    """Add to a submitted concern (its raiser, or whoever handles it)."""
    text = text.strip()
    if not text:
        raise ConcernProblem("text", "What you are adding: write it down.")
    if concern.raised_by_id != actor.staff_id and not may_manage(actor, concern):
        raise PermissionDenied("You cannot add to this concern.")
    with transaction.atomic():
        entry = _entry(concern, actor, EntryKind.ADDENDUM, text)
        audit_record("concern.addendum_added", actor=actor, target=concern)
    return entry


CORRECTABLE = ("category", "occurred_at", "pupils")


def concern_correct(
    *,
    actor: Actor,
    concern: Concern,
    field: str,
    reason: str,
    category: ConcernCategory | None = None,
    occurred_at: dt.datetime | None = None,
    pupils_with_roles: Sequence[tuple[Pupil, str]] = (),
) -> ConcernEntry:
    """Correct a concern's category, date or pupils: only with a reason, kept in its history
    (the old and the new value)."""
    if not may_manage(actor, concern):
        raise PermissionDenied("You cannot correct this concern.")
    _not_imported(concern)
    reason = reason.strip()
    if field not in CORRECTABLE:
        raise ConcernProblem("field", "What to correct: the category, the date or the pupils.")
    if not reason:
        raise ConcernProblem("reason", "Reason: say why it is corrected.")
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if field == "category":
            if category is None or category.school_id != concern.school_id:
                raise ConcernProblem("category", "Category: choose one of the school's.")
            old: Any = concern.category.name if concern.category else ""
            new: Any = category.name
            concern.category = category
            concern.save(update_fields=["category"])
        elif field == "occurred_at":
            if occurred_at is None or occurred_at > timezone.now():
                raise ConcernProblem("occurred_at", "When it happened: give a past date and time.")
            old = concern.happened_at.isoformat()
            new = occurred_at.isoformat()
            concern.occurred_at = occurred_at
            concern.save(update_fields=["occurred_at"])
        else:
            _check_pupils(
                concern.school, pupils_with_roles, required=concern.about_staff_id is None
            )
            old = sorted([link.pupil_id, link.role] for link in concern.pupil_links.all())
            new = sorted([p.pk, role] for p, role in pupils_with_roles)
            if old == new:
                raise ConcernProblem(
                    "pupils", "Pupils: these are the pupils and parts it names already."
                )
            concern.pupil_links.all().delete()
            ConcernPupil.objects.bulk_create(
                ConcernPupil(concern=concern, pupil=p, role=r) for p, r in pupils_with_roles
            )
        entry = _entry(concern, actor, EntryKind.CORRECTION, reason, field=field, old=old, new=new)
        audit_record("concern.corrected", actor=actor, target=concern, details={"field": field})
    return entry


# --- handling: the team (or the head, or the chair) -------------------------------------------


def _staff_id(actor: Actor) -> int:
    if actor.staff_id is None:
        raise PermissionDenied("Only a member of staff does this.")
    return actor.staff_id


IMPORTED_IS_KEPT = (
    "This concern came with the previous school's file and is kept as they sent it: add to it "
    "instead, or raise a new concern for what needs acting on here."
)


def _not_imported(concern: Concern) -> None:
    if concern.imported_from_id is not None:
        raise ConcernProblem("", IMPORTED_IS_KEPT)


def _managed(actor: Actor, concern: Concern) -> Concern:
    if not may_manage(actor, concern):
        raise PermissionDenied("You do not handle this concern.")
    _not_imported(concern)
    return Concern.objects.select_for_update().get(pk=concern.pk)


def _open(concern: Concern) -> None:
    if concern.status == ConcernStatus.CLOSED:
        raise ConcernProblem("status", "This concern is closed: add an addendum instead.")


def concern_acknowledge(*, actor: Actor, concern: Concern) -> Concern:
    """Say the concern has been seen (stops the escalation of an urgent one)."""
    with transaction.atomic():
        concern = _managed(actor, concern)
        if concern.acknowledged_at is not None:
            return concern
        concern.acknowledged_at = timezone.now()
        concern.acknowledged_by_id = actor.staff_id
        if concern.status == ConcernStatus.NEW:
            concern.status = ConcernStatus.ACKNOWLEDGED
        concern.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
        _entry(concern, actor, EntryKind.ACKNOWLEDGED)
        audit_record("concern.acknowledged", actor=actor, target=concern)
    return concern


def handlers_of(concern: Concern) -> list[StaffMember]:
    """Whom the concern may be assigned to and actions given to: those who may handle it."""
    action: str = {
        ConcernRoute.SAFEGUARDING.value: "concern.manage",
        ConcernRoute.HEADTEACHER.value: "concern.about_staff",
        ConcernRoute.CHAIR.value: "concern.about_head",
    }[concern.route]
    return [
        s
        for s in holders_at_school(action=action, school_id=concern.school_id)
        if s.pk != concern.about_staff_id
    ]


def _handler(concern: Concern, staff_id: int | None, field: str) -> StaffMember:
    chosen = next((s for s in handlers_of(concern) if s.pk == staff_id), None)
    if chosen is None:
        raise ConcernProblem(field, "Who: choose someone who handles this concern.")
    return chosen


def concern_assign(*, actor: Actor, concern: Concern, staff_id: int | None) -> Concern:
    with transaction.atomic():
        concern = _managed(actor, concern)
        _open(concern)
        chosen = _handler(concern, staff_id, "assigned_to")
        concern.assigned_to = chosen
        concern.save(update_fields=["assigned_to"])
        _entry(concern, actor, EntryKind.ASSIGNED, chosen.full_name, staff=chosen.pk)
        audit_record("concern.assigned", actor=actor, target=concern, details={"to": chosen.pk})
    return concern


def concern_action_add(
    *,
    actor: Actor,
    concern: Concern,
    kind: str,
    owner_id: int | None,
    due_on: dt.date | None = None,
    notes: str = "",
) -> ConcernAction:
    """Add something to do, by someone (of those who handle the concern), by a date (the kind's
    timescale unless given)."""
    if kind not in ActionKind.values:
        raise ConcernProblem("kind", "Action: choose what is to be done.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        _open(concern)
        owner = _handler(concern, owner_id, "owner")
        today = timezone.localdate()
        if due_on is None:
            due_on = today + dt.timedelta(days=action_due_days(kind))
        elif due_on < today:
            raise ConcernProblem("due_on", "Due date: choose today or a later day.")
        action = ConcernAction.objects.create(
            concern=concern,
            kind=kind,
            owner=owner,
            due_on=due_on,
            notes=notes.strip(),
            created_by_id=_staff_id(actor),
        )
        if concern.status == ConcernStatus.NEW:
            concern.status = ConcernStatus.ACKNOWLEDGED
            concern.acknowledged_at = concern.acknowledged_at or timezone.now()
            concern.acknowledged_by_id = concern.acknowledged_by_id or actor.staff_id
            concern.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit_record(
            "concern.action_added",
            actor=actor,
            target=concern,
            details={"action": action.pk, "kind": kind, "due_on": due_on.isoformat()},
        )
    return action


def concern_action_complete(
    *, actor: Actor, concern: Concern, action_id: int, outcome: str, cancelled: bool = False
) -> ConcernAction:
    outcome = outcome.strip()
    if not outcome:
        raise ConcernProblem("outcome", "Outcome: say what happened.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        action = (
            ConcernAction.objects.select_for_update().filter(concern=concern, pk=action_id).first()
        )
        if action is None:
            raise ConcernProblem("action", "Action: choose one of this concern's actions.")
        if not action.is_open:
            raise ConcernProblem("action", "Action: this one is already finished.")
        action.status = ActionStatus.CANCELLED if cancelled else ActionStatus.DONE
        action.outcome = outcome
        action.completed_at = timezone.now()
        action.completed_by_id = actor.staff_id
        action.save(update_fields=["status", "outcome", "completed_at", "completed_by"])
        audit_record(
            "concern.action_completed",
            actor=actor,
            target=concern,
            details={"action": action.pk, "status": action.status},
        )
    return action


def concern_decide_not_to_refer(*, actor: Actor, concern: Concern, reason: str) -> ConcernEntry:
    reason = reason.strip()
    if not reason:
        raise ConcernProblem("reason", "Reason: say why the concern is not referred.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        _open(concern)
        entry = _entry(concern, actor, EntryKind.DECISION_NOT_TO_REFER, reason)
        audit_record("concern.decided_not_to_refer", actor=actor, target=concern)
    return entry


def concern_outcome_record(*, actor: Actor, concern: Concern, text: str) -> ConcernEntry:
    text = text.strip()
    if not text:
        raise ConcernProblem("outcome", "Outcome: say what came of it.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        entry = _entry(concern, actor, EntryKind.OUTCOME, text)
        audit_record("concern.outcome_recorded", actor=actor, target=concern)
    return entry


def concern_close(*, actor: Actor, concern: Concern, rationale: str) -> Concern:
    """Close the concern with a rationale; its open actions must be finished first."""
    rationale = rationale.strip()
    if not rationale:
        raise ConcernProblem("rationale", "Rationale: say why the concern can be closed.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        _open(concern)
        if concern.actions.filter(status=ActionStatus.OPEN).exists():
            raise ConcernProblem("rationale", "Actions: finish or cancel the open ones first.")
        now = timezone.now()
        concern.status = ConcernStatus.CLOSED
        concern.closed_at = now
        concern.closed_by_id = actor.staff_id
        concern.closure_rationale = rationale
        concern.acknowledged_at = concern.acknowledged_at or now
        concern.acknowledged_by_id = concern.acknowledged_by_id or actor.staff_id
        concern.save(
            update_fields=[
                "status",
                "closed_at",
                "closed_by",
                "closure_rationale",
                "acknowledged_at",
                "acknowledged_by",
            ]
        )
        _entry(concern, actor, EntryKind.CLOSED, rationale)
        audit_record("concern.closed", actor=actor, target=concern)
    return concern


def concern_sign_off(*, actor: Actor, concern: Concern) -> Concern:
    """The DSL's sign-off of a closed concern about a child (optional; once)."""
    if concern.route != ConcernRoute.SAFEGUARDING or not actor.can(
        "concern.sign_off", concern.school_id
    ):
        raise PermissionDenied("Only the DSL signs off a concern.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        if concern.status != ConcernStatus.CLOSED:
            raise ConcernProblem("sign_off", "Sign-off: close the concern first.")
        if concern.signed_off_at is not None:
            return concern
        concern.signed_off_at = timezone.now()
        concern.signed_off_by_id = actor.staff_id
        concern.save(update_fields=["signed_off_at", "signed_off_by"])
        _entry(concern, actor, EntryKind.SIGNED_OFF)
        audit_record("concern.signed_off", actor=actor, target=concern)
    return concern


def allegation_update(
    *,
    actor: Actor,
    concern: Concern,
    level: str,
    lado_consulted_on: dt.date | None = None,
    lado_officer: str = "",
    lado_advice: str = "",
    lado_referred_on: dt.date | None = None,
    lado_reference: str = "",
    outcome: str = "",
    outcome_notes: str = "",
) -> Allegation:
    """Keep the allegations record of a concern about an adult: its level (an allegation or a
    low-level concern), the LADO consultation and referral, and the outcome."""
    if level not in AllegationLevel.values:
        raise ConcernProblem("level", "Level: an allegation or a low-level concern.")
    if outcome and outcome not in AllegationOutcome.values:
        raise ConcernProblem("outcome", "Outcome: choose one of the outcomes.")
    today = timezone.localdate()
    for name, day in (
        ("lado_consulted_on", lado_consulted_on),
        ("lado_referred_on", lado_referred_on),
    ):
        if day is not None and day > today:
            raise ConcernProblem(name, "Date: it cannot be in the future.")
    with transaction.atomic():
        concern = _managed(actor, concern)
        if concern.route == ConcernRoute.SAFEGUARDING:
            raise ConcernProblem("level", "This concern does not name a member of staff.")
        allegation, _ = Allegation.objects.get_or_create(concern=concern)
        before = (allegation.level, allegation.lado_consulted_at, allegation.lado_referred_at)

        def at(day: dt.date | None) -> dt.datetime | None:
            if day is None:
                return None
            return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

        allegation.level = level
        allegation.lado_consulted_at = at(lado_consulted_on)
        allegation.lado_officer = lado_officer.strip()[:200]
        allegation.lado_advice = lado_advice.strip()
        allegation.lado_referred_at = at(lado_referred_on)
        allegation.lado_reference = lado_reference.strip()[:80]
        if outcome and outcome != allegation.outcome:
            allegation.outcome_at = timezone.now()
        allegation.outcome = outcome
        allegation.outcome_notes = outcome_notes.strip()
        allegation.save()
        after = (allegation.level, allegation.lado_consulted_at, allegation.lado_referred_at)
        if before != after:
            _entry(
                concern,
                actor,
                EntryKind.LADO,
                allegation.lado_advice,
                level=level,
                consulted=lado_consulted_on.isoformat() if lado_consulted_on else None,
                referred=lado_referred_on.isoformat() if lado_referred_on else None,
            )
        audit_record(
            "concern.allegation_updated",
            actor=actor,
            target=concern,
            details={"level": level, "outcome": outcome},
        )
    return allegation


# --- disclosure review (subject access) ----------------------------------------------------


def may_mark_for_disclosure_review(actor: Actor, concern: Concern) -> bool:
    return (
        concern.route == ConcernRoute.SAFEGUARDING
        and actor.can("concern.disclosure_review", concern.school_id)
        and concerns_visible(actor=actor).filter(pk=concern.pk).exists()
    )


def concern_disclosure_review_mark(*, actor: Actor, concern: Concern, reason: str) -> Concern:
    """Mark the concern for the DSL's disclosure review, with why: a subject access pack
    withholds it (with a note) until the mark is cleared."""
    if not may_mark_for_disclosure_review(actor, concern):
        raise PermissionDenied("Only the DSL marks a concern for disclosure review.")
    reason = reason.strip()
    if not reason:
        raise ConcernProblem("text", "Why: say why it needs reviewing before any release.")
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.disclosure_review_at is not None:
            raise ConcernProblem("text", "It is marked for disclosure review already.")
        concern.disclosure_review_at = timezone.now()
        concern.disclosure_review_by_id = _staff_id(actor)
        concern.disclosure_review_reason = reason
        concern.save(
            update_fields=[
                "disclosure_review_at",
                "disclosure_review_by",
                "disclosure_review_reason",
            ]
        )
        audit_record(
            "concern.disclosure_review_marked",
            actor=actor,
            target=concern,
            details={"reason": reason},
        )
    return concern


def concern_disclosure_review_clear(*, actor: Actor, concern: Concern) -> Concern:
    """Clear the mark: the concern goes in a subject access pack again (redacted)."""
    if not may_mark_for_disclosure_review(actor, concern):
        raise PermissionDenied("Only the DSL clears a disclosure review mark.")
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.disclosure_review_at is None:
            raise ConcernProblem("", "It is not marked for disclosure review.")
        was = {
            "marked_at": concern.disclosure_review_at.isoformat(),
            "marked_by": concern.disclosure_review_by_id,
            "reason": concern.disclosure_review_reason,
        }
        concern.disclosure_review_at = None
        concern.disclosure_review_by = None
        concern.disclosure_review_reason = ""
        concern.save(
            update_fields=[
                "disclosure_review_at",
                "disclosure_review_by",
                "disclosure_review_reason",
            ]
        )
        audit_record("concern.disclosure_review_cleared", actor=actor, target=concern, details=was)
    return concern
