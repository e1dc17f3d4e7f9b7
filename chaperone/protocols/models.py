"""Protocols as stored data: who owns one, its immutable versions, who has read them, and every
decision the app made under them.

A trust owns the protocol all its schools follow; a school may own an overlay that tightens it.
Each upload is a new :class:`ProtocolVersion` holding the TOML text exactly as it arrived; a version
is never rewritten, nor is a decision record (:class:`~chaperone.core.models.WrittenOnce`:
``save()`` and ``QuerySet.update()`` refuse to change one).
"""

from __future__ import annotations

from typing import Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from chaperone.core.models import RefusesUpdate, RewriteRefused, WrittenOnce
from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope


class ImmutableVersionError(RewriteRefused):
    """An attempt to rewrite a stored protocol version or decision record."""


def _owner_scope(prefix: str, school_ids: frozenset[int]) -> Q:
    """Protocols visible from ``school_ids``: each school's own, and its trust's."""
    trust_ids = School.objects.filter(id__in=school_ids).values("trust_id")
    return Q(**{f"{prefix}owner_school_id__in": school_ids}) | Q(
        **{f"{prefix}owner_trust_id__in": trust_ids}
    )


M = TypeVar("M", bound=models.Model)


class OwnedScopedQuerySet(ScopedQuerySet[M]):
    """Scope for things owned by a trust *or* a school.

    A school's overlay is visible in that school; a trust's protocol is visible in every school of
    the trust (staff of each school follow it), through a subquery so rows are never duplicated.
    """

    #: lookup prefix from the model to its :class:`Protocol` ("" for Protocol itself)
    owner_prefix: str = ""

    def in_schools(self, school_ids: frozenset[int]) -> Self:
        if not school_ids:
            return self.none()
        return self.filter(_owner_scope(self.owner_prefix, school_ids))


class ProtocolQuerySet(OwnedScopedQuerySet["Protocol"]):
    owner_prefix = ""


class VersionQuerySet(RefusesUpdate, OwnedScopedQuerySet["ProtocolVersion"]):
    owner_prefix = "protocol__"


class Protocol(models.Model):
    """The protocol of one trust or one school (a school's is an overlay on its trust's)."""

    owner_trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="protocols"
    )
    owner_school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="protocols"
    )
    slug = models.SlugField(
        "protocol id", max_length=80, help_text="The id written in the protocol file."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(owner_trust__isnull=False, owner_school__isnull=True)
                    | Q(owner_trust__isnull=True, owner_school__isnull=False)
                ),
                name="%(app_label)s_%(class)s_exactly_one_owner",
                violation_error_message="A protocol belongs to a trust or to a school, not both.",
            ),
            models.UniqueConstraint(
                fields=["owner_trust"],
                condition=Q(owner_trust__isnull=False),
                name="%(app_label)s_%(class)s_one_per_trust",
                violation_error_message="This trust already has a protocol.",
            ),
            models.UniqueConstraint(
                fields=["owner_school"],
                condition=Q(owner_school__isnull=False),
                name="%(app_label)s_%(class)s_one_per_school",
                violation_error_message="This school already has a protocol overlay.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.owner})"

    @property
    def owner(self) -> Trust | School:
        # Exactly one owner is set (a check constraint); a null foreign key costs no query.
        owner = self.owner_school or self.owner_trust
        assert owner is not None
        return owner

    @property
    def is_overlay(self) -> bool:
        return self.owner_school_id is not None

    def audit_scope(self) -> TenantScope:
        """A school's overlay belongs to that school; a trust's protocol to no one school."""
        if self.owner_school is not None:
            return TenantScope(school_id=self.owner_school_id, trust_id=self.owner_school.trust_id)
        return TenantScope(school_id=None, trust_id=self.owner_trust_id)


class ProtocolVersion(WrittenOnce):
    """One uploaded version: the TOML text exactly as received, and when it applies."""

    rewrite_refusal = "Protocol versions are never changed; upload a new version instead."
    rewrite_error = ImmutableVersionError

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    version_label = models.CharField("version", max_length=60)
    title = models.CharField(max_length=300)
    source_text = models.TextField(help_text="The TOML file exactly as uploaded.")
    sha256 = models.CharField(max_length=64)
    effective_on = models.DateField("effective from")
    review_on = models.DateField("review by")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_by_name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField()
    base_version = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overlay_versions",
        help_text="For a school overlay: the trust version it was checked against.",
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["protocol", "-uploaded_at", "-id"]
        get_latest_by = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "version_label"],
                name="%(app_label)s_%(class)s_unique_label",
                violation_error_message="This protocol already has a version with that label.",
            ),
            models.CheckConstraint(
                condition=Q(review_on__gte=models.F("effective_on")),
                name="%(app_label)s_%(class)s_review_after_effective",
                violation_error_message="The review date is before the effective date.",
            ),
        ]
        indexes = [models.Index(fields=["protocol", "uploaded_at"])]

    def __str__(self) -> str:
        return f"{self.protocol.slug} {self.version_label}"

    def audit_scope(self) -> TenantScope:
        return self.protocol.audit_scope()


