"""Stored protocols for tests, made through the same upload service as the web form."""

from __future__ import annotations

from chaperone.protocols.demo import primary_overlay_source, template_source
from chaperone.protocols.models import ProtocolVersion
from chaperone.protocols.uploads import protocol_version_upload
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import SYSTEM


def trust_version(
    trust: Trust, template_id: str = "npat-one-to-one", *, text: str | None = None
) -> ProtocolVersion:
    """A new version of ``trust``'s protocol (uploaded from its first school)."""
    return protocol_version_upload(
        actor=SYSTEM,
        school=trust.schools.order_by("id")[0],
        source_text=text if text is not None else template_source(template_id),
    )


def school_overlay_version(school: School, *, text: str | None = None) -> ProtocolVersion:
    return protocol_version_upload(
        actor=SYSTEM,
        school=school,
        source_text=text if text is not None else primary_overlay_source(school),
    )


def bump(text: str, version: str, *, review: str | None = None) -> str:
    """The same protocol text with another version label (and review date)."""
    out = text.replace('version = "2026.1"', f'version = "{version}"', 1)
    if review:
        out = out.replace("review = 2027-09-01", f"review = {review}", 1)
    return out
