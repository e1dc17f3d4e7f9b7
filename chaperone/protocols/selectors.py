"""Reads of protocols, always scoped to what the actor may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from chaperone import rules
from chaperone.core.prepared import prepared
from chaperone.people.models import Pupil, StaffAssignment, StaffMember
from chaperone.people.selectors import holders_at_school
from chaperone.protocols.effective import (
    EffectiveProtocol,
    effective_protocol_for_school,
    protocol_for_version,
    today_at,
)
from chaperone.protocols.models import Protocol, ProtocolAcknowledgement, ProtocolVersion
from chaperone.rules.diff import ProtocolDiff
from chaperone.rules.document import PLATFORM_NAMES
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404


def school_for_protocol(*, actor: Actor, school_id: int) -> School:
    """A school whose protocol the actor may read; any other is a 404 like a missing one."""
    if school_id not in actor.school_ids_for("protocol.view"):
        raise Http404("No such record.")
    return School.objects.select_related("trust").get(pk=school_id)


def protocol_version_get(*, actor: Actor, version_id: int) -> ProtocolVersion:
    return get_for_actor_or_404(
        ProtocolVersion.objects.select_related(
            "protocol", "protocol__owner_school", "protocol__owner_trust", "base_version"
        ),
        actor,
        "protocol.view",
        pk=version_id,
    )


@prepared
def _acknowledgements(
    version_ids: Sequence[int], staff_ids: Sequence[int]
) -> QuerySet[ProtocolAcknowledgement, tuple[int, datetime]]:
    return ProtocolAcknowledgement.objects.filter(
        version_id__in=version_ids, staff_id__in=staff_ids
    ).values_list("staff_id", "acknowledged_at")


def _acknowledged_all(
    staff_ids: Sequence[int], versions: Sequence[ProtocolVersion]
) -> dict[int, datetime]:
    """Staff (of ``staff_ids``) who have acknowledged every one of ``versions``, and when: the
    latest of their dates. One query."""
    dates: dict[int, list[datetime]] = {}
    for staff_id, when in _acknowledgements(
        version_ids=[v.pk for v in versions], staff_ids=staff_ids
    ):
        dates.setdefault(staff_id, []).append(when)
    return {staff_id: max(d) for staff_id, d in dates.items() if len(d) == len(versions)}


def acknowledgement_of_actor(
    *, actor: Actor, versions: Sequence[ProtocolVersion]
) -> datetime | None:
    """When the actor acknowledged every one of ``versions`` (the latest date), else None."""
    if actor.staff_id is None:
        return None
    return _acknowledged_all([actor.staff_id], versions).get(actor.staff_id)


@dataclass(frozen=True)
class AcknowledgementRow:
    staff: StaffMember
    roles: tuple[str, ...]
    acknowledged_at: datetime | None


def acknowledgement_rows(
    *, actor: Actor, school: School, versions: Sequence[ProtocolVersion]
) -> list[AcknowledgementRow]:
    """Every active member of staff of ``school`` and when they acknowledged the school's current
    protocol (all of ``versions``), in three queries. Needs ``protocol.acknowledgements``."""
    if not actor.can("protocol.acknowledgements", school.pk):
        return []
    staff = list(
        StaffMember.objects.for_actor(actor, "staff.view")
        .filter(assignments__school=school, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "id")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=StaffAssignment.objects.filter(school=school),
                to_attr="here",
            )
        )
    )
    done = _acknowledged_all([s.pk for s in staff], versions)
    # ``here`` is set by Prefetch(to_attr=...) above; the stubs cannot know run-time names.
    return [
        AcknowledgementRow(
            s,
            tuple(a.get_role_display() for a in s.here),  # type: ignore[attr-defined]
            done.get(s.pk),
        )
        for s in staff
    ]


@dataclass(frozen=True)
class VersionEntry:
    version: ProtocolVersion
    diff: ProtocolDiff | None
    is_current: bool
    #: comes into force on a later date (``version.effective_on``)
    is_scheduled: bool = False


@dataclass(frozen=True)
class VersionHistory:
    protocol: Protocol
    entries: list[VersionEntry]


def version_histories(
    *, actor: Actor, school: School, effective: EffectiveProtocol | None
) -> list[VersionHistory]:
    """The trust's protocol and the school's additions, each version with a rule-level diff from
    the one before it (newest first), in two queries. ``effective`` is the school's effective
    protocol today; its versions are the ones marked current, and any version uploaded after
    them whose date has not come is marked scheduled."""
    current_ids = (
        {v.pk for v in (effective.trust_version, effective.school_version) if v is not None}
        if effective is not None
        else set()
    )
    protocols = (
        Protocol.objects.for_actor(actor, "protocol.view")
        .filter(Q(owner_school=school) | Q(owner_trust_id=school.trust_id))
        .select_related("owner_school", "owner_trust")
        .order_by(F("owner_school_id").asc(nulls_first=True), "id")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ProtocolVersion.objects.select_related(
                    "base_version", "base_version__protocol"
                ).order_by("uploaded_at", "id"),
            )
        )
    )
    out = []
    for protocol in protocols:
        entries = []
        previous: rules.Protocol | None = None
        for version in protocol.versions.all():
            try:
                parsed = protocol_for_version(version)
            except rules.ProtocolError:
                parsed = None
            diff = (
                rules.diff_protocols(previous, parsed)
                if previous is not None and parsed is not None
                else None
            )
            scheduled = effective is not None and version.effective_on > effective.on
            entries.append(
                VersionEntry(
                    version, diff, is_current=version.pk in current_ids, is_scheduled=scheduled
                )
            )
            previous = parsed
        out.append(VersionHistory(protocol, list(reversed(entries))))
    return out


@dataclass(frozen=True)
class SchoolContacts:
    """How families reach the school and its designated safeguarding lead, for the parent guide."""

    school: School
    dsl: tuple[StaffMember, ...]
    platforms: tuple[str, ...]

    @property
    def has_school_details(self) -> bool:
        return bool(self.school.phone or self.school.email or self.school.website)


def school_contacts(*, school: School, protocol: rules.Protocol) -> SchoolContacts:
    """The school's contact details, its DSL(s) from the staff records (one query) and the
    platforms ``protocol`` approves, by name."""
    dsl = holders_at_school(action="safeguarding.named_lead", school_id=school.pk)
    return SchoolContacts(
        school=school,
        dsl=tuple(dsl),
        platforms=tuple(PLATFORM_NAMES[p] for p in protocol.platforms),
    )


@dataclass(frozen=True)
class DashboardNotices:
    """What the protocols app asks of the reader on their dashboard."""

    #: the school's additions are out of step (shown to those who manage the school's protocol)
    out_of_step: EffectiveProtocol | None = None
    #: the protocol in force that the reader has not yet acknowledged
    to_acknowledge: EffectiveProtocol | None = None

    def __bool__(self) -> bool:
        return self.out_of_step is not None or self.to_acknowledge is not None


def dashboard_notices(*, actor: Actor, school: School) -> DashboardNotices:
    """Cards for the dashboard from the school's protocol today, in two queries."""
    if not actor.can("protocol.view", school.pk):
        return DashboardNotices()
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        return DashboardNotices()
    manages = actor.can("protocol.manage", school.pk)
    out_of_step = effective if effective.out_of_step and manages else None
    read = acknowledgement_of_actor(actor=actor, versions=effective.versions)
    unread = actor.staff_id is not None and read is None and not effective.scheduled
    return DashboardNotices(out_of_step=out_of_step, to_acknowledge=effective if unread else None)


def scheduled_versions(*, school: School, on: date) -> list[ProtocolVersion]:
    """Versions of the trust's protocol and the school's additions that come into force after
    ``on`` (earliest first), in one query."""
    return list(
        ProtocolVersion.objects.filter(
            Q(protocol__owner_trust_id=school.trust_id) | Q(protocol__owner_school_id=school.pk),
            effective_on__gt=on,
        )
        .select_related("protocol")
        .defer("source_text")
        .order_by("effective_on", "uploaded_at", "id")
    )


def pupils_to_choose(*, actor: Actor, school: School) -> QuerySet[Pupil] | None:
    """The school's pupils the actor may see, for the try-it pupil picker (names only are
    shown); None for someone who may not see safeguarding flags.

    A decision about a chosen pupil depends on the record's flags (vulnerable, child protection,
    child in need, looked after), so a picker would let anyone ask "is this child vulnerable?"
    one pupil at a time. Without the flags' permission, people describe the pupils instead."""
    if not actor.can("people.view_safeguarding_flags", school.pk):
        return None
    return (
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(school=school, is_active=True)
        .order_by("last_name", "first_name", "id")
    )
