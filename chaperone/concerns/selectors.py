"""Reads of the concerns app, each scoped to the actor.

Who reads a concern depends on its route:

* ``safeguarding`` (a worry about a child): the school's safeguarding team (``concern.view``,
  trust administrators included) and the person who raised it;
* ``headteacher`` (it names a member of staff): the holders of ``concern.about_staff`` in the
  school itself (the headteacher), nobody through a trust role, not its raiser;
* ``chair`` (it names the headteacher): the holders of ``concern.about_head`` in the school
  itself (the chair of governors) alone.

Whatever the route, the member of staff a concern names never sees it. A concern outside what
the actor may read is a 404, the same as a missing one. Opening one goes through
:func:`concern_get_for_viewing`, which records the read (``concern.viewed``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, Max, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from chaperone.audit.log import record_read
from chaperone.concerns.models import (
    ActionStatus,
    AllegationLevel,
    Concern,
    ConcernAction,
    ConcernAttachment,
    ConcernDraft,
    ConcernQuerySet,
    ConcernRoute,
    ConcernStatus,
    Urgency,
)
from chaperone.people.models import Pupil
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor, held_in_school

#: how old (in days) a concern is before opening it asks for the second factor again
HISTORIC_AFTER_DAYS_DEFAULT = 365


def historic_after() -> dt.timedelta:
    return dt.timedelta(
        days=getattr(settings, "CONCERNS_HISTORIC_AFTER_DAYS", HISTORIC_AFTER_DAYS_DEFAULT)
    )


def _visibility(actor: Actor) -> Q | None:
    """The filter of every concern the actor may read, or None for none."""
    if actor.is_system:
        return Q()
    parts: list[Q] = []
    team = actor.school_ids_for("concern.view")
    if team:
        parts.append(Q(route=ConcernRoute.SAFEGUARDING, school_id__in=team))
    if actor.staff_id is not None:
        parts.append(Q(route=ConcernRoute.SAFEGUARDING, raised_by_id=actor.staff_id))
    heads = held_in_school(actor, "concern.about_staff")
    if heads:
        parts.append(Q(route=ConcernRoute.HEADTEACHER, school_id__in=heads))
    chairs = held_in_school(actor, "concern.about_head")
    if chairs:
        parts.append(Q(route=ConcernRoute.CHAIR, school_id__in=chairs))
    if not parts:
        return None
    visible = parts[0]
    for part in parts[1:]:
        visible |= part
    if actor.staff_id is not None:
        visible &= ~Q(about_staff_id=actor.staff_id)
    return visible


def concerns_visible(*, actor: Actor) -> ConcernQuerySet:
    """The concerns the actor may read (see the module's note)."""
    visible = _visibility(actor)
    if visible is None:
        return Concern.objects.none()
    return Concern.objects.filter(visible)


def may_manage(actor: Actor, concern: Concern) -> bool:
    """May the actor handle this concern (acknowledge, assign, act, decide, close)? The team
    for a concern about a child; for one about an adult, whoever alone may read it."""
    if actor.staff_id is not None and concern.about_staff_id == actor.staff_id:
        return False
    if concern.route == ConcernRoute.SAFEGUARDING:
        return actor.can("concern.manage", concern.school_id)
    action = (
        "concern.about_staff"
        if concern.route == ConcernRoute.HEADTEACHER
        else ("concern.about_head")
    )
    return concern.school_id in held_in_school(actor, action)


def handles_concerns_at(actor: Actor, school_id: int) -> bool:
    """Does the actor handle concerns at the school (the team, the head, the chair)?"""
    return actor.can("concern.view", school_id) or keeps_low_level_log(actor, school_id)


def keeps_low_level_log(actor: Actor, school_id: int) -> bool:
    """Does the actor alone read the school's concerns about adults (the head, the chair)?"""
    return school_id in (
        held_in_school(actor, "concern.about_staff") | held_in_school(actor, "concern.about_head")
    )


def concern_for_actor_or_404(*, actor: Actor, concern_id: int) -> Concern:
    """One concern the actor may read, without recording a read (for writes that follow)."""
    try:
        return concerns_visible(actor=actor).select_related("school").get(pk=concern_id)
    except (Concern.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


def is_historic(concern: Concern, *, now: dt.datetime | None = None) -> bool:
    return concern.raised_at < (now or timezone.now()) - historic_after()


def concern_get_for_viewing(*, actor: Actor, concern_id: int) -> Concern:
    """Open one concern for reading: scoped (404 outside), with what its page shows, and the
    read recorded (``concern.viewed``: the DSL's "who read what")."""
    concern = concern_for_actor_or_404(actor=actor, concern_id=concern_id)
    concern = (
        Concern.objects.select_related(
            "school",
            "raised_by",
            "category",
            "about_staff",
            "assigned_to",
            "acknowledged_by",
            "closed_by",
            "signed_off_by",
        )
        .prefetch_related("pupil_links__pupil", "entries__by", "actions__owner", "attachments")
        .get(pk=concern.pk)
    )
    record_read(
        "concern.viewed",
        actor=actor,
        target=concern,
        details={"route": concern.route, "historic": is_historic(concern)},
    )
    return concern


def attachment_for_viewing(
    *, actor: Actor, concern: Concern, attachment_id: int
) -> ConcernAttachment:
    """A file of a concern the actor has opened; the download is recorded."""
    try:
        attachment = concern.attachments.get(pk=attachment_id)
    except (ConcernAttachment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc
    record_read(
        "concern.attachment_viewed",
        actor=actor,
        target=concern,
        details={"attachment": attachment.pk},
    )
    return attachment


@dataclass(frozen=True)
class Inbox:
    """The DSL's inbox: open concerns, urgent and unacknowledged first."""

    concerns: list[Concern]
    open_count: int
    urgent_unacknowledged: int


def inbox(*, actor: Actor, school: School, include_closed: bool = False, limit: int = 200) -> Inbox:
    visible = concerns_visible(actor=actor).filter(school=school)
    open_ = visible.exclude(status=ConcernStatus.CLOSED)
    shown = visible if include_closed else open_
    rows = list(
        shown.select_related("category", "raised_by", "assigned_to")
        .prefetch_related("pupil_links__pupil")
        .annotate(open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN)))
        .order_by(
            # urgent and unacknowledged first, then the other new ones, then the newest
            Case(
                When(urgency=Urgency.URGENT, status=ConcernStatus.NEW, then=0),
                When(status=ConcernStatus.NEW, then=1),
                default=2,
            ),
            "-raised_at",
            "-id",
        )[:limit]
    )
    counts = open_.aggregate(
        total=Count("id"),
        urgent=Count("id", filter=Q(urgency=Urgency.URGENT, status=ConcernStatus.NEW)),
    )
    return Inbox(rows, counts["total"], counts["urgent"])


def concern_summary_for_pupil(*, actor: Actor, pupil: Pupil) -> dict[str, object] | None:
    """What the pupil's page may say about concerns: for those who read them, the list; for
    those granted ``concern.see_exists``, only how many and the latest date; else None."""
    readable = concerns_visible(actor=actor).filter(pupil_links__pupil=pupil).distinct()
    if actor.can("concern.view", pupil.school_id):
        return {"concerns": list(readable.select_related("category")[:20]), "detail": True}
    if actor.can("concern.see_exists", pupil.school_id):
        counted = Concern.objects.filter(
            pupil_links__pupil=pupil, route=ConcernRoute.SAFEGUARDING
        ).aggregate(n=Count("id", distinct=True), latest=Max("raised_at"))
        return {"count": counted["n"], "latest": counted["latest"], "detail": False}
    return None


def draft_get(*, actor: Actor, draft_id: int) -> ConcernDraft:
    """The actor's own draft (anyone else's, or a missing one, is a 404)."""
    try:
        return ConcernDraft.objects.get(pk=draft_id, author_id=actor.staff_id)
    except (ConcernDraft.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


def drafts_of(*, actor: Actor, school: School) -> QuerySet[ConcernDraft]:
    return ConcernDraft.objects.filter(author_id=actor.staff_id, school=school)


def low_level_log(*, actor: Actor, school: School) -> ConcernQuerySet:
    """The school's low-level concerns about adults, for whoever reads them."""
    return (
        concerns_visible(actor=actor)
        .filter(school=school, allegation__level="low_level")
        .select_related("about_staff", "allegation")
    )


def actions_overdue(*, today: dt.date) -> QuerySet[ConcernAction]:
    """Open actions past their due date not yet reminded about (for the reminders job)."""
    return ConcernAction.objects.filter(
        status=ActionStatus.OPEN, due_on__lt=today, overdue_reminded_at__isnull=True
    )


@dataclass(frozen=True)
class AllegationsBoard:
    """What the chair of governors sees of the allegations about the headteacher routed to
    them: the counts, and the open ones (when and how far they have gone; never the facts,
    which open on the concern's own page, a recorded read)."""

    open_count: int
    awaiting_lado: int
    referred_to_lado: int
    awaiting_outcome: int
    low_level: int
    closed_this_year: int
    open_rows: list[Concern]


def allegations_board(*, actor: Actor, school: School, limit: int = 10) -> AllegationsBoard | None:
    """The chair's board of the school's allegations about the headteacher (None: the actor is
    not the school's chair of governors). One aggregate and one list, whatever the number."""
    if school.pk not in held_in_school(actor, "concern.about_head"):
        return None
    mine = concerns_visible(actor=actor).filter(school=school, route=ConcernRoute.CHAIR)
    is_open = ~Q(status=ConcernStatus.CLOSED)
    year_ago = timezone.now() - dt.timedelta(days=365)
    got = mine.aggregate(
        open_count=Count("id", filter=is_open),
        awaiting_lado=Count(
            "id",
            filter=is_open
            & Q(allegation__lado_consulted_at__isnull=True)
            & ~Q(allegation__level=AllegationLevel.LOW_LEVEL),
        ),
        referred_to_lado=Count(
            "id", filter=is_open & Q(allegation__lado_referred_at__isnull=False)
        ),
        awaiting_outcome=Count("id", filter=is_open & Q(allegation__outcome="")),
        low_level=Count("id", filter=is_open & Q(allegation__level=AllegationLevel.LOW_LEVEL)),
        closed_this_year=Count(
            "id", filter=Q(status=ConcernStatus.CLOSED, closed_at__gte=year_ago)
        ),
    )
    rows = list(
        mine.filter(is_open).select_related("allegation").order_by("-raised_at", "-id")[:limit]
    )
    return AllegationsBoard(
        open_count=got["open_count"] or 0,
        awaiting_lado=got["awaiting_lado"] or 0,
        referred_to_lado=got["referred_to_lado"] or 0,
        awaiting_outcome=got["awaiting_outcome"] or 0,
        low_level=got["low_level"] or 0,
        closed_this_year=got["closed_this_year"] or 0,
        open_rows=rows,
    )
