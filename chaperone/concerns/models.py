"""A safeguarding concern as stored: who raised it, when, about which pupils (each in their own
part), what was seen or said, and everything the safeguarding team did with it afterwards.

A submitted concern is never edited: what follows is added to it (:class:`ConcernEntry`:
addenda, decisions, outcomes, and the corrections of its category, date or pupils, each with
its reason), so its history reads as it happened. Who may read a concern depends on its
``route`` (see :mod:`chaperone.concerns.selectors`): the safeguarding team for a worry about a
child, the headteacher for a concern naming a member of staff, the chair of governors when it
names the headteacher.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

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
    PUPIL_PAGE = "pupil_page", "From the pupil's page"
    WELFARE_CALL = "welfare_call", "During a welfare call"
    PARENT = "parent", "Told by a parent or carer"
    PREVIOUS_SCHOOL = "previous_school", "From the previous school's child protection file"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine: the DSL looks at it today"
    URGENT = "urgent", "Urgent: a child may be at risk now"


class ConcernStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


class ConcernRoute(models.TextChoices):
    """Who handles (and alone reads) a concern: decided when it is raised."""

    SAFEGUARDING = "safeguarding", "The safeguarding team"
    HEADTEACHER = "headteacher", "The headteacher (a concern about a member of staff)"
    CHAIR = "chair", "The chair of governors (a concern about the headteacher)"


class PupilRole(models.TextChoices):
    """The part each pupil has in a concern: linking pupils never gives them all one part."""

    SUBJECT = "subject", "The child the concern is about"
    ALLEGED_VICTIM = "alleged_victim", "Alleged victim"
    ALLEGED_PERPETRATOR = "alleged_perpetrator", "Alleged perpetrator"
    WITNESS = "witness", "Witness"


class CategoryQuerySet(ScopedQuerySet["ConcernCategory"]):
    school_path = "school_id"


class ConcernCategory(models.Model):
    """A kind of concern, as the school names them (defaults in :mod:`.categories`)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="concern_categories")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    #: a concern of this kind is about an adult's conduct: it goes to the headteacher
    about_an_adult = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name", "id"]
        verbose_name_plural = "concern categories"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"],
                name="%(app_label)s_%(class)s_code_once",
                violation_error_message="The school already has a category with this code.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class ConcernQuerySet(ScopedQuerySet["Concern"]):
    school_path = "school_id"


