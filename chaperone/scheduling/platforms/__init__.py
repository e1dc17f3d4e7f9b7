"""Platform adapters: one interface for every way a session meets.

``build(session, decision)`` turns the plan and the protocol's answer into the exact request a
platform's API takes (:class:`MeetingSpec`), and ``create(spec)`` sends it, only where the
platform's credentials are configured (``CHAPERONE_PLATFORMS``, read from the environment; see
docs/operations.md). Without them, and for any other service, the manual link is used: the
session keeps the link the host gave, and the page lists the settings to check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chaperone.scheduling.platforms.base import (
    Adapter,
    MeetingCreated,
    MeetingRules,
    MeetingSpec,
    PlatformError,
    PlatformNotConfigured,
    meeting_rules,
    protocol_locks,
)
from chaperone.scheduling.platforms.manual import ManualLink, PhoneCall
from chaperone.scheduling.platforms.meet import Meet
from chaperone.scheduling.platforms.teams import Teams
from chaperone.scheduling.platforms.zoom import Zoom

if TYPE_CHECKING:
    from chaperone.protocols.effective import EffectiveProtocol
    from chaperone.protocols.models import ProtocolDecision
    from chaperone.scheduling.models import Session

__all__ = [
    "ADAPTERS",
    "Adapter",
    "ManualLink",
    "MeetingCreated",
    "MeetingRules",
    "MeetingSpec",
    "PlatformError",
    "PlatformNotConfigured",
    "adapter_for",
    "build",
    "meeting_rules",
    "protocol_locks",
    "spec_for_session",
]

#: the session's ``platform`` -> its adapter (anything else: the manual link)
ADAPTERS: dict[str, Adapter] = {
    "teams": Teams(),
    "zoom": Zoom(),
    "meet": Meet(),
    "phone": PhoneCall(),
    "other": ManualLink(),
}


def adapter_for(platform: str) -> Adapter:
    return ADAPTERS.get(platform, ADAPTERS["other"])


def build(
    session: Session,
    decision: ProtocolDecision | None,
    effective: EffectiveProtocol | None = None,
) -> MeetingSpec:
    """The exact meeting request for ``session`` on its platform, from the plan and the
    protocol (``effective``, which judged ``decision``; without it nothing is locked)."""
    return adapter_for(session.platform).build(meeting_rules(session, decision, effective))


def spec_for_session(session: Session, decision: ProtocolDecision | None) -> MeetingSpec:
    """:func:`build` under the protocol the school follows on the day of the session."""
    from chaperone.protocols.effective import effective_protocol_for_school

    on = session.starts_at.astimezone(ZoneInfo(session.school.time_zone)).date()
    return build(session, decision, effective_protocol_for_school(session.school, on=on))
