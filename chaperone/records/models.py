"""Records as stored: the recording register, legal holds, links to concerns, the file
deletions still to finish, who opened a recording and why, and the school's own retention
schedule.

A :class:`Recording` is one recording of a session: a file uploaded to Chaperone (kept in the
``recordings`` storage, with its size and SHA-256) or a reference to where the platform keeps it
(Teams, Zoom, a drive). A :class:`LegalHold` keeps a record (``record_type`` and id, the keys of
:mod:`chaperone.records.retention`) from the deletion job until it is released. A
:class:`PendingFileDeletion` is a file whose row is already deleted and certified: the job tries
it again until the storage confirms it gone.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chaperone.concerns.models import Concern
from chaperone.core.models import RefusesUpdate, RewriteRefused, WrittenOnce
from chaperone.people.models import StaffMember
from chaperone.scheduling.models import Session
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor, object_rule
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope


class RecordsRefused(RewriteRefused):
    """An attempt to rewrite the record of who opened a recording."""


class Source(models.TextChoices):
    UPLOAD = "upload", "Uploaded to Chaperone"
    TEAMS = "teams", "Kept in Microsoft Teams"
    ZOOM = "zoom", "Kept in Zoom"
    MEET = "meet", "Kept in Google Meet"
    DRIVE = "drive", "Kept on the school's drive"
    OTHER = "other", "Kept elsewhere (a link)"


class RecordingQuerySet(ScopedQuerySet["Recording"]):
    school_path = "school_id"


class Recording(models.Model):
    """One recording of a session, in the register."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="recordings")
    source = models.CharField(max_length=10, choices=Source.choices)
    #: the file's name in the ``recordings`` storage (uploads only)
    storage_name = models.CharField(max_length=300, blank=True)
    #: where the platform keeps it (references only)
    link = models.URLField(max_length=1000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    #: the protocol rule that asked for the recording, from the session's stored decision:
    #: ``{"rule_id", "code", "text", "protocol", "version", "decision_id"}`` (empty: none found)
    rule = models.JSONField(default=dict, blank=True)
    #: when the DSL was told of the call (the session's ``session.dsl_notified`` event)
    dsl_notified_at = models.DateTimeField(null=True, blank=True)
    dsl_notice_event_id = models.BigIntegerField(null=True, blank=True)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["-added_at", "-id"]
        indexes = [models.Index(fields=["school", "added_at"])]

    def __str__(self) -> str:
        return f"Recording of {self.session.title}"

    @property
    def is_upload(self) -> bool:
        return self.source == Source.UPLOAD

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class HoldQuerySet(ScopedQuerySet["LegalHold"]):
    school_path = "school_id"

    def active(self) -> HoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """A record kept from deletion: placed by linking it to a concern, or by the DSL with a
    reason; released by the DSL with a reason. A released hold stays as history."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    #: what the record is, as people recognise it (kept when the record itself goes)
    label = models.CharField(max_length=300)
    concern = models.ForeignKey(
        Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    #: None: placed automatically (linked to a concern by the system)
    placed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_reason = models.TextField(blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["record_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "object_id", "concern"],
                condition=Q(released_at__isnull=True, concern__isnull=False),
                name="records_one_open_hold_per_concern",
            )
        ]

    def __str__(self) -> str:
        return f"Hold on {self.label}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class LinkQuerySet(ScopedQuerySet["ConcernLink"]):
    school_path = "school_id"


class ConcernLink(models.Model):
    """A recording or log linked to a concern (which holds it)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    objects = LinkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "object_id", "concern"], name="records_link_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.object_id} linked to concern {self.concern_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class PendingQuerySet(ScopedQuerySet["PendingFileDeletion"]):
    school_path = "school_id"


class PendingFileDeletion(models.Model):
    """A recording's file still to be deleted from storage. Its row is gone and its deletion
    certified; the job tries the file until the storage confirms it gone, reporting each
    failure (``attempts``, ``last_error``)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    recording_id = models.BigIntegerField()
    storage_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_tried_at = models.DateTimeField(null=True, blank=True)

    objects = PendingQuerySet.as_manager()

    class Meta:
        ordering = ["queued_at", "id"]

    def __str__(self) -> str:
        return f"file of recording {self.recording_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class AccessQuerySet(RefusesUpdate, ScopedQuerySet["RecordingAccess"]):
    school_path = "school_id"


class RecordingAccess(WrittenOnce):
    """Someone opened a recording: who, when, and the reason they gave. Written once."""

    rewrite_refusal = "The record of who opened a recording is never changed."
    rewrite_error = RecordsRefused

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="accesses")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = AccessQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"recording {self.recording_id} opened by {self.staff_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class SettingQuerySet(ScopedQuerySet["RetentionSetting"]):
    school_path = "school_id"


class RetentionSetting(models.Model):
    """The school's own period for one kind of record, where it keeps it longer than the
    default (never shorter than the protocol asks: see ``retention.py``)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=40)
    days = models.PositiveIntegerField()
    set_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    objects = SettingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "record_type"], name="records_one_setting_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_type}: {self.days} days"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


@object_rule(Session, "recording.add")
def _host_adds_the_recording(actor: Actor) -> Q | None:
    """The host and the second member of staff add the recording of their own call."""
    if actor.staff_id is None:
        return None
    return Q(host_id=actor.staff_id) | Q(second_staff_id=actor.staff_id)


class SarQuerySet(ScopedQuerySet["SubjectAccessRequest"]):
    school_path = "school_id"


class SubjectAccessRequest(models.Model):
    """A request for everything held about a pupil, tracked against its one-month deadline."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey("people.Pupil", on_delete=models.PROTECT, related_name="+")
    #: who asked (the pupil, a parent...), in the DSL's words
    requester = models.CharField(max_length=200)
    received_on = models.DateField()
    due_on = models.DateField()
    logged_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    #: staff names are redacted too (not only other pupils)
    redact_staff = models.BooleanField(default=False)
    released_on = models.DateField(null=True, blank=True)
    #: the reminders sent: "week_before", "overdue"
    reminders_sent = models.JSONField(default=list, blank=True)

    objects = SarQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Subject access request received {self.received_on:%d %B %Y}"

    @property
    def is_open(self) -> bool:
        return self.released_on is None

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)