class Concern(models.Model):
    """One worry about one or more pupils (or about an adult's conduct towards them)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="concerns")
    pupils = models.ManyToManyField(Pupil, through="ConcernPupil", related_name="concerns")
    raised_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="raised_concerns"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    #: when what is described happened (None: when it was raised); corrected only with a reason
    occurred_at = models.DateTimeField(null=True, blank=True)
    #: what was seen or said: the facts, in the words of the person raising it
    summary = models.TextField()
    #: what the child said, in their own words, where they said something
    childs_words = models.TextField(blank=True)
    category = models.ForeignKey(
        ConcernCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="concerns"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    source = models.CharField(max_length=20, choices=ConcernSource.choices)
    #: what the source was, as people recognise it (e.g. the session's title and time)
    source_label = models.CharField(max_length=200, blank=True)
    #: the source's own id (a session's, a welfare call's) for the chronology to join on
    source_ref = models.CharField(max_length=40, blank=True)
    #: facts about the source kept with the concern (platform, whether it was recorded, ...)
    source_details = models.JSONField(default=dict, blank=True)
    #: who told the raiser, when it was not their own observation (e.g. a parent's name)
    told_by = models.CharField(max_length=200, blank=True)
    #: body map marks: [{"side": "front"|"back", "x": 0-100, "y": 0-100, "note": "..."}]
    body_map = models.JSONField(default=list, blank=True)
    #: the member of staff the concern names (a concern about an adult), if any
    about_staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="concerns_about",
    )
    route = models.CharField(
        max_length=20, choices=ConcernRoute.choices, default=ConcernRoute.SAFEGUARDING
    )
    status = models.CharField(
        max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.NEW
    )
    #: when the safeguarding team was emailed (None: not yet, or nobody to email)
    alert_sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: the member of the team who handles it
    assigned_to = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_concerns",
    )
    #: how far an unacknowledged urgent concern has been escalated: 0 none, 1 the team told
    #: again, 2 the headteacher told (the escalation job moves it on at most once per step)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closure_rationale = models.TextField(blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: the previous school's file it was recreated from (None: raised here). Such a concern is
    #: kept as it was sent: only added to (addenda, files), never handled or corrected here.
    imported_from = models.ForeignKey(
        "ReceivedFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="concerns",
    )
    #: the imported concern's fingerprint (the sending school's URN, when and by whom it was
    #: raised, its facts): importing the same file, or a later one with it, makes it once
    imported_key = models.CharField(max_length=64, blank=True)
    #: marked for the DSL's disclosure review (who, when, why): a subject access pack withholds
    #: the concern, with a note, until the mark is cleared (None: not marked)
    disclosure_review_at = models.DateTimeField(null=True, blank=True)
    disclosure_review_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disclosure_review_reason = models.TextField(blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["school", "raised_at"]),
            models.Index(fields=["school", "status", "urgency"], name="concerns_inbox_idx"),
            models.Index(fields=["school", "route", "raised_at"], name="concerns_route_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(route="safeguarding") | Q(about_staff__isnull=False),
                name="%(app_label)s_%(class)s_adult_route_names_someone",
                violation_error_message="A concern about an adult names the member of staff.",
            ),
            models.UniqueConstraint(
                fields=["school", "imported_key"],
                condition=~Q(imported_key=""),
                name="%(app_label)s_%(class)s_imported_once",
                violation_error_message="This concern from the previous school is here already.",
            ),
            models.CheckConstraint(
                condition=~Q(route="safeguarding") | Q(about_staff__isnull=True),
                name="%(app_label)s_%(class)s_child_route_names_no_adult",
                violation_error_message="A concern naming a member of staff is not the team's.",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="%(app_label)s_%(class)s_closed_has_a_time",
                violation_error_message="A closed concern records when it was closed.",
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.raised_at)
        return f"Concern raised {when.day} {when:%B %Y at %H:%M}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)

    @property
    def is_about_an_adult(self) -> bool:
        return self.route != ConcernRoute.SAFEGUARDING

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT

    @property
    def is_closed(self) -> bool:
        return self.status == ConcernStatus.CLOSED

    @property
    def is_imported(self) -> bool:
        return self.imported_from_id is not None

    @property
    def is_marked_for_disclosure_review(self) -> bool:
        return self.disclosure_review_at is not None

    @property
    def happened_at(self) -> dt.datetime:
        return self.occurred_at or self.raised_at


@object_rule(Concern, "concern.view")
def _raiser_sees_their_concern(actor: Actor) -> Q | None:
    # A concern about an adult is not shown back even to its raiser: it goes to the head (or
    # the chair of governors) alone. See selectors.concerns_visible.
    if actor.staff_id is None:
        return None
    return Q(raised_by_id=actor.staff_id, route=ConcernRoute.SAFEGUARDING)


class ConcernPupilQuerySet(models.QuerySet["ConcernPupil"]):
    """Links are written with the copies of their concern's school, route and time filled in
    (:meth:`ConcernPupil.copy_from_concern`), whichever way they are created."""

    def create(self, **kwargs: Any) -> Any:
        link = ConcernPupil(**kwargs)
        link.copy_from_concern()
        link.save(force_insert=True, using=self.db)
        return link

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        links = list(objs)
        for link in links:
            link.copy_from_concern()
        return super().bulk_create(links, *args, **kwargs)


class ConcernPupil(models.Model):
    unscoped_because = "read only through its concern, which is scoped"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="pupil_links")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="concern_links")
    role = models.CharField(max_length=30, choices=PupilRole.choices, default=PupilRole.SUBJECT)
    # Copies of the concern's school, route and raised_at, which never change once it is
    # raised: the dashboard counts pupils with repeated concerns from one index on the links
    # alone instead of a join to every concern of the year (reports._repeated).
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=False)
    route = models.CharField(max_length=20, choices=ConcernRoute.choices)
    raised_at = models.DateTimeField()

    objects = ConcernPupilQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "pupil"], name="%(app_label)s_%(class)s_pupil_once"
            )
        ]
        indexes = [
            models.Index(fields=["pupil", "concern"], name="concerns_pupil_idx"),
            models.Index(
                fields=["school", "route", "raised_at", "pupil", "concern"],
                name="concerns_repeated_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} in concern {self.concern_id} ({self.role})"

    def copy_from_concern(self) -> None:
        concern = self.concern
        self.school_id = concern.school_id
        self.route = concern.route
        self.raised_at = concern.raised_at


class EntryKind(models.TextChoices):
    """What was added to a concern after it was submitted."""

    ADDENDUM = "addendum", "Addendum"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    CORRECTION = "correction", "Correction"
    DECISION_NOT_TO_REFER = "no_referral", "Decision not to refer"
    OUTCOME = "outcome", "Outcome"
    ESCALATED = "escalated", "Escalated (not acknowledged in time)"
    CLOSED = "closed", "Closed"
    SIGNED_OFF = "signed_off", "Signed off by the DSL"
    LADO = "lado", "LADO consultation or referral"


class ConcernEntry(models.Model):
    """One addition to a concern's history. Corrections carry ``details`` =
    ``{"field": "category"|"occurred_at"|"pupils", "old": ..., "new": ...}`` and a reason in
    ``text``; nothing here is changed or removed once written."""

    unscoped_because = "read only through its concern, which is scoped"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    text = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    #: None: the system (an escalation)
    by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["concern", "at"], name="concerns_entry_idx")]
        verbose_name_plural = "concern entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on concern {self.concern_id}"


class ActionKind(models.TextChoices):
    REFER_SOCIAL_CARE = "refer_social_care", "Refer to children's social care"
    EARLY_HELP = "early_help", "Early help"
    CALL_PARENT = "call_parent", "Call the parent or carer"
    MONITOR = "monitor", "Monitor"
    POLICE = "police", "Tell the police"
    LADO = "lado", "Consult the LADO"
    OTHER = "other", "Other"


class ActionStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActionQuerySet(ScopedQuerySet["ConcernAction"]):
    school_path = "concern__school_id"


class ConcernAction(models.Model):
    """Something to do about a concern, by someone, by a date."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=30, choices=ActionKind.choices)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default="open")
    outcome = models.TextField(blank=True)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: when its owner and the DSL were told it is overdue (once per action)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="concerns_action_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (due {self.due_on:%d %B %Y})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.concern.school_id, trust_id=None)

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN


