"""A safeguarding concern as stored: who raised it, when, about which pupils, what was seen or
said, and where it came from (e.g. a live session ended and reported)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chaperone.people.models import Pupil, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor, object_rule
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope


class ConcernSource(models.TextChoices):
    SESSION = "session", "During a live session"
    STAFF = "staff", "Raised by a member of staff"


class ConcernQuerySet(ScopedQuerySet["Concern"]):
    school_path = "school_id"


class Concern(models.Model):
    """One worry about one or more pupils of a school, told to its safeguarding team."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="concerns")
    pupils = models.ManyToManyField(Pupil, through="ConcernPupil", related_name="concerns")
    raised_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="raised_concerns"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    #: what was seen or said, in the words of the person raising it
    summary = models.TextField()
    source = models.CharField(max_length=10, choices=ConcernSource.choices)
    #: what the source was, as people recognise it (e.g. the session's title and time)
    source_label = models.CharField(max_length=200, blank=True)
    #: when the safeguarding team was emailed (None: not yet, or nobody to email)
    alert_sent_at = models.DateTimeField(null=True, blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["school", "raised_at"])]

    def __str__(self) -> str:
        when = timezone.localtime(self.raised_at)
        return f"Concern raised {when.day} {when:%B %Y at %H:%M}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


@object_rule(Concern, "concern.view")
def _raiser_sees_their_concern(actor: Actor) -> Q | None:
    return Q(raised_by_id=actor.staff_id) if actor.staff_id is not None else None


class ConcernPupil(models.Model):
    unscoped_because = "read only through its concern, which is scoped"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE)
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "pupil"], name="%(app_label)s_%(class)s_pupil_once"
            )
        ]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} in concern {self.concern_id}"