class AcknowledgementQuerySet(OwnedScopedQuerySet["ProtocolAcknowledgement"]):
    owner_prefix = "version__protocol__"


class ProtocolAcknowledgement(models.Model):
    """A member of staff has read and understood one version."""

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="protocol_acknowledgements"
    )
    version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField()

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "version"],
                name="%(app_label)s_%(class)s_once_per_version",
                violation_error_message="This person has already acknowledged this version.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} read {self.version}"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    PENDING = "pending", "Pending"
    REFUSED = "refused", "Refused"


class DecisionQuerySet(RefusesUpdate, ScopedQuerySet["ProtocolDecision"]):
    school_path = "school_id"


class ProtocolDecision(WrittenOnce):
    """A decision the app made: the request, the versions judged against and the answer."""

    rewrite_refusal = "Decision records are never changed."
    rewrite_error = ImmutableVersionError

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="protocol_decisions")
    version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text="The most specific version used (the school's overlay, else the trust's).",
    )
    base_version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The trust version under a school overlay.",
    )
    request = models.JSONField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    codes = models.JSONField(default=list)
    decision = models.JSONField(help_text="The engine's full answer.")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_staff = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField()

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["school", "decided_at"])]

    def __str__(self) -> str:
        when = date_format(localtime(self.decided_at), "j F Y, H:i")
        return f"{self.get_outcome_display()} under {self.version} at {when}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class ReminderWindow(models.TextChoices):
    DUE_SOON = "due_soon", "Review due within 30 days"
    OVERDUE = "overdue", "Review date passed"


class ProtocolReviewReminder(models.Model):
    """A review reminder e-mail was sent for one version and window (so it is sent only once)."""

    unscoped_because = "written and read only by the review reminder job, never shown to anyone"

    version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="review_reminders"
    )
    window = models.CharField(max_length=10, choices=ReminderWindow.choices)
    recipient_staff_ids = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "window"],
                name="%(app_label)s_%(class)s_once_per_window",
                violation_error_message="A reminder was already sent for this version and window.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.get_window_display()}"


class OutOfStepQuerySet(ScopedQuerySet["OverlayOutOfStep"]):
    school_path = "school_id"


class OverlayOutOfStep(models.Model):
    """A trust version left a school's additions unable to apply in full.

    Written when the trust version is stored, one row per school concerned. Until the school
    confirms (keeping the additions that still fit) or uploads new additions, its contacts are
    judged under its last complete protocol and the trust's version together.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    trust_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    school_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    problems = models.JSONField(default=list)
    marked_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    recipient_staff_ids = models.JSONField(default=list)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_by_name = models.CharField(max_length=200, blank=True)

    objects = OutOfStepQuerySet.as_manager()

    class Meta:
        ordering = ["-marked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "trust_version", "school_version"],
                name="%(app_label)s_%(class)s_once_per_pair",
                violation_error_message="This school is already marked out of step here.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id}: {self.school_version_id} against {self.trust_version_id}"


class ReminderKind(models.TextChoices):
    IN_FORCE = "in_force", "The version came into force"
    REQUESTED = "requested", "Sent on request"


class AcknowledgementReminderQuerySet(ScopedQuerySet["AcknowledgementReminder"]):
    school_path = "school_id"


class AcknowledgementReminder(models.Model):
    """An e-mail to every member of staff of a school who has not yet acknowledged the protocol
    in force (once per version when it comes into force; again whenever a leader asks)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        related_name="acknowledgement_reminders",
        help_text="The most specific version in force when the reminder was queued.",
    )
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient_staff_ids = models.JSONField(default=list)

    objects = AcknowledgementReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "version"],
                condition=Q(kind="in_force"),
                name="%(app_label)s_%(class)s_once_in_force",
                violation_error_message="This version's in-force reminder is already queued.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} · {self.version_id} · {self.kind}"
