"""Demo protocols: a trust's one-to-one guidance, a primary school's tighter additions, and an
independent school's own protocol, stored through the same upload service as the web form.

The demo's organisations are fictional, so their protocols are too: ``demo_protocols/`` holds
the shipped templates' rules under the demo trust's and school's own names and words (the
templates themselves keep their sources' names). Called from the demo loader (``chaperone demo``),
never at import time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from importlib import resources

from django.utils.text import slugify

from chaperone.core.extensions import DemoData
from chaperone.people.models import StaffMember
from chaperone.protocols.effective import effective_protocol_for_school, today_at
from chaperone.protocols.models import (
    AcknowledgementReminder,
    OverlayOutOfStep,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolDecision,
    ProtocolReviewReminder,
    ProtocolVersion,
)
from chaperone.protocols.uploads import protocol_version_upload
from chaperone.tenancy.models import Phase, School, Trust
from chaperone.tenancy.policies import SYSTEM

TRUST_TEMPLATE = "npat-one-to-one"
#: the demo trust's protocol (derived from TRUST_TEMPLATE) and the independent school's
DEMO_TRUST_PROTOCOL = "northgate-one-to-one"
DEMO_INDEPENDENT_PROTOCOL = "quillbrook-remote-sessions"


def template_source(template_id: str) -> str:
    """The shipped template's TOML text, exactly as it ships."""
    return (
        resources.files("chaperone.rules.templates")
        .joinpath(f"{template_id}.toml")
        .read_text("utf-8")
    )


def demo_protocol_source(protocol_id: str) -> str:
    """One of the demo's own protocols (``demo_protocols/<id>.toml``)."""
    return (
        resources.files("chaperone.protocols.demo_protocols")
        .joinpath(f"{protocol_id}.toml")
        .read_text("utf-8")
    )


def primary_overlay_source(school: School, *, extends: str = TRUST_TEMPLATE) -> str:
    """A primary school's additions to the trust protocol, after the ideas of a primary school's
    video-call protocol that do not clash with the trust's: a lobby on every video call, a parent
    in the room for group calls, no recording of group calls, no bedrooms, and a few reminders.
    Everything here tightens; nothing loosens."""
    q = json.dumps  # TOML basic strings accept JSON string escapes
    return f"""\
# Additions of {school.name} to the trust's one-to-one protocol.
# Younger pupils: a lobby on every video call, a parent present for group calls, group calls are
# not recorded, pupils never join from a bedroom. One platform of the trust's is not used here
# (deny_platforms); every text names the platforms through {{platforms}}, so it follows the data.
extends = {q(extends)}
id = {q(slugify(school.name)[:60] + "-additions")}
title = {q(school.name + ": remote contact with pupils")}
version = "2026.1"
effective = 2026-09-01
review = 2027-09-01
deny_platforms = ["meet"]
summary = \"\"\"
The trust's one-to-one rules apply in full, on {{platforms}} only. Because our pupils are \
young, every video call also has a lobby, a parent stays in the room for group calls, group calls \
are never recorded and no pupil joins from a bedroom.\"\"\"

[owner]
kind = "school"
name = {q(school.name)}

[raise_effect]
# Same effect, in the school's words; {{platforms}} names only the platforms this school keeps.
approved-platforms = {{ effect = "refuse", remedy = "Ask the school office to set the call up on {{platforms}}." }}

[codes]
MUTE_ON_ENTRY = "Checklist: cameras and microphones are off as pupils arrive."
CLOTHING = "Checklist: everyone who can be seen on camera is suitably dressed."
PRIVATE_LINK = "Checklist: the joining link is sent privately and not passed on."

[[rules]]
id = "lobby-on-every-call"
code = "WAITING_ROOM_REQUIRED"
effect = "refuse"
unless = {{ platform = ["phone"] }}
require = {{ waiting_room = true }}
text = "Every video call opens with a lobby so the member of staff sees who is waiting and admits only invited pupils."
remedy = "Switch on the lobby (waiting room) in the meeting options."
parent = "Your child waits in a lobby until the member of staff lets them in."

[[rules]]
id = "parent-present-for-groups"
code = "CHAPERONE_REQUIRED"
effect = "refuse"
when = {{ kind = ["group"] }}
require = {{ parent_present = true }}
text = "In a group call a parent or carer stays in the same room as the pupil from start to finish."
remedy = "Ask a parent or carer to stay in the room for the whole call."
parent = "For group calls please stay in the room with your child for the whole call."

[[rules]]
id = "groups-not-recorded"
code = "RECORDING_NOT_PERMITTED"
effect = "refuse"
when = {{ kind = ["group"], recording = true }}
text = "Group calls are not recorded."
remedy = "Turn recording off for the group call."
parent = "We do not record group calls."

[[rules]]
id = "shared-room"
code = "BEDROOM_LOCATION"
effect = "refuse"
when = {{ pupil_location = ["bedroom", "bedroom_door_open"] }}
text = "Pupils join from a shared room at home, such as the kitchen or living room, and never from a bedroom."
remedy = "Ask the family to move the pupil to a shared room before the call."
parent = "Please set your child up in a shared room, such as the kitchen or living room."

[[rules]]
id = "mute-on-arrival"
code = "MUTE_ON_ENTRY"
effect = "info"
unless = {{ platform = ["phone"] }}
label = "Cameras and microphones off as pupils arrive"
text = "Set the meeting so pupils arrive with camera and microphone off."

[[rules]]
id = "clothing"
code = "CLOTHING"
effect = "info"
unless = {{ platform = ["phone"] }}
label = "Everyone on camera suitably dressed"
text = "Staff, pupils and anyone else who might appear on screen are suitably dressed."
parent = "Anyone at home who might be seen on screen should be suitably dressed."

[[rules]]
id = "private-link"
code = "PRIVATE_LINK"
effect = "info"
unless = {{ platform = ["phone"] }}
label = "Link sent privately"
text = "The joining link goes to the family privately, and they are asked not to share it."
parent = "Please keep the joining link to yourselves."
"""  # noqa: E501


