"""A term of demo concerns for every demo school (``chaperone demo``): clearly fake, in every
state (new and urgent, acknowledged and assigned with actions, some overdue, a decision not to
refer, closed with a rationale and signed off), a significant event on a chronology, and a
leaving pupil's file waiting to be sent. Written through the services, by the demo's own DSL
and staff, dated back over the last twelve weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import (
    ChronologyEvent,
    Concern,
    ConcernAction,
    ConcernPupil,
    FileTransfer,
    PupilRole,
)
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffMember
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import roles_with

#: (weeks ago, category code, urgency, what happens next, the facts) -- all invented
TERM: tuple[tuple[int, str, str, str, str], ...] = (
    (
        11,
        "neglect",
        "routine",
        "closed",
        "DEMO: arrived without a coat in the rain for the third day running.",
    ),
    (
        10,
        "online_safety",
        "routine",
        "no_referral",
        "DEMO: showed a friend messages from an adult met in a game.",
    ),
    (
        9,
        "mental_health",
        "urgent",
        "actions",
        "DEMO: wrote in an English book about not wanting to be here.",
    ),
    (
        7,
        "attendance",
        "routine",
        "overdue",
        "DEMO: absent every Monday this half term; no reason given.",
    ),
    (
        5,
        "domestic_abuse",
        "urgent",
        "actions",
        "DEMO: said there was shouting at home and a door was broken.",
    ),
    (
        3,
        "child_on_child",
        "routine",
        "acknowledged",
        "DEMO: a group took a phone and shared a photo of it.",
    ),
    (
        1,
        "physical_abuse",
        "urgent",
        "new",
        "DEMO: a bruise on the upper arm; said 'I fell', looked away.",
    ),
    (
        0,
        "emotional_abuse",
        "routine",
        "new",
        "DEMO: said a grown-up at home calls them stupid every day.",
    ),
)


def _staff(school: School, action: str) -> StaffMember | None:
    return (
        StaffMember.objects.filter(
            assignments__school=school,
            assignments__role__in=sorted(roles_with(action)),
            assignments__awaiting_confirmation=False,
            user__isnull=False,
        )
        .order_by("id")
        .first()
    )


def load(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    for _trust, schools in trust_and_schools:
        for school in schools:
            _load_school(school)


def _load_school(school: School) -> None:
    from chaperone.concerns import services, transfer

    dsl = _staff(school, "concern.sign_off")
    raiser = _staff(school, "concern.raise")
    pupils = list(Pupil.objects.filter(school=school, is_active=True).order_by("id")[:6])
    if dsl is None or raiser is None or dsl.user is None or raiser.user is None or not pupils:
        return
    team, teacher = actor_for_user(dsl.user), actor_for_user(raiser.user)
    categories = {c.code: c for c in categories_for(school)}
    now = timezone.now()
    today = timezone.localdate()
    for n, (weeks, code, urgency, then, facts) in enumerate(TERM):
        pupil = pupils[n % len(pupils)]
        concern = services.concern_raise(
            actor=teacher,
            school=school,
            pupils_with_roles=[(pupil, PupilRole.SUBJECT)],
            summary=facts,
            category=categories.get(code),
            urgency=urgency,
        )
        raised = now - dt.timedelta(weeks=weeks, hours=n)
        Concern.objects.filter(pk=concern.pk).update(raised_at=raised, alert_sent_at=raised)
        # the links keep a copy of raised_at for the dashboard (ConcernPupil.copy_from_concern)
        ConcernPupil.objects.filter(concern_id=concern.pk).update(raised_at=raised)
        concern.refresh_from_db()
        if then == "new":
            continue
        services.concern_acknowledge(actor=team, concern=concern)
        if then in {"actions", "overdue", "closed"}:
            due = today + dt.timedelta(days=7)
            action = services.concern_action_add(
                actor=team,
                concern=concern,
                kind="call_parent",
                owner_id=dsl.pk,
                due_on=due,
                notes="DEMO: talk it through with the parent.",
            )
            if then == "overdue":  # dated back, as if it had been set weeks ago
                ConcernAction.objects.filter(pk=action.pk).update(
                    due_on=today - dt.timedelta(days=5), created_at=raised
                )
        if then == "no_referral":
            services.concern_decide_not_to_refer(
                actor=team, concern=concern, reason="DEMO: handled in school; parent engaged."
            )
        if then == "closed":
            services.concern_action_complete(
                actor=team, concern=concern, action_id=action.pk, outcome="DEMO: coat found."
            )
            services.concern_close(
                actor=team, concern=concern, rationale="DEMO: coat provided; home visit reassuring."
            )
            services.concern_sign_off(actor=team, concern=concern)
    ChronologyEvent.objects.create(
        school=school,
        pupil=pupils[2 % len(pupils)],
        kind="meeting",
        title="DEMO: team around the child meeting",
        details="DEMO: school, school nurse and family; plan reviewed in six weeks.",
        occurred_on=today - dt.timedelta(weeks=6),
        recorded_by=dsl,
    )
    if len(pupils) > 5:
        transfer.transfer_start(
            actor=team,
            pupil=pupils[5],
            leaving_on=today - dt.timedelta(days=2),
            to_school_name="DEMO Moorside Academy",
            to_school_urn="199999",
        )


def delete(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    from chaperone.concerns.models import ReceivedFile

    ids = [s.pk for _, schools in trust_and_schools for s in schools]
    for t in FileTransfer.objects.filter(school_id__in=ids):
        if t.bundle:
            t.bundle.delete(save=False)
    FileTransfer.objects.filter(school_id__in=ids).delete()
    for f in ReceivedFile.objects.filter(school_id__in=ids):
        f.file.delete(save=False)
    ReceivedFile.objects.filter(school_id__in=ids).delete()
    ChronologyEvent.objects.filter(school_id__in=ids).delete()
