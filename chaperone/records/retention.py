"""The retention schedule: how long each kind of record is kept at a school, and why.

Every kind has a period and a source. Three sources decide, in this order:

1. the school's protocol (``retention_days``), for the kinds the protocol speaks of
   (recordings and call logs): a school never keeps them for less;
2. the school's own schedule (:class:`~chaperone.records.models.RetentionSetting`), which may
   lengthen any period (and set one where the protocol is silent);
3. the default below, with the guidance it comes from.

Kinds deleted by the daily job are the recordings (files, in :mod:`chaperone.records.purge`) and
every :class:`~chaperone.core.extensions.RetainedRecords` an app declares in its
``retention.py`` (``RETAINED``): this module declares session logs and consents that no longer
count; the welfare app adds its call logs the same way. Kinds that are only reviewed, never
deleted by Chaperone on its own (child protection files, allegations, the audit log), are listed
with their periods so the school's schedule is complete in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from chaperone.core.extensions import RetainedRecords, declared
from chaperone.tenancy.models import School

RECORDING = "recording"
SESSION_LOG = "session_log"
CONSENT = "consent"
CONCERN = "concern"
ALLEGATION = "allegation"
AUDIT_LOG = "audit_log"

#: recordings, where the protocol sets no retention_days
RECORDING_DEFAULT_DAYS = 30
RECORDING_SOURCE = (
    "The school's protocol (retention_days); where it sets none, Chaperone keeps recordings "
    "30 days, long enough for a worry raised after a call to reach the DSL."
)


def _session_logs_due(school_id: int, cutoff: dt.datetime) -> Any:
    from chaperone.scheduling.conduct import SessionLog

    return SessionLog.objects.filter(session__school_id=school_id, actual_end__lt=cutoff)


def _session_logs_removed(
    session_ids: list[Any], certificate_id: int, schedule: str, removed_at: dt.datetime
) -> None:
    """Leave a note on each session whose log went, so it shows "log removed under the
    retention schedule" and not "not logged". One statement per batch on PostgreSQL (the purge
    of a million logs writes a million notes)."""
    from django.db import connection

    from chaperone.scheduling.conduct import SessionLogRemoval

    schedule = schedule[:200]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(SessionLogRemoval._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (session_id, removed_at, schedule, certificate_id) "
                "SELECT unnest(%s::bigint[]), %s, %s, %s ON CONFLICT (session_id) DO NOTHING",
                [list(session_ids), removed_at, schedule, certificate_id],
            )
        return
    SessionLogRemoval.objects.bulk_create(
        [
            SessionLogRemoval(
                session_id=pk,
                removed_at=removed_at,
                schedule=schedule,
                certificate_id=certificate_id,
            )
            for pk in session_ids
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def _consents_due(school_id: int, cutoff: dt.datetime) -> Any:
    from chaperone.scheduling.consent import ParentalConsent

    return ParentalConsent.objects.filter(school_id=school_id).filter(
        Q(superseded_at__lt=cutoff) | Q(revoked_at__lt=cutoff)
    )


#: the kinds this app deletes besides recordings (found with the other apps' by :func:`kinds`)
RETAINED = [
    RetainedRecords(
        key=SESSION_LOG,
        label="Session logs",
        default_days=365,
        source=(
            "The school's protocol (retention_days), which keeps call logs as long as "
            "recordings; where it sets none, one year, so a question about a call in the last "
            "school year can be answered."
        ),
        due=_session_logs_due,
        checksum_fields=("id", "session_id", "actual_start", "actual_end", "outcome", "notes"),
        from_protocol=True,
        order=20,
        tombstone=_session_logs_removed,
        tombstone_field="session_id",
    ),
    RetainedRecords(
        key=CONSENT,
        label="Parental consents that no longer count (withdrawn or replaced)",
        default_days=365,
        source=(
            "Chaperone's default: one year after a consent was withdrawn or replaced, so the "
            "school can show what a parent had agreed to when a call took place. A consent "
            "still in force is never deleted."
        ),
        due=_consents_due,
        checksum_fields=("id", "pupil_id", "answer", "decided_at"),
        order=30,
    ),
]


@dataclass(frozen=True)
class Reviewed:
    """A kind of record Chaperone keeps until someone reviews it; never deleted on its own."""

    key: str
    label: str
    period: str
    source: str


def _audit_months() -> int:
    return int(getattr(settings, "CHAPERONE_AUDIT_RETENTION_MONTHS", 84))


def reviewed_kinds() -> list[Reviewed]:
    return [
        Reviewed(
            CONCERN,
            "Safeguarding concerns and child protection files",
            "Until the pupil is 25",
            "The Information and Records Management Society's toolkit for schools: a child "
            "protection file is kept until the pupil's 25th birthday, then reviewed (longer "
            "where a public inquiry asks schools to keep records).",
        ),
        Reviewed(
            ALLEGATION,
            "Allegations about staff",
            "Until the person's normal retirement age, or 10 years, whichever is longer",
            "Keeping children safe in education (part four): the record of an allegation that "
            "was substantiated, unsubstantiated or false is kept on the person's file for that "
            "long; one found malicious is removed.",
        ),
        Reviewed(
            AUDIT_LOG,
            "The audit log",
            f"{_audit_months()} months, then whole monthly partitions are dropped",
            "CHAPERONE_AUDIT_RETENTION_MONTHS (docs/operations.md): long enough to answer how "
            "a record was used for as long as the records it describes are usually kept.",
        ),
    ]


def kinds() -> list[RetainedRecords]:
    """Every kind of record deleted by the daily job besides recordings, in schedule order."""
    found = declared("retention", "RETAINED", RetainedRecords)
    return sorted(found, key=lambda k: (k.order, k.key))


def kind(key: str) -> RetainedRecords:
    for entry in kinds():
        if entry.key == key:
            return entry
    raise KeyError(key)


@dataclass(frozen=True)
class Period:
    """How long one kind is kept at one school, and which source decided it."""

    key: str
    label: str
    days: int
    #: "protocol" | "school" | "default"
    origin: str
    source: str
    #: the protocol's own period, which the school's cannot shorten (None: it sets none)
    protocol_days: int | None

    @property
    def origin_text(self) -> str:
        return {
            "protocol": "The school's protocol",
            "school": "The school's own schedule",
            "default": "Chaperone's default",
        }[self.origin]

    def describe(self) -> str:
        """The period in words, as a tombstone keeps it: "365 days, Chaperone's default"."""
        return f"{self.days} days, {self.origin_text[0].lower()}{self.origin_text[1:]}"

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Records ended before this are due now."""
        return now - dt.timedelta(days=self.days)