class AllegationLevel(models.TextChoices):
    ALLEGATION = "allegation", "Allegation (may meet the harm threshold)"
    LOW_LEVEL = "low_level", "Low-level concern"


class AllegationOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", "Substantiated"
    UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
    UNFOUNDED = "unfounded", "Unfounded"
    FALSE = "false", "False"
    MALICIOUS = "malicious", "Malicious"


class Allegation(models.Model):
    """The allegations process of a concern about an adult: the LADO's part and the outcome.
    A low-level concern stays in the school's low-level concerns log."""

    unscoped_because = "read only through its concern, which is scoped"

    concern = models.OneToOneField(Concern, on_delete=models.CASCADE, related_name="allegation")
    level = models.CharField(
        max_length=20, choices=AllegationLevel.choices, default=AllegationLevel.ALLEGATION
    )
    lado_consulted_at = models.DateTimeField(null=True, blank=True)
    lado_officer = models.CharField("LADO's name", max_length=200, blank=True)
    lado_advice = models.TextField("LADO's advice", blank=True)
    lado_referred_at = models.DateTimeField(null=True, blank=True)
    lado_reference = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=20, choices=AllegationOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_level_display()} (concern {self.concern_id})"


class DraftQuerySet(ScopedQuerySet["ConcernDraft"]):
    school_path = "school_id"


