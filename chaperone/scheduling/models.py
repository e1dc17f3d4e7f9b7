"""Sessions as stored: a planned live contact with pupils, the steps its protocol demands before
it may start, and the decisions the protocol made on it.

A :class:`Session` holds what the host planned (the fields of the engine's contact request that a
plan answers). The steps (:class:`SessionStep`) are the protocol's ``pending`` findings, each done
by someone the policy allows. Every time the plan or a step changes, the protocol decides again and
the answer is kept (:class:`SessionDecision`, pointing at the protocols app's decision record with
the versions it used); nothing of that history is ever rewritten.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chaperone.core.models import RefusesUpdate, RewriteRefused, WrittenOnce
from chaperone.people.models import Pupil, StaffMember
from chaperone.protocols.models import ProtocolDecision
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor, object_rule
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope


class SessionKind(models.TextChoices):
    GROUP = "group", "Group session"
    ONE_TO_ONE = "one_to_one", "One-to-one"
    PHONE_CALL = "phone_call", "Phone call"


class Purpose(models.TextChoices):
    TEACHING = "teaching", "Teaching a lesson"
    ACADEMIC_TUITION = "academic_tuition", "Academic tuition"
    MUSIC_TUITION = "music_tuition", "Music tuition"
    COUNSELLING = "counselling", "Counselling"
    PASTORAL = "pastoral", "Pastoral check-in"
    SEN_SUPPORT = "sen_support", "SEN support"
    WELFARE_CHECK = "welfare_check", "Welfare check"


class Platform(models.TextChoices):
    TEAMS = "teams", "Microsoft Teams"
    ZOOM = "zoom", "Zoom"
    MEET = "meet", "Google Meet"
    PHONE = "phone", "Telephone"
    OTHER = "other", "A link to another service"


class Holder(models.TextChoices):
    SCHOOL = "school", "The school's"
    PERSONAL = "personal", "Personal"


class StaffLocation(models.TextChoices):
    ON_SITE = "on_site", "In school"
    OFF_SITE = "off_site", "Away from school"


class PupilLocation(models.TextChoices):
    COMMON_ROOM = "common_room", "A shared room such as the kitchen or living room"
    BEDROOM_DOOR_OPEN = "bedroom_door_open", "Their bedroom, with the door open"
    BEDROOM = "bedroom", "Their bedroom"


class SessionState(models.TextChoices):
    PLANNED = "planned", "Planned"
    CANCELLED = "cancelled", "Cancelled"
    # running the call (conduct.py)
    LIVE = "live", "Under way"
    ENDED = "ended", "Ended"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "May go ahead"
    PENDING = "pending", "Steps to complete"
    REFUSED = "refused", "Cannot go ahead as planned"


class SessionQuerySet(ScopedQuerySet["Session"]):
    school_path = "school_id"

    def in_week(self, start: datetime) -> SessionQuerySet:
        return self.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=7))


class Session(models.Model):
    """One planned live contact with one or more pupils."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(
        max_length=120, help_text="A few words staff will recognise, e.g. 'Year 9 maths catch-up'."
    )
    kind = models.CharField(max_length=12, choices=SessionKind.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    host = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="hosted_sessions")
    planned_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="planned_sessions"
    )
    pupils = models.ManyToManyField(Pupil, through="SessionPupil", related_name="sessions")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    platform = models.CharField(max_length=10, choices=Platform.choices)
    join_url = models.URLField(max_length=500, blank=True)
    #: the meeting made on the platform once the session was allowed (meetings.py; "" = none)
    meeting_id = models.CharField(max_length=200, blank=True)
    #: what the platform said when making, changing or removing the meeting last failed
    meeting_error = models.CharField(max_length=500, blank=True)
    #: the platform the meeting was made on, and its address in that platform's API
    meeting_platform = models.CharField(max_length=10, blank=True)
    meeting_resource = models.CharField(max_length=500, blank=True)
    #: what the meeting was last made or changed from (meetings.fingerprint): a change of the
    #: session that changes it is sent to the platform
    meeting_fingerprint = models.CharField(max_length=100, blank=True)
    account = models.CharField(max_length=10, choices=Holder.choices, default=Holder.SCHOOL)
    device = models.CharField(max_length=10, choices=Holder.choices, default=Holder.SCHOOL)
    staff_location = models.CharField(
        max_length=10, choices=StaffLocation.choices, default=StaffLocation.ON_SITE
    )
    emergency = models.BooleanField(default=False)
    second_staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="second_staff_sessions",
    )
    dsl_invited = models.BooleanField(default=False)
    recording = models.BooleanField(default=False)
    waiting_room = models.BooleanField(default=True)
    pupil_location = models.CharField(
        max_length=20, choices=PupilLocation.choices, default=PupilLocation.COMMON_ROOM
    )
    parent_present = models.BooleanField(default=False)
    chaperone_present = models.BooleanField(default=False)
    #: the outcome the call is for, tied to the pupil's pastoral or EHC plan (empty: none stated)
    plan_outcome = models.TextField(blank=True)
    #: when the parents were told in writing about remote contact (None: not recorded)
    parents_informed_on = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=SessionState.choices, default=SessionState.PLANNED
    )
    #: the protocol's answer to the plan as it stands with the steps done so far
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    #: the bare plan's outcome and findings (no step done): a change that alters it sends the
    #: session back through its steps
    bare_signature = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # --- invitations and calendars (calendars.py, series.py) ---
    #: the RFC 5545 SEQUENCE of the session's calendar event, raised on every change sent out
    sequence = models.PositiveIntegerField(default=0)
    #: the weekly series this session is an occurrence of (moved or cancelled on its own)
    series = models.ForeignKey(
        "scheduling.SessionSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    # --- running the call (conduct.py): set by session_start / session_end only ---------------
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: whether the planned second adult (second member of staff or adult at home) was there at
    #: the start (None: the plan had none)
    second_adult_present = models.BooleanField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    #: the safeguarding concern raised by "End and report" (None: ended normally)
    reported_concern = models.ForeignKey(
        "concerns.Concern", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["school", "starts_at"])]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at)
        return f"{self.title}, {when.day} {when:%B %Y at %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


