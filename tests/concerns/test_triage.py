"""Handling a concern: acknowledge, assign, actions, decisions, outcomes, close, sign-off,
corrections with reasons, the allegations record; escalation and overdue reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.concerns import escalation, services
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import (
    ActionKind,
    Concern,
    ConcernAction,
    ConcernStatus,
    EntryKind,
    PupilRole,
    Urgency,
)
from chaperone.concerns.services import ConcernProblem


def _concern(cast, **kw) -> Concern:  # type: ignore[no-untyped-def]
    return services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip said there is shouting at home every night.",
        **kw,
    )


def test_the_dsl_acknowledges_acts_and_closes(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = cast.actor(cast.dsl)
    concern = _concern(cast)
    services.concern_acknowledge(actor=dsl, concern=concern)
    services.concern_assign(actor=dsl, concern=concern, staff_id=cast.deputy.pk)
    action = services.concern_action_add(
        actor=dsl, concern=concern, kind=ActionKind.REFER_SOCIAL_CARE, owner_id=cast.deputy.pk
    )
    assert action.due_on == timezone.localdate() + dt.timedelta(days=1)  # the referral timescale
    with pytest.raises(ConcernProblem) as open_actions:
        services.concern_close(actor=dsl, concern=concern, rationale="Done.")
    assert open_actions.value.field == "rationale"
    services.concern_action_complete(
        actor=dsl, concern=concern, action_id=action.pk, outcome="Referred; social care visiting."
    )
    services.concern_outcome_record(actor=dsl, concern=concern, text="A CIN plan was opened.")
    services.concern_close(actor=dsl, concern=concern, rationale="Social care now lead.")
    services.concern_sign_off(actor=dsl, concern=concern)
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.CLOSED and concern.signed_off_by == cast.dsl
    kinds = list(concern.entries.values_list("kind", flat=True))
    assert kinds == [
        EntryKind.ACKNOWLEDGED,
        EntryKind.ASSIGNED,
        EntryKind.OUTCOME,
        EntryKind.CLOSED,
        EntryKind.SIGNED_OFF,
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"concern.acknowledged", "concern.action_added", "concern.closed"} <= actions


def test_only_those_who_handle_it_may_and_only_with_a_reason(cast) -> None:  # type: ignore[no-untyped-def]
    concern = _concern(cast)
    with pytest.raises(PermissionDenied):
        services.concern_acknowledge(actor=cast.actor(cast.teacher), concern=concern)
    with pytest.raises(PermissionDenied):
        services.concern_acknowledge(actor=cast.actor(cast.head), concern=concern)
    dsl = cast.actor(cast.dsl)
    with pytest.raises(ConcernProblem) as no_reason:
        services.concern_decide_not_to_refer(actor=dsl, concern=concern, reason=" ")
    assert no_reason.value.field == "reason"
    with pytest.raises(ConcernProblem) as outsider:
        services.concern_action_add(
            actor=dsl, concern=concern, kind=ActionKind.MONITOR, owner_id=cast.teacher.pk
        )
    assert outsider.value.field == "owner"
    with pytest.raises(PermissionDenied):
        services.concern_sign_off(actor=cast.actor(cast.deputy), concern=concern)


def test_a_forged_action_of_another_concern_changes_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = cast.actor(cast.dsl)
    one, two = _concern(cast), _concern(cast)
    action = services.concern_action_add(
        actor=dsl, concern=two, kind=ActionKind.MONITOR, owner_id=cast.dsl.pk
    )
    with pytest.raises(ConcernProblem) as problem:
        services.concern_action_complete(actor=dsl, concern=one, action_id=action.pk, outcome="x")
    assert problem.value.field == "action"
    action.refresh_from_db()
    assert action.is_open


def test_a_correction_needs_a_reason_and_is_kept(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = cast.actor(cast.dsl)
    first, second = categories_for(cast.school)[:2]
    concern = _concern(cast, category=first)
    with pytest.raises(ConcernProblem):
        services.concern_correct(
            actor=dsl, concern=concern, field="category", reason="", category=second
        )
    services.concern_correct(
        actor=dsl, concern=concern, field="category", reason="Mis-filed.", category=second
    )
    services.concern_correct(
        actor=dsl,
        concern=concern,
        field="pupils",
        reason="Rory was there too.",
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT), (cast.pupil2, PupilRole.WITNESS)],
    )
    concern.refresh_from_db()
    assert concern.category == second
    corrections = list(concern.entries.filter(kind=EntryKind.CORRECTION))
    assert corrections[0].details == {"field": "category", "old": first.name, "new": second.name}
    assert corrections[0].text == "Mis-filed."
    assert corrections[1].details["new"] == sorted(
        [[cast.pupil.pk, PupilRole.SUBJECT], [cast.pupil2.pk, PupilRole.WITNESS]]
    )
    # the raiser adds to it; they never change it
    services.concern_addendum_add(
        actor=cast.actor(cast.teacher), concern=concern, text="She said it again today."
    )
    with pytest.raises(PermissionDenied):
        services.concern_correct(
            actor=cast.actor(cast.teacher),
            concern=concern,
            field="category",
            reason="x",
            category=first,
        )


def test_the_allegations_record_and_the_low_level_log(cast) -> None:  # type: ignore[no-untyped-def]
    from chaperone.concerns.selectors import low_level_log

    concern = services.concern_raise(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        pupils_with_roles=[],
        summary="The teacher often jokes about pupils' looks.",
        about_staff=cast.teacher,
    )
    head = cast.actor(cast.head)
    with pytest.raises(PermissionDenied):
        services.allegation_update(actor=cast.actor(cast.dsl), concern=concern, level="low_level")
    services.allegation_update(
        actor=head,
        concern=concern,
        level="low_level",
        lado_consulted_on=timezone.localdate(),
        lado_officer="A. Officer",
        lado_advice="Below the harm threshold: handle in school.",
        outcome="unsubstantiated",
    )
    concern.allegation.refresh_from_db()
    assert concern.allegation.lado_officer == "A. Officer"
    assert list(low_level_log(actor=head, school=cast.school)) == [concern]
    assert list(low_level_log(actor=cast.actor(cast.teacher), school=cast.school)) == []


def test_an_urgent_concern_nobody_acknowledged_alerts_again_then_the_head(  # type: ignore[no-untyped-def]
    cast, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CONCERNS_ACKNOWLEDGE_WITHIN_MINUTES = 30
    concern = _concern(cast, urgency=Urgency.URGENT)
    raised = concern.raised_at
    mail.outbox.clear()
    assert escalation.escalations_enqueue_due(now=raised + dt.timedelta(minutes=10)) == 0
    assert escalation.escalations_enqueue_due(now=raised + dt.timedelta(minutes=31)) == 1
    # (the task, run at once by the test backend, checks the real clock: nothing due yet)
    concern.refresh_from_db()
    assert concern.escalation_level == 0
    at_31 = raised + dt.timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.concern_escalate(concern_id=concern.pk, now=at_31) == 1
    told_again = sorted(address for m in mail.outbox for address in m.to)
    assert told_again == sorted([cast.dsl.notice_email, cast.deputy.notice_email])
    assert (
        escalation.concern_escalate(concern_id=concern.pk, now=raised + dt.timedelta(minutes=32))
        == 0
    )
    with django_capture_on_commit_callbacks(execute=True):
        at_61 = raised + dt.timedelta(minutes=61)
        assert escalation.concern_escalate(concern_id=concern.pk, now=at_61) == 2
    assert (
        escalation.concern_escalate(concern_id=concern.pk, now=raised + dt.timedelta(hours=9)) == 0
    )
    concern.refresh_from_db()
    assert concern.escalation_level == 2
    assert mail.outbox[-1].to == [cast.head.notice_email]
    assert concern.entries.filter(kind=EntryKind.ESCALATED).count() == 2


def test_an_acknowledged_or_routine_concern_is_not_escalated(cast) -> None:  # type: ignore[no-untyped-def]
    urgent, routine = _concern(cast, urgency=Urgency.URGENT), _concern(cast)
    services.concern_acknowledge(actor=cast.actor(cast.deputy), concern=urgent)
    later = timezone.now() + dt.timedelta(days=1)
    assert escalation.escalations_enqueue_due(now=later) == 0
    assert escalation.concern_escalate(concern_id=routine.pk, now=later) == 0


def test_an_overdue_action_is_reminded_about_once(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = cast.actor(cast.dsl)
    concern = _concern(cast)
    action = services.concern_action_add(
        actor=dsl, concern=concern, kind=ActionKind.CALL_PARENT, owner_id=cast.deputy.pk
    )
    mail.outbox.clear()
    later = action.due_on + dt.timedelta(days=1)
    ConcernAction.objects.filter(pk=action.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert escalation.overdue_enqueue_due(later) == 1
    assert escalation.overdue_enqueue_due(later) == 0
    assert escalation.action_overdue_remind(action_id=action.pk) is False
    assert AuditEvent.objects.filter(action="concern.action_overdue_sent").count() == 1