class ConcernDraft(models.Model):
    """What someone has typed of a concern so far, saved as they type (read by its author only:
    see ``selectors.draft_get``). Removed when the concern is submitted."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["author", "updated_at"], name="concerns_draft_idx")]

    def __str__(self) -> str:
        return f"draft {self.pk} by staff {self.author_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


def _attachment_path(instance: ConcernAttachment, filename: str) -> str:
    # Never the uploaded name: a random one under the school (files are served by a view that
    # checks who asks, never from MEDIA_URL).
    return f"concerns/{instance.school_id}/{uuid.uuid4().hex}"


class AttachmentQuerySet(ScopedQuerySet["ConcernAttachment"]):
    school_path = "school_id"


class ConcernAttachment(models.Model):
    """A file kept with a concern (a photo, a screenshot, a letter). Uploaded with a draft, it
    moves to the concern when that is submitted; the content was checked against its name."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey(
        Concern, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    draft = models.ForeignKey(
        ConcernDraft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


# --- chronology, transfer of the child protection file (issue #10, items 4 and 7) -------------


class EventKind(models.TextChoices):
    """A significant event the DSL adds to a child's chronology (not a concern itself)."""

    MEETING = "meeting", "Meeting (strategy meeting, case conference, core group, TAC)"
    PLAN = "plan", "Plan started, changed or ended (CP plan, CIN, EHCP, early help)"
    HOME = "home", "Change at home (moved, new adult in the home, bereavement)"
    SCHOOL = "school", "Change at school (exclusion, part-time timetable, move of class)"
    CONTACT = "contact", "Contact from an agency (social care, police, health)"
    OTHER = "other", "Other significant event"


class ChronologyEventQuerySet(ScopedQuerySet["ChronologyEvent"]):
    school_path = "school_id"


class ChronologyEvent(models.Model):
    """Something that happened in a child's life the DSL records on their chronology (a
    strategy meeting, a plan starting, a move of home). Added, never edited."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="chronology_events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    occurred_on = models.DateField()
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ChronologyEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["pupil", "occurred_on"], name="concerns_event_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.occurred_on:%d %B %Y})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class TransferStatus(models.TextChoices):
    PREPARED = "prepared", "Bundle prepared, not yet sent"
    SENT = "sent", "Sent, receipt not yet confirmed"
    RECEIVED = "received", "Receipt confirmed by the new school"


class TransferQuerySet(ScopedQuerySet["FileTransfer"]):
    school_path = "school_id"


class FileTransfer(models.Model):
    """A leaving pupil's child protection file going to their new school, apart from the main
    pupil file: a sealed bundle (``transfer.bundle_build``), due within five school days of
    the leaving date, with reminders until the new school's receipt is recorded."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="cp_transfers")
    #: the id the bundle carries, so a receiving Chaperone school can confirm receipt
    reference = models.UUIDField(unique=True)
    leaving_on = models.DateField()
    #: the fifth school day after the leaving date (KCSIE)
    due_on = models.DateField()
    to_school_name = models.CharField("new school", max_length=200)
    to_school_urn = models.CharField("new school's URN", max_length=6)
    to_dsl_email = models.EmailField("new school's DSL email", blank=True)
    status = models.CharField(
        max_length=20, choices=TransferStatus.choices, default=TransferStatus.PREPARED
    )
    bundle = models.FileField(upload_to="concerns/transfers/", max_length=200, blank=True)
    #: SHA-256 of the whole bundle file, to give the new school separately
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    concern_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    #: who at the new school confirmed receipt (their name and role, as they gave it)
    received_confirmed_by = models.CharField(max_length=200, blank=True)
    #: the last school day a reminder went (one a day at most)
    reminded_on = models.DateField(null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="concerns_transfer_due_idx")]

    def __str__(self) -> str:
        return f"CP file transfer to {self.to_school_name} (due {self.due_on:%d %B %Y})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)

    @property
    def is_received(self) -> bool:
        return self.status == TransferStatus.RECEIVED


class ReceivedFileQuerySet(ScopedQuerySet["ReceivedFile"]):
    school_path = "school_id"


class ReceivedFile(models.Model):
    """A child protection file that came with a pupil from their previous school: a Chaperone
    bundle (checked against its checksums; its concerns kept as ``data``) or a PDF from another
    system, kept as a file-only record."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="received_cp_files")
    from_school_name = models.CharField("previous school", max_length=200)
    from_school_urn = models.CharField(max_length=6, blank=True)
    #: "bundle" (a Chaperone bundle) or "pdf" (a file-only record)
    kind = models.CharField(max_length=10)
    file = models.FileField(upload_to="concerns/received/", max_length=200)
    sha256 = models.CharField(max_length=64)
    reference = models.CharField(max_length=40, blank=True)
    #: a bundle's file as JSON (its concerns, entries and actions), empty for a PDF
    data = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    objects = ReceivedFileQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"CP file from {self.from_school_name}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)
