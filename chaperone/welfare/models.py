"""Welfare calls as stored: each pupil's need (the contact tier and its history), each family's
preferences, each caller's availability, the rota runs the planner made (calls and what could not
be placed), the calls made, and the escalations of families not reached.

Households are trust-wide (siblings at two schools share one), so rows about a household are
scoped through its pupils' schools.
"""

from __future__ import annotations

import copy

from django.db import models
from django.utils import timezone

from chaperone.concerns.models import Concern
from chaperone.people.models import Household, Pupil, StaffMember
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope


class Tier(models.TextChoices):
    """How often a family hears from school during a closure (most frequent first)."""

    DAILY = "daily", "Every school day"
    TWICE_WEEKLY = "twice_weekly", "Twice a week"
    WEEKLY = "weekly", "Once a week"
    FORTNIGHTLY = "fortnightly", "Once a fortnight"


#: most frequent first: a household's tier is the first of its children's in this order
TIER_ORDER: tuple[str, ...] = tuple(Tier.values)


def most_frequent(tiers: list[str]) -> str:
    """The most often called of ``tiers`` (fortnightly for none)."""
    return min(tiers, key=TIER_ORDER.index, default=Tier.FORTNIGHTLY.value)


class Weekday(models.TextChoices):
    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"


WEEKDAYS: tuple[str, ...] = tuple(Weekday.values)


class WelfareChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    VIDEO = "video", "Video call"


class PupilNeedQuerySet(ScopedQuerySet["PupilNeed"]):
    school_path = "pupil__school_id"


class PupilNeed(models.Model):
    """What the DSL adds to a pupil's flags: "known to us" (at risk without a status) and a tier
    set by hand (stepped up or down, with the reason). Blank ``tier``: the flags decide."""

    pupil = models.OneToOneField(Pupil, on_delete=models.CASCADE, related_name="welfare_need")
    known_to_us = models.BooleanField(
        "known to us",
        default=False,
        help_text="The DSL knows this pupil to be at risk without a formal status.",
    )
    tier = models.CharField(max_length=12, choices=Tier.choices, blank=True)
    reason = models.TextField(blank=True)
    set_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(null=True, blank=True)

    objects = PupilNeedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"need of pupil {self.pupil_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.pupil.school_id, trust_id=None)


class TierChangeQuerySet(ScopedQuerySet["TierChange"]):
    school_path = "pupil__school_id"


class TierChange(models.Model):
    """One change of a pupil's tier by the DSL: never rewritten (the history)."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="tier_changes")
    old_tier = models.CharField(max_length=12, choices=Tier.choices)
    new_tier = models.CharField(max_length=12, choices=Tier.choices)
    #: True when the DSL handed the decision back to the flags
    back_to_flags = models.BooleanField(default=False)
    known_to_us = models.BooleanField(default=False)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    objects = TierChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.old_tier} → {self.new_tier}"

    @property
    def direction(self) -> str:
        old, new = TIER_ORDER.index(self.old_tier), TIER_ORDER.index(self.new_tier)
        return "stepped up" if new < old else "stepped down" if new > old else "kept"


class PreferenceQuerySet(ScopedQuerySet["HouseholdPreference"]):
    school_path = "household__pupils__school_id"
    school_path_is_multi = True


class HouseholdPreference(models.Model):
    """How a family likes to be contacted during a closure (one row per trust-wide household)."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="welfare_preference"
    )
    channel = models.CharField(
        "preferred channel",
        max_length=10,
        choices=WelfareChannel.choices,
        default=WelfareChannel.PHONE,
    )
    #: weekdays not to call, e.g. "mon,fri"
    avoid_days = models.CharField("days to avoid", max_length=40, blank=True)
    avoid_times = models.CharField(
        "times to avoid", max_length=100, blank=True, help_text="For example 'before 10am'."
    )
    language = models.CharField(max_length=40, blank=True)
    ask_for = models.CharField("who to ask for", max_length=100, blank=True)
    updated_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PreferenceQuerySet.as_manager()

    def __str__(self) -> str:
        return f"preferences of household {self.household_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.household.trust_id)

    @property
    def avoid_day_list(self) -> list[str]:
        return [d for d in self.avoid_days.split(",") if d]

    @property
    def avoid_days_shown(self) -> str:
        return ", ".join(Weekday(d).label for d in self.avoid_day_list if d in WEEKDAYS)


class CallerQuerySet(ScopedQuerySet["CallerAvailability"]):
    school_path = "staff__assignments__school_id"
    school_path_is_multi = True


class WithheldNumber(models.TextChoices):
    SCHOOL_PHONE = "school_phone", "Calls from a school phone, number shown"
    WITHHELD = "withheld", "Own phone only with the number withheld"