def _own_sessions(actor: Actor) -> Q | None:
    """Staff see and manage the sessions they host, planned or are the second adult on."""
    if actor.staff_id is None:
        return None
    return (
        Q(host_id=actor.staff_id)
        | Q(planned_by_id=actor.staff_id)
        | Q(second_staff_id=actor.staff_id)
    )


object_rule(Session, "session.view")(_own_sessions)


@object_rule(Session, "session.manage")
def _host_manages(actor: Actor) -> Q | None:
    if actor.staff_id is None:
        return None
    return Q(host_id=actor.staff_id) | Q(planned_by_id=actor.staff_id)


class SessionPupil(models.Model):
    unscoped_because = "read only through its session, which is scoped"

    session = models.ForeignKey(Session, on_delete=models.CASCADE)
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "pupil"], name="session_pupil_once")
        ]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} in session {self.session_id}"


class StepKind(models.TextChoices):
    """What a step is; each completes one field of the engine's request (see ``gate.py``)."""

    APPROVAL = "approval", "Approval by a senior leader"
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment"
    CONSENT = "consent", "Parental consent"
    INVITE_DSL = "invite_dsl", "Invite the DSL"
    SECOND_STAFF = "second_staff", "Invite a second member of staff"
    PLAN_OUTCOME = "plan_outcome", "State the outcome tied to the pupil's plan"
    PARENTS_INFORMED = "parents_informed", "Tell parents in writing in advance"
    TIMETABLE = "timetable", "Put the call on the DSL timetable"
    CHANGE_PLAN = "change_plan", "Change the plan"


class StepState(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    REFUSED = "refused", "Refused"


class StepQuerySet(ScopedQuerySet["SessionStep"]):
    school_path = "session__school_id"


class SessionStep(models.Model):
    """One step the protocol demands before the session may start."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    #: the finding this step answers, and what the protocol says to do
    code = models.CharField(max_length=60)
    remedy = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.OPEN)
    done_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_step_of_a_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_state_display()}"

    @property
    def is_done(self) -> bool:
        return self.state == StepState.DONE

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


class SchedulingRecordRefused(RewriteRefused):
    """An attempt to rewrite a session's decision or risk assessment record."""


class SessionDecisionQuerySet(RefusesUpdate, ScopedQuerySet["SessionDecision"]):
    school_path = "session__school_id"


class RiskAssessmentQuerySet(RefusesUpdate, ScopedQuerySet["RiskAssessment"]):
    school_path = "session__school_id"


class SessionDecision(WrittenOnce):
    """The protocol's answer to the session at one moment, and why it was asked again."""

    rewrite_refusal = "A session's decision history is never changed."
    rewrite_error = SchedulingRecordRefused

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="decisions")
    decision = models.ForeignKey(ProtocolDecision, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=40)
    decided_at = models.DateTimeField(default=timezone.now)

    objects = SessionDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]


def latest_decision(session: Session) -> ProtocolDecision | None:
    """The protocol's answer the session was last judged on (None before it was judged)."""
    row = session.decisions.select_related("decision").order_by("decided_at", "id").last()
    return row.decision if row is not None else None


RISK_FORM_VERSION = "chaperone-default-1"


class RiskAssessment(WrittenOnce):
    """A risk assessment written for a session, kept with the form version it answered. A new
    one is written for a changed plan; earlier ones stay."""

    rewrite_refusal = "A risk assessment is never changed; write a new one."
    rewrite_error = SchedulingRecordRefused

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assessments")
    form_version = models.CharField(max_length=40, default=RISK_FORM_VERSION)
    answers = models.JSONField()
    written_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    objects = RiskAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at", "-id"]

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


from chaperone.scheduling import feeds, invitations, series  # noqa: E402,F401  (calendars part)
from chaperone.scheduling.anomalies import AnomalySettings  # noqa: E402,F401  (anomaly flags, issue #9 part 5)

# running the call and its log (issue #9, part 7-8)
from chaperone.scheduling.conduct import (  # noqa: E402,F401
    Attendance,
    SessionLog,
    SessionLogRemoval,
    StartCheck,
)
from chaperone.scheduling.consent import ParentalConsent  # noqa: E402,F401
