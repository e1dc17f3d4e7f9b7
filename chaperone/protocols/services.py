"""Writes and engine calls for protocols: who may manage them, acknowledge, remind, decide a
request. Uploads live in :mod:`.uploads`.

The pure engine (:mod:`chaperone.rules`) validates and judges; :mod:`.effective` is the read model
and cache; this module stores, scopes and audits. E-mails go out from :mod:`.reminders`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from chaperone import rules
from chaperone.audit.log import record as audit_record
from chaperone.people.models import StaffMember, User
from chaperone.protocols import reminders
from chaperone.protocols.effective import (
    EffectiveProtocol,
    effective_protocol_for_school,
    protocol_for_version,
    today_at,
)
from chaperone.protocols.models import (
    AcknowledgementReminder,
    ProtocolAcknowledgement,
    ProtocolDecision,
    ProtocolVersion,
    ReminderKind,
)
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor


class NoProtocolError(LookupError):
    """The school's trust has no protocol yet."""


class AcknowledgementOutOfDate(ValueError):
    """The protocol changed between reading it and acknowledging it."""


class ReminderTooSoon(ValueError):
    """A leader asked for a reminder again within :data:`REMINDER_INTERVAL` of the last one."""


#: How long after one requested reminder the next may go (staff are not emailed every click).
REMINDER_INTERVAL = dt.timedelta(hours=20)


# --- permissions ------------------------------------------------------------------------------


def may_manage_trust_protocol(actor: Actor, trust: Trust) -> bool:
    """Trust administrators manage the trust's protocol; in a standalone school (a trust of one)
    whoever manages the school's protocol does."""
    return actor.can_in_trust("trust.manage_protocol", trust.pk, standalone=trust.is_standalone)


def may_manage_school_overlay(actor: Actor, school: School) -> bool:
    return actor.can("protocol.manage", school.pk) and not school.trust.is_standalone


def may_upload(actor: Actor, school: School) -> bool:
    """Whether the actor may upload anything from ``school`` (the trust's protocol or the
    school's additions)."""
    return may_manage_school_overlay(actor, school) or may_manage_trust_protocol(
        actor, school.trust
    )


def actor_name(actor: Actor) -> str:
    """The acting person's name as records keep it (a snapshot)."""
    if actor.label:
        return actor.label[:200]
    if actor.staff_id is not None:
        staff = (
            StaffMember.objects.filter(pk=actor.staff_id).only("first_name", "last_name").first()
        )
        if staff is not None:
            return staff.full_name[:200]
    if actor.user_id is not None:
        username = User.objects.filter(pk=actor.user_id).values_list("username", flat=True).first()
        if username:
            return username[:200]
    return "System"


# --- acknowledgements -------------------------------------------------------------------------


@transaction.atomic
def protocol_acknowledge(*, actor: Actor, version: ProtocolVersion) -> ProtocolAcknowledgement:
    """Record that the acting member of staff has read ``version`` (once; repeats are no-ops)."""
    if actor.staff_id is None:
        raise PermissionDenied("Only staff acknowledge protocols.")
    if not ProtocolVersion.objects.for_actor(actor, "protocol.view").filter(pk=version.pk).exists():
        raise PermissionDenied("You cannot see this protocol.")
    ack, created = ProtocolAcknowledgement.objects.get_or_create(
        staff_id=actor.staff_id, version=version, defaults={"acknowledged_at": timezone.now()}
    )
    if created:
        audit_record(
            "protocol.acknowledged",
            actor=actor,
            target=version,
            details={"version": version.version_label, "protocol": version.protocol.slug},
        )
    return ack


@transaction.atomic
def protocol_acknowledge_for_school(
    *, actor: Actor, school: School, version_ids: list[int]
) -> list[ProtocolAcknowledgement]:
    """Acknowledge the school's effective protocol, as read: ``version_ids`` are the versions the
    page showed, and must still be the ones in force."""
    if not actor.can("protocol.view", school.pk):
        raise PermissionDenied("You cannot see this school's protocol.")
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        raise NoProtocolError(school)
    current = sorted(v.pk for v in effective.versions)
    if sorted(version_ids) != current:
        raise AcknowledgementOutOfDate(
            "The protocol has changed since you opened it. Read the current version below."
        )
    return [protocol_acknowledge(actor=actor, version=v) for v in effective.versions]


