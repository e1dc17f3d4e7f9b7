"""The meeting settings a session's platform will be given, for the session page."""

from __future__ import annotations

from django import template

from chaperone.protocols.models import ProtocolDecision
from chaperone.scheduling.models import Session
from chaperone.scheduling.platforms import MeetingSpec, adapter_for, spec_for_session

register = template.Library()


@register.simple_tag
def meeting_spec(session: Session, decision: ProtocolDecision | None) -> MeetingSpec:
    return spec_for_session(session, decision)


@register.simple_tag
def platform_configured(session: Session) -> bool:
    return adapter_for(session.platform).configured()