class CallerAvailability(models.Model):
    """When a member of staff can make welfare calls, and from which phone."""

    staff = models.OneToOneField(
        StaffMember, on_delete=models.CASCADE, related_name="welfare_availability"
    )
    #: weekdays they can call, e.g. "mon,tue,wed"
    days = models.CharField(max_length=40, default="mon,tue,wed,thu,fri")
    hours_from = models.TimeField(default="09:00")
    hours_to = models.TimeField(default="15:00")
    calls_per_day = models.PositiveSmallIntegerField(default=6)
    school_phone = models.CharField("school phone or extension", max_length=40, blank=True)
    withheld_number = models.CharField(
        "number policy",
        max_length=12,
        choices=WithheldNumber.choices,
        default=WithheldNumber.SCHOOL_PHONE,
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(calls_per_day__lte=100),
                name="%(app_label)s_%(class)s_calls_per_day_range",
                violation_error_message="Calls a day: at most 100.",
            ),
            models.CheckConstraint(
                condition=models.Q(hours_from__lt=models.F("hours_to")),
                name="%(app_label)s_%(class)s_hours_in_order",
                violation_error_message="Hours: the start must come before the end.",
            ),
        ]

    def __str__(self) -> str:
        return f"availability of {self.staff_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.staff.trust_id)

    @property
    def day_list(self) -> list[str]:
        return [d for d in self.days.split(",") if d]

    @property
    def days_shown(self) -> str:
        return ", ".join(Weekday(d).label for d in self.day_list if d in WEEKDAYS)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be planned"
    PLANNED = "planned", "Planned"
    GAPS = "gaps", "Planned, with calls that could not be placed"
    FAILED = "failed", "Could not be planned"
    REPLACED = "replaced", "Replaced by a re-plan"


class RotaRunQuerySet(ScopedQuerySet["RotaRun"]):
    school_path = "schools__id"
    school_path_is_multi = True


class RotaRun(models.Model):
    """One rota for a closure: the school days it covers, the schools whose families and staff it
    takes, and what the planner made of them. A re-plan is a new run pointing at the old one."""

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    schools = models.ManyToManyField(School, related_name="+")
    title = models.CharField(max_length=120)
    first_day = models.DateField()
    last_day = models.DateField()
    #: the school days planned (ISO dates), as handed to the planner
    days = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    replans = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replanned_by"
    )
    #: staff away for the re-plan (ids), and from which day
    absent_staff = models.JSONField(default=list, blank=True)
    replan_from = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    planned_at = models.DateTimeField(null=True, blank=True)
    #: what the planner said (stats), or the error (code, message, field)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    #: people and families left out before planning, in words (e.g. staff without a school)
    warnings = models.JSONField(default=list, blank=True)

    objects = RotaRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.trust_id)


class CallStatus(models.TextChoices):
    PLANNED = "planned", "To call"
    MADE = "made", "Called"
    MOVED = "moved", "Moved by a re-plan"


class PlannedCallQuerySet(ScopedQuerySet["PlannedCall"]):
    school_path = "household__pupils__school_id"
    school_path_is_multi = True


class PlannedCall(models.Model):
    """One call the rota asks a member of staff to make to a family on a day."""

    run = models.ForeignKey(RotaRun, on_delete=models.CASCADE, related_name="calls")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    #: the household's tier when planned
    tier = models.CharField(max_length=12, choices=Tier.choices)
    status = models.CharField(max_length=10, choices=CallStatus.choices, default=CallStatus.PLANNED)
    #: a retry the app added after an attempt that did not reach the family
    is_retry = models.BooleanField(default=False)

    objects = PlannedCallQuerySet.as_manager()

    class Meta:
        ordering = ["day", "staff_id", "id"]
        indexes = [models.Index(fields=["staff", "day"]), models.Index(fields=["run", "day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "household", "day"],
                name="%(app_label)s_%(class)s_one_call_a_day",
                violation_error_message="A family is called at most once a day.",
            )
        ]

    def __str__(self) -> str:
        return f"call to household {self.household_id} on {self.day}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.run.trust_id)


class UnplacedQuerySet(ScopedQuerySet["UnplacedContact"]):
    school_path = "household__pupils__school_id"
    school_path_is_multi = True


class UnplacedContact(models.Model):
    """Calls due that the planner could not give anyone, with its reason in the DSL's words."""

    run = models.ForeignKey(RotaRun, on_delete=models.CASCADE, related_name="unplaced")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    missing = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=20)
    message = models.TextField()

    objects = UnplacedQuerySet.as_manager()

    class Meta:
        ordering = ["period_start", "household_id"]

    def __str__(self) -> str:
        return self.message


class Outcome(models.TextChoices):
    SPOKE_TO_CHILD = "child", "Spoke to the child"
    PARENT_ONLY = "parent", "Spoke to a parent or carer only"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    WRONG_NUMBER = "wrong", "Wrong number"
    REFUSED = "refused", "The family would not talk"