@transaction.atomic
def acknowledgement_remind(*, actor: Actor, school: School) -> AcknowledgementReminder:
    """A leader asks for everyone at ``school`` who has not yet read the protocol in force to be
    reminded by e-mail (sent by a task once this commits)."""
    if not actor.can("protocol.acknowledgements", school.pk):
        raise PermissionDenied("You cannot see who has read this school's protocol.")
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        raise NoProtocolError(school)
    now = timezone.now()
    # Locks the school's row, so two leaders pressing at once send one reminder.
    School.objects.select_for_update().filter(pk=school.pk).first()
    last = (
        AcknowledgementReminder.objects.filter(
            school=school, kind=ReminderKind.REQUESTED, created_at__gt=now - REMINDER_INTERVAL
        )
        .order_by("-created_at")
        .first()
    )
    if last is not None:
        when = timezone.localtime(last.created_at, ZoneInfo(school.time_zone))
        raise ReminderTooSoon(
            f"A reminder already went at {when:%H:%M} on {date_format(when, 'j F')}; staff are "
            "reminded at most once a day."
        )
    reminder = AcknowledgementReminder.objects.create(
        school=school,
        version=effective.version,
        kind=ReminderKind.REQUESTED,
        requested_by_id=actor.user_id,
        created_at=now,
    )
    waiting = reminders.staff_yet_to_acknowledge(school, effective.versions)
    audit_record(
        "protocol.acknowledgement_reminder_requested",
        actor=actor,
        target=school,
        details={"reminder_id": reminder.pk, "staff_waiting": len(waiting)},
    )
    reminders.acknowledgement_reminder_enqueue(reminder.pk)
    return reminder


# --- decisions --------------------------------------------------------------------------------


def protocol_decide(
    *,
    actor: Actor,
    school: School,
    request_data: dict[str, Any] | str,
    record: bool = True,
    effective: EffectiveProtocol | None = None,
) -> tuple[rules.Decision, ProtocolDecision | None]:
    """Judge a contact request under the school's protocol on the request's date (where the
    school is), under the strictest reading while the school is out of step.

    Raises :class:`chaperone.rules.RequestError` (naming the field) for a malformed request and
    :class:`NoProtocolError` when the school has no protocol. With ``record`` the decision is
    stored with the versions it used. ``effective`` is the school's effective protocol when the
    caller has already looked it up (it is used if it is the one for the request's date).
    """
    if not actor.can("protocol.view", school.pk):
        raise PermissionDenied("You cannot use this school's protocol.")
    if effective is not None and not effective.is_for(school):
        raise ValueError("The effective protocol given is not this school's.")
    request = rules.parse_request(request_data)
    on = request.at.astimezone(ZoneInfo(school.time_zone)).date()
    if effective is None or effective.on != on:
        effective = effective_protocol_for_school(school, on=on)
    if effective is None:
        raise NoProtocolError(school)
    decision = effective.decide(request)
    if not record:
        return decision, None
    return decision, _store_decision(actor, school, effective, request, decision)


@transaction.atomic
def _store_decision(
    actor: Actor,
    school: School,
    effective: EffectiveProtocol,
    request: rules.ContactRequest,
    decision: rules.Decision,
) -> ProtocolDecision:
    row = ProtocolDecision(
        school=school,
        version=effective.version,
        base_version=effective.base_version,
        request=request.model_dump(mode="json"),
        outcome=decision.outcome,
        codes=list(decision.codes),
        decision=decision.to_dict(),
        actor_user_id=actor.user_id,
        actor_staff_id=actor.staff_id,
        actor_name=actor_name(actor),
        decided_at=timezone.now(),
    )
    row.save()
    audit_record(
        "protocol.decision_recorded",
        actor=actor,
        target=row,
        details={
            "outcome": row.outcome,
            "codes": row.codes,
            "version_id": row.version_id,
            "out_of_step": effective.out_of_step,
        },
    )
    return row


__all__ = [
    "AcknowledgementOutOfDate",
    "NoProtocolError",
    "acknowledgement_remind",
    "actor_name",
    "may_manage_school_overlay",
    "may_manage_trust_protocol",
    "may_upload",
    "protocol_acknowledge",
    "protocol_acknowledge_for_school",
    "protocol_decide",
    "protocol_for_version",
    "today_at",
]