def load_demo_protocols(
    *, trust: Trust, primary_school: School, independent_trust: Trust
) -> list[ProtocolVersion]:
    """Store the demo protocols and return the versions created.

    * ``trust`` (a multi-school trust) follows ``northgate-one-to-one``;
    * ``primary_school`` (one of its schools) adds a tightening overlay;
    * ``independent_trust`` (a standalone school) follows ``quillbrook-remote-sessions``.
    """
    if primary_school.trust_id != trust.pk:
        raise ValueError("The primary school must belong to the trust.")
    independent_school = independent_trust.schools.order_by("id").first()
    if independent_school is None:
        raise ValueError("The independent trust needs its school.")
    return [
        protocol_version_upload(
            actor=SYSTEM,
            school=primary_school,
            source_text=demo_protocol_source(DEMO_TRUST_PROTOCOL),
        ),
        protocol_version_upload(
            actor=SYSTEM,
            school=primary_school,
            source_text=primary_overlay_source(primary_school, extends=DEMO_TRUST_PROTOCOL),
        ),
        protocol_version_upload(
            actor=SYSTEM,
            school=independent_school,
            source_text=demo_protocol_source(DEMO_INDEPENDENT_PROTOCOL),
        ),
    ]


def load_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """The demo hook's shape (``[(trust, [school, ...]), ...]``): the multi-school trust gets
    its one-to-one protocol and its (first) primary school the tightening additions; a standalone
    trust gets the independent school's protocol."""
    groups = list(trust_and_schools)
    trust = next((t for t, _ in groups if not t.is_standalone), None)
    independent = next((t for t, _ in groups if t.is_standalone), None)
    if trust is None or independent is None:
        raise ValueError("The demo needs a multi-school trust and a standalone school.")
    schools = next(list(s) for t, s in groups if t.pk == trust.pk)
    primary = next((s for s in schools if s.phase == Phase.PRIMARY), schools[0])
    load_demo_protocols(trust=trust, primary_school=primary, independent_trust=independent)
    for _, group_schools in groups:
        for school in group_schools:
            _seed_acknowledgements(school)


def _seed_acknowledgements(school: School) -> None:
    """Most staff without a demo login have read the protocol in force (four in five, in a
    fixed order), so the head's "who has read it" page has both lists. Demo logins are left to
    acknowledge it themselves."""
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        return
    staff = list(
        StaffMember.objects.filter(assignments__school=school, user__isnull=True, is_active=True)
        .distinct()
        .order_by("staff_ref")
    )
    start = dt.datetime(2026, 9, 2, 8, 0, tzinfo=dt.UTC)
    ProtocolAcknowledgement.objects.bulk_create(
        [
            ProtocolAcknowledgement(
                staff=member, version=version, acknowledged_at=start + dt.timedelta(hours=5 * n)
            )
            for n, member in enumerate(staff)
            if n % 5 != 4
            for version in effective.versions
        ],
        ignore_conflicts=True,
    )


def delete_for_demo_tenants(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """Delete the protocol rows of these tenants (for the demo reset), children first."""
    trust_ids = [t.pk for t, _ in trust_and_schools]
    school_ids = [s.pk for _, schools in trust_and_schools for s in schools]
    protocols = Protocol.objects.filter(owner_trust_id__in=trust_ids) | Protocol.objects.filter(
        owner_school_id__in=school_ids
    )
    versions = ProtocolVersion.objects.filter(protocol__in=protocols)
    ProtocolDecision.objects.filter(version__in=versions).delete()
    ProtocolDecision.objects.filter(school_id__in=school_ids).delete()
    ProtocolAcknowledgement.objects.filter(version__in=versions).delete()
    ProtocolReviewReminder.objects.filter(version__in=versions).delete()
    AcknowledgementReminder.objects.filter(version__in=versions).delete()
    OverlayOutOfStep.objects.filter(school_id__in=school_ids).delete()
    versions.filter(base_version__isnull=False).delete()
    versions.delete()
    protocols.delete()


#: the protocols app's part of ``chaperone demo`` (see :mod:`chaperone.core.extensions`)
DEMO = DemoData(load=load_for_demo_tenants, delete=delete_for_demo_tenants)