#: outcomes in which someone at home was reached
REACHED = frozenset({Outcome.SPOKE_TO_CHILD.value, Outcome.PARENT_ONLY.value})


class Answer(models.TextChoices):
    NOT_ASKED = "", "Not asked"
    FINE = "fine", "Fine"
    WORRY = "worry", "A worry"


#: the school's key questions: field name -> how the form asks it
KEY_QUESTIONS: dict[str, str] = {
    "food": "Food: is there enough at home?",
    "safety": "Safety: does everyone feel safe?",
    "learning": "Learning: is the child managing the work?",
    "health": "Health: is everyone well?",
}


class CallLogQuerySet(ScopedQuerySet["CallLog"]):
    school_path = "household__pupils__school_id"
    school_path_is_multi = True


class CallLog(models.Model):
    """One attempt to reach a family, as the caller recorded it."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    planned_call = models.ForeignKey(
        PlannedCall, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs"
    )
    caller = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    made_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    spoke_to_child = models.BooleanField(default=False)
    food = models.CharField(max_length=5, choices=Answer.choices, blank=True)
    safety = models.CharField(max_length=5, choices=Answer.choices, blank=True)
    learning = models.CharField(max_length=5, choices=Answer.choices, blank=True)
    health = models.CharField(max_length=5, choices=Answer.choices, blank=True)
    notes = models.TextField(blank=True)
    concern = models.ForeignKey(
        Concern, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CallLogQuerySet.as_manager()

    class Meta:
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["household", "day"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.day}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.household.trust_id)

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED


class LadderStep(models.TextChoices):
    DSL_REVIEW = "dsl_review", "DSL review"
    SOCIAL_WORKER = "social_worker", "Social worker informed"
    HOME_VISIT = "home_visit", "Home visit"
    POLICE = "police", "Police safe-and-well check"


class LadderAudience(models.TextChoices):
    """Who is told when a step of the ladder opens (besides the DSL's first notice)."""

    SAFEGUARDING = "safeguarding", "The DSL and deputies"
    HEAD = "head", "The headteacher"
    CALLERS = "callers", "The family's callers"


#: the ladder a school starts with: step, days allowed for it before the next step is due, and
#: who is told when it opens
DEFAULT_LADDER: list[dict[str, object]] = [
    {"step": LadderStep.DSL_REVIEW.value, "days": 1, "tell": ["safeguarding"]},
    {"step": LadderStep.SOCIAL_WORKER.value, "days": 1, "tell": ["safeguarding"]},
    {"step": LadderStep.HOME_VISIT.value, "days": 2, "tell": ["safeguarding"]},
    {"step": LadderStep.POLICE.value, "days": 1, "tell": ["safeguarding", "head"]},
]
#: bounds of a school's own ladder (the DSL's ladder page)
LADDER_MAX_STEPS = 6
LADDER_MAX_DAYS = 30


def default_ladder() -> list[dict[str, object]]:
    return copy.deepcopy(DEFAULT_LADDER)


class SettingsQuerySet(ScopedQuerySet["WelfareSettings"]):
    school_path = "school_id"


class WelfareSettings(models.Model):
    """A school's escalation ladder: the steps after a family is not reached, and their timers."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    ladder = models.JSONField(default=default_ladder)

    objects = SettingsQuerySet.as_manager()

    def __str__(self) -> str:
        return f"welfare settings of school {self.school_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed: the family was reached or the DSL closed it"


class EscalationQuerySet(ScopedQuerySet["Escalation"]):
    school_path = "school_id"


class Escalation(models.Model):
    """A family not reached on two separate days, sent to the DSL with the attempt history."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    #: the school whose DSL handles it (the school of the family's most needy child)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    #: the failed attempts it was raised on: [{"day", "outcome", "caller"}, ...]
    attempts = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    #: the ladder as the school had it when raised
    ladder = models.JSONField(default=default_ladder)
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status="open"),
                name="%(app_label)s_%(class)s_one_open_per_household",
                violation_error_message="This family already has an open escalation.",
            )
        ]

    def __str__(self) -> str:
        return f"escalation of household {self.household_id}"

    @property
    def last_step(self) -> EscalationStep | None:
        """The ladder's latest step (prefetch ``steps`` when listing many)."""
        steps = list(self.steps.all())
        return max(steps, key=lambda s: (s.opened_at, s.pk)) if steps else None

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)


class EscalationStepQuerySet(ScopedQuerySet["EscalationStep"]):
    school_path = "escalation__school_id"


class EscalationStep(models.Model):
    """One rung of the ladder on one escalation: when it became due, and what came of it."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20, choices=LadderStep.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)
    #: True: the family was found safe, the escalation closes with this step
    resolved = models.BooleanField(default=False)
    #: True: the timer ran out and the daily job opened the next step
    timed_out = models.BooleanField(default=False)

    objects = EscalationStepQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return self.get_step_display()

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.escalation.school_id, trust_id=None)