def protocol_retention_days(school: School) -> int | None:
    from chaperone.protocols.effective import effective_protocol_for_school, today_at

    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        return None
    return effective.protocol.retention_days


def _settings_of(school: School) -> dict[str, int]:
    from chaperone.records.models import RetentionSetting

    return dict(RetentionSetting.objects.filter(school=school).values_list("record_type", "days"))


def _period(
    key: str,
    label: str,
    default_days: int,
    source: str,
    from_protocol: bool,
    protocol_days: int | None,
    own: dict[str, int],
) -> Period:
    from_the_protocol = protocol_days if from_protocol else None
    school_days = own.get(key)
    if school_days is not None and (from_the_protocol is None or school_days > from_the_protocol):
        return Period(key, label, school_days, "school", source, from_the_protocol)
    if from_the_protocol is not None:
        return Period(key, label, from_the_protocol, "protocol", source, from_the_protocol)
    return Period(key, label, default_days, "default", source, None)


def schedule(school: School) -> list[Period]:
    """Every kind deleted at ``school``: recordings first, then the declared kinds."""
    protocol_days = protocol_retention_days(school)
    own = _settings_of(school)
    periods = [
        _period(
            RECORDING,
            "Session recordings",
            RECORDING_DEFAULT_DAYS,
            RECORDING_SOURCE,
            True,
            protocol_days,
            own,
        )
    ]
    for entry in kinds():
        periods.append(
            _period(
                entry.key,
                entry.label,
                entry.default_days,
                entry.source,
                entry.from_protocol,
                protocol_days,
                own,
            )
        )
    return periods


def period_for(school: School, key: str) -> Period:
    for period in schedule(school):
        if period.key == key:
            return period
    raise KeyError(key)


def deletable_keys() -> list[str]:
    return [RECORDING, *(k.key for k in kinds())]
