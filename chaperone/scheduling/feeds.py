"""Calendar feeds: a personal feed of each member of staff's own sessions, and the school's
timetable feed of every call for those who see the timetable (``session.timetable``).

A feed is reached by a secret address (``/sessions/calendar/feed/<token>.ics``) that a calendar
client polls without signing in. Only the token's SHA-256 is stored: the address is shown once,
when it is made; making a new one revokes the old, and a revoked, unknown or no-longer-allowed
token is a 404 like any missing page. Whether the owner may still have the feed is checked on
every read (a DSL who leaves the role loses the timetable feed at once).

What a feed carries is kept short because it leaves the school's systems for the calendar
provider: no pupil names, the join link only where its reader would have it anyway (their own
sessions; on the timetable feed, only calls the DSL is invited to).

A calendar polls its feed every few minutes, and a school's timetable holds thousands of calls, so
the calendar is built only when something in it changed: :func:`feed_ical` fingerprints every
column of the sessions it would show (one query, no joins) and keeps the built calendar under that
fingerprint in the cache; the fingerprint is also the response's ``ETag``, so a client that sends
``If-None-Match`` gets ``304 Not Modified``. Every read is still audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope

#: a feed shows sessions from this long ago to this far ahead
FEED_PAST = timedelta(days=31)
FEED_AHEAD = timedelta(days=366)
#: how long a built calendar is kept under its fingerprint
FEED_CACHE_SECONDS = 3600


class FeedKind(models.TextChoices):
    PERSONAL = "personal", "Your sessions"
    TIMETABLE = "timetable", "The school's timetable of every call"


#: what the owner must be allowed at the school to have (and keep reading) each kind of feed
FEED_ACTION = {FeedKind.PERSONAL: "session.plan", FeedKind.TIMETABLE: "session.timetable"}


class FeedQuerySet(ScopedQuerySet["CalendarFeed"]):
    school_path = "school_id"


class CalendarFeed(models.Model):
    """A secret calendar address of one member of staff at one school."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="calendar_feeds")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=FeedKind.choices)
    #: SHA-256 (hex) of the secret token; the token itself is never stored
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "school", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="scheduling_calendarfeed_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed of staff {self.staff_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check(actor: Actor, school: School, kind: str) -> int:
    if kind not in FEED_ACTION or actor.staff_id is None:
        raise PermissionDenied("You cannot have this calendar.")
    if not actor.can(FEED_ACTION[FeedKind(kind)], school.pk):
        raise PermissionDenied("You cannot have this calendar.")
    return actor.staff_id


@transaction.atomic
def feed_create(*, actor: Actor, school: School, kind: str) -> tuple[CalendarFeed, str]:
    """A new secret address for the actor's ``kind`` of feed at ``school`` (the old one, if
    any, stops working). Returns the feed and its token, which is not kept."""
    from chaperone.audit.log import record as audit_record

    staff_id = _check(actor, school, kind)
    now = timezone.now()
    replaced = CalendarFeed.objects.filter(
        staff_id=staff_id, school=school, kind=kind, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        staff_id=staff_id, school=school, kind=kind, token_hash=token_hash(token), created_at=now
    )
    audit_record(
        "session.feed_created",
        actor=actor,
        target=feed,
        details={"kind": kind, "replaced": bool(replaced)},
    )
    return feed, token


@transaction.atomic
def feed_revoke(*, actor: Actor, school: School, kind: str) -> bool:
    """Stop the actor's ``kind`` of feed at ``school`` working. False if there was none."""
    from chaperone.audit.log import record as audit_record

    if actor.staff_id is None or kind not in FEED_ACTION:
        raise PermissionDenied("You cannot have this calendar.")
    feed = CalendarFeed.objects.filter(
        staff_id=actor.staff_id, school=school, kind=kind, revoked_at__isnull=True
    ).first()
    if feed is None:
        return False
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record("session.feed_revoked", actor=actor, target=feed, details={"kind": kind})
    return True


def feeds_of(*, actor: Actor, school: School) -> dict[str, CalendarFeed]:
    """The actor's live feeds at ``school``, by kind."""
    if actor.staff_id is None:
        return {}
    live = CalendarFeed.objects.filter(
        staff_id=actor.staff_id, school=school, revoked_at__isnull=True
    )
    return {feed.kind: feed for feed in live}


def feed_for_token(token: str) -> tuple[CalendarFeed, Actor] | None:
    """The live feed of ``token`` and its owner's actor, if the owner may still have it."""
    from chaperone.people.actors import actor_for_user

    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("staff__user", "school")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.staff.is_active or feed.staff.user is None:
        return None
    user = feed.staff.user
    if not user.is_active:
        return None
    owner = actor_for_user(user)
    if not owner.can(FEED_ACTION[FeedKind(feed.kind)], feed.school_id):
        return None
    return feed, owner


def feed_ical(feed: CalendarFeed, owner: Actor) -> tuple[bytes, str]:
    """The feed's calendar and its fingerprint (the ``ETag``): its sessions from a month ago to
    a year ahead, cancelled ones marked cancelled (so a subscribed calendar drops them). A read
    of the school's sessions, audited. Built again only when the fingerprint changed."""
    from chaperone.audit.log import record_read
    from chaperone.people.selectors import holders_at_school
    from chaperone.scheduling.calendars import ReaderFor
    from chaperone.scheduling.calendars import feed as calendar_of
    from chaperone.scheduling.invitations import DSL_INVITATION_ACTION
    from chaperone.scheduling.models import Session

    now = timezone.now()
    school = feed.school
    sessions = Session.objects.filter(
        school=school, starts_at__gte=now - FEED_PAST, starts_at__lt=now + FEED_AHEAD
    )
    staff_id = feed.staff_id
    if feed.kind == FeedKind.PERSONAL:
        own = Q(host_id=staff_id) | Q(second_staff_id=staff_id) | Q(planned_by_id=staff_id)
        told = holders_at_school(action=DSL_INVITATION_ACTION, school_id=school.pk)
        if told.filter(pk=staff_id).exists():
            own |= Q(dsl_invited=True)
        sessions = sessions.filter(own)
        name = f"My sessions, {school.name}"
    else:
        name = f"Every call, {school.name}"
    sessions = sessions.order_by("starts_at", "id")
    columns = [f.attname for f in Session._meta.concrete_fields]
    digest = hashlib.sha256(f"{feed.pk}|{feed.kind}|{name}|{school.time_zone}".encode())
    count = 0
    for row in sessions.values_list(*columns):
        digest.update(repr(row).encode())
        count += 1
    etag = digest.hexdigest()[:40]
    record_read(
        "session.feed_read",
        actor=owner,
        target=feed,
        school_id=school.pk,
        details={"kind": feed.kind, "sessions": count},
    )
    key = f"chaperone:feed:{etag}"
    body: bytes | None = cache.get(key)
    if body is None:
        rows = list(
            sessions.select_related("school", "host__user", "second_staff__user").prefetch_related(
                "pupils"
            )
        )
        linked = (
            {s.pk for s in rows}
            if feed.kind == FeedKind.PERSONAL
            else {s.pk for s in rows if s.dsl_invited}
        )
        body = calendar_of(
            rows, name=name, time_zone=school.time_zone, reader_for=ReaderFor(linked)
        )
        cache.set(key, body, FEED_CACHE_SECONDS)
    return body, etag
