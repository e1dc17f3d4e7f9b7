"""Signed links for parents and carers, who have no accounts.

Each message to a parent carries a link made here: ``django.core.signing`` over ids only (the
session, the contact it was sent to, its purpose), signed with a salt of its own per purpose, so
a link made for one purpose is refused for another. A link works until a day after its session
ends (and never longer than :data:`MAX_AGE`), only for a contact who still has parental
responsibility for a pupil of the session. Anything else (a changed character, an old link, the
wrong page, a contact no longer linked) reads as no link at all: :func:`read_link` answers why,
and the page says so without naming the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.core import signing
from django.utils import timezone

from chaperone.people.models import Contact
from chaperone.scheduling.models import Session

Purpose = Literal["consent", "document"]
PURPOSES: tuple[Purpose, ...] = ("consent", "document")

#: no link is accepted longer than this after it was made, whatever its session
MAX_AGE = timedelta(days=180)
#: a link stops working this long after its session ends
AFTER_THE_SESSION = timedelta(days=1)

Problem = Literal["invalid", "expired"]


def _salt(purpose: Purpose) -> str:
    return f"chaperone.scheduling.parent_links.{purpose}"


def make_link_token(*, session_id: int, contact_id: int, purpose: Purpose) -> str:
    """The token of a link for ``contact_id`` about ``session_id``, for ``purpose`` only."""
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown purpose of a parent link: {purpose!r}")
    payload = {"s": session_id, "c": contact_id, "p": purpose}
    return signing.dumps(payload, salt=_salt(purpose))


@dataclass(frozen=True)
class ParentLink:
    """A link that checked out: its session, the contact it was sent to, and its purpose."""

    session: Session
    contact: Contact
    purpose: Purpose

    def token_for(self, purpose: Purpose) -> str:
        """The token of the same person's link about the same session for another purpose."""
        return make_link_token(
            session_id=self.session.pk, contact_id=self.contact.pk, purpose=purpose
        )


@dataclass(frozen=True)
class LinkRead:
    link: ParentLink | None
    problem: Problem | None = None


def expires_at(session: Session) -> datetime:
    return session.ends_at + AFTER_THE_SESSION


def read_link(token: str, purpose: Purpose) -> LinkRead:
    """Check ``token`` for ``purpose``. A tampered, foreign or wrong-purpose token is
    ``invalid``; a genuine one past its session's end (plus a day) is ``expired``."""
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=MAX_AGE)
    except signing.SignatureExpired:
        return LinkRead(None, "expired")
    except signing.BadSignature:
        return LinkRead(None, "invalid")
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        return LinkRead(None, "invalid")
    session_id, contact_id = payload.get("s"), payload.get("c")
    if not isinstance(session_id, int) or not isinstance(contact_id, int):
        return LinkRead(None, "invalid")
    session = (
        Session.objects.select_related("school", "school__trust", "host")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return LinkRead(None, "invalid")
    contact = (
        Contact.objects.filter(
            pk=contact_id,
            has_parental_responsibility=True,
            household__pupils__sessionpupil__session=session,
        )
        .select_related("household")
        .first()
    )
    if contact is None:
        return LinkRead(None, "invalid")
    if timezone.now() > expires_at(session):
        return LinkRead(None, "expired")
    return LinkRead(ParentLink(session, contact, purpose))
