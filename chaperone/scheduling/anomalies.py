"""Anomaly flags on the DSL timetable: a registry of checks, each run over a whole page of
sessions at once in a fixed number of queries.

A check (:class:`AnomalyCheck`) reads the facts every row already carries
(:class:`SessionFacts`: times, host, pupils, account and device, the protocol's finding codes)
and may run at most one query of its own in :meth:`AnomalyCheck.prepare`, for the whole page.
Add a check by decorating a class with :func:`register`; the timetable shows its flags with no
other change. Checks that need facts recorded when a call runs (the second adult missing at the
start, a call started before it was allowed, a log not written within 24 hours) are added the
same way once the session keeps those facts.

The threshold of the repeated one-to-one check is per school (:class:`AnomalySettings`; the
defaults when a school has none: 3 one-to-ones of one adult with one pupil within 28 days).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.scheduling.models import (
    Session,
    SessionDecision,
    SessionKind,
    SessionPupil,
    SessionState,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import ScopedQuerySet

DEFAULT_REPEAT_THRESHOLD = 3
DEFAULT_REPEAT_DAYS = 28
#: kinds of call that are one adult with one pupil
ONE_TO_ONE_KINDS = (SessionKind.ONE_TO_ONE, SessionKind.PHONE_CALL)


class AnomalySettingsQuerySet(ScopedQuerySet["AnomalySettings"]):
    school_path = "school_id"


class AnomalySettings(models.Model):
    """A school's thresholds for the timetable's anomaly flags."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    repeat_threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_REPEAT_THRESHOLD,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text="Flag the one-to-one that makes this many of one adult with one pupil.",
    )
    repeat_days = models.PositiveSmallIntegerField(
        default=DEFAULT_REPEAT_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Counted over this many days up to the call.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AnomalySettingsQuerySet.as_manager()

    class Meta:
        app_label = "scheduling"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(repeat_threshold__gte=2, repeat_threshold__lte=50),
                name="scheduling_anomalysettings_threshold_range",
                violation_error_message="The threshold is between 2 and 50 one-to-ones.",
            ),
            models.CheckConstraint(
                condition=models.Q(repeat_days__gte=1, repeat_days__lte=366),
                name="scheduling_anomalysettings_days_range",
                violation_error_message="The period is between 1 and 366 days.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repeat_threshold} one-to-ones in {self.repeat_days} days"


@dataclass(frozen=True)
class Thresholds:
    repeat_threshold: int = DEFAULT_REPEAT_THRESHOLD
    repeat_days: int = DEFAULT_REPEAT_DAYS


def thresholds_for(school: School) -> Thresholds:
    row = AnomalySettings.objects.filter(school=school).first()
    if row is None:
        return Thresholds()
    return Thresholds(row.repeat_threshold, row.repeat_days)


class SettingsProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def anomaly_settings_set(
    *, actor: Actor, school: School, repeat_threshold: int, repeat_days: int
) -> AnomalySettings:
    """Change the school's thresholds (those who see the timetable set its flags)."""
    if not actor.can("session.timetable", school.pk):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("You cannot change the timetable's flags in this school.")
    if not 2 <= repeat_threshold <= 50:
        raise SettingsProblem("repeat_threshold", "Enter a number of one-to-ones from 2 to 50.")
    if not 1 <= repeat_days <= 366:
        raise SettingsProblem("repeat_days", "Enter a number of days from 1 to 366.")
    with transaction.atomic():
        row, _ = AnomalySettings.objects.select_for_update().get_or_create(school=school)
        before = {"repeat_threshold": row.repeat_threshold, "repeat_days": row.repeat_days}
        row.repeat_threshold, row.repeat_days = repeat_threshold, repeat_days
        row.updated_at = timezone.now()
        row.save()
        audit_record(
            "session.anomaly_settings_changed",
            actor=actor,
            target=school,
            details={
                "before": before,
                "after": {"repeat_threshold": repeat_threshold, "repeat_days": repeat_days},
            },
        )
    return row


# --- the checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    detail: str


@dataclass
class SessionFacts:
    """What a check may read of a session without a query of its own."""

    pk: int
    kind: str
    state: str
    starts_at: datetime
    host_id: int
    host_name: str
    account: str
    device: str
    emergency: bool
    pupil_ids: list[int] = field(default_factory=list)
    pupil_names: list[str] = field(default_factory=list)
    #: finding codes of the protocol's latest decision on the session
    codes: frozenset[str] = frozenset()
    #: finding codes of the bare plan (no step done), as the session keeps them
    bare_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    """The page of sessions the checks run over."""

    school: School
    begin: datetime
    end: datetime
    sessions: Sequence[SessionFacts]


class AnomalyCheck(Protocol):
    code: ClassVar[str]

    def prepare(self, page: Page) -> None:
        """Read what the check needs for the whole page (at most one query)."""

    def flag(self, facts: SessionFacts) -> Flag | None: ...


#: the checks run on every timetable, in order
CHECKS: list[Callable[[], AnomalyCheck]] = []


def register(check: type) -> type:
    CHECKS.append(check)
    return check


def flags_for(page: Page) -> dict[int, list[Flag]]:
    """Each session's flags, by id; a fixed number of queries whatever the page holds."""
    checks = [make() for make in CHECKS]
    for check in checks:
        check.prepare(page)
    found: dict[int, list[Flag]] = {}
    for facts in page.sessions:
        flags = [f for f in (c.flag(facts) for c in checks) if f is not None]
        if flags:
            found[facts.pk] = flags
    return found


@register
class OutsidePermittedHours:
    """The protocol found the call outside the hours allowed for its purpose (on the latest
    decision, or on the bare plan before a step such as consent made it acceptable)."""

    code = "outside_hours"
    finding = "OUTSIDE_PERMITTED_HOURS"

    def prepare(self, page: Page) -> None:
        return None

    def flag(self, facts: SessionFacts) -> Flag | None:
        if self.finding in facts.codes or self.finding in facts.bare_codes:
            return Flag(
                self.code,
                "Outside permitted hours",
                "The protocol's hours for this kind of call do not include this time.",
            )
        return None


@register
class OffSchoolAccountOrDevice:
    code = "off_school_kit"

    def prepare(self, page: Page) -> None:
        return None

    def flag(self, facts: SessionFacts) -> Flag | None:
        off = [
            what
            for what, holder in (("account", facts.account), ("device", facts.device))
            if holder != "school"
        ]
        if not off:
            return None
        return Flag(
            self.code,
            "Personal " + " and ".join(off),
            f"Hosted on a personal {' and '.join(off)}, not the school's.",
        )


@register
class RepeatedOneToOne:
    """The one-to-one that makes ``threshold`` of one adult with one pupil within ``days``."""

    code = "repeated_one_to_one"

    def __init__(self) -> None:
        self.limits = Thresholds()
        self.starts: dict[tuple[int, int], list[datetime]] = {}

    def prepare(self, page: Page) -> None:
        self.limits = thresholds_for(page.school)
        since = page.begin - timedelta(days=self.limits.repeat_days)
        pairs = (
            SessionPupil.objects.filter(
                session__school=page.school,
                session__kind__in=ONE_TO_ONE_KINDS,
                session__starts_at__gte=since,
                session__starts_at__lt=page.end,
            )
            .exclude(session__state=SessionState.CANCELLED)
            .values_list("session__host_id", "pupil_id", "session__starts_at")
        )
        starts: dict[tuple[int, int], list[datetime]] = defaultdict(list)
        for host_id, pupil_id, starts_at in pairs:
            starts[(host_id, pupil_id)].append(starts_at)
        for times in starts.values():
            times.sort()
        self.starts = starts

    def flag(self, facts: SessionFacts) -> Flag | None:
        if facts.kind not in ONE_TO_ONE_KINDS or facts.state == SessionState.CANCELLED:
            return None
        window = timedelta(days=self.limits.repeat_days)
        for pupil_id, name in zip(facts.pupil_ids, facts.pupil_names, strict=True):
            times = self.starts.get((facts.host_id, pupil_id), [])
            upto = bisect.bisect_right(times, facts.starts_at)
            count = upto - bisect.bisect_right(times, facts.starts_at - window)
            if count >= self.limits.repeat_threshold:
                return Flag(
                    self.code,
                    f"One-to-one number {count} in {self.limits.repeat_days} days",
                    f"{facts.host_name} has met {name} one-to-one {count} times in the "
                    f"{self.limits.repeat_days} days up to this call (the school flags "
                    f"{self.limits.repeat_threshold}).",
                )
        return None


__all__ = [
    "CHECKS",
    "AnomalyCheck",
    "AnomalySettings",
    "Flag",
    "Page",
    "SessionFacts",
    "anomaly_settings_set",
    "flags_for",
    "register",
    "thresholds_for",
]


# --- checks on how the call ran (the facts running a call records: see conduct.py) ----------


@register
class SecondAdultMissingAtStart:
    """The plan had a second adult (a member of staff or an adult at home), and the host recorded
    at the start that they were not there."""

    code = "second_adult_missing"

    def prepare(self, page: Page) -> None:
        ids = [s.pk for s in page.sessions]
        self.missing = set(
            Session.objects.filter(pk__in=ids, second_adult_present=False).values_list(
                "pk", flat=True
            )
        )

    def flag(self, facts: SessionFacts) -> Flag | None:
        if facts.pk not in self.missing:
            return None
        return Flag(
            self.code,
            "Second adult missing",
            "The second adult the plan named was not there when the call started.",
        )


@register
class StartedBeforeAllowed:
    """The call was opened while the protocol's latest answer before that moment was not
    "allowed". The gate refuses this, so a flag here means something went round it."""

    code = "started_before_allowed"

    def prepare(self, page: Page) -> None:
        ids = [s.pk for s in page.sessions]
        rows = (
            SessionDecision.objects.filter(
                session_id__in=ids,
                session__started_at__isnull=False,
                decided_at__lte=models.F("session__started_at"),
            )
            .order_by("session_id", "decided_at", "id")
            .values_list("session_id", "decision__outcome")
        )
        at_start: dict[int, str] = {}
        for session_id, outcome in rows:
            at_start[session_id] = outcome  # the last one before the start wins
        # only where a decision before the start says so (rows loaded from elsewhere, such as
        # the demo's past calls, have none to go on)
        self.early = {pk for pk, outcome in at_start.items() if outcome != "allowed"}

    def flag(self, facts: SessionFacts) -> Flag | None:
        if facts.pk not in self.early:
            return None
        return Flag(
            self.code,
            "Started before it was allowed",
            "The call was opened before the protocol allowed it. Find out how.",
        )


LOG_WITHIN = timedelta(hours=24)


@register
class LogLate:
    """The call ended more than 24 hours ago and its log was not written within 24 hours."""

    code = "log_late"

    def prepare(self, page: Page) -> None:
        ids = [s.pk for s in page.sessions]
        cutoff = timezone.now() - LOG_WITHIN
        self.late = {
            pk
            # a log deleted under the retention schedule was written; when is no longer known
            for pk, ended_at, written_at in Session.objects.filter(
                pk__in=ids, ended_at__isnull=False, ended_at__lt=cutoff, log_removal__isnull=True
            ).values_list("pk", "ended_at", "log__written_at")
            if ended_at is not None and (written_at is None or written_at - ended_at > LOG_WITHIN)
        }

    def flag(self, facts: SessionFacts) -> Flag | None:
        if facts.pk not in self.late:
            return None
        return Flag(
            self.code,
            "Log late",
            "The call's log was not written within 24 hours of its end.",
        )
