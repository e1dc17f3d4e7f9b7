"""Parents' consent to sessions: what a parent or carer answered through their signed link, and
what that means for a session's consent step.

A parent answers for their own children on the session (:func:`consent_answer`): they give or
refuse consent for this session, every session of its series, or every remote session with the
school this term (:func:`term_of`), accepting the school's code of conduct for parents in the
version shown (:data:`PARENT_CODE_VERSION`). Every answer is a row of its own
(:class:`ParentalConsent`), kept with its time, scope, the code's version and the contact the link
was sent to; a revocation (:func:`consent_revoke`) stamps the rows it withdraws and keeps them.
Where the school's protocol accepts implied consent, staff may record it
(:func:`consent_record_implied`): it counts as implied, and is flagged until a parent confirms it
through their link.

For each pupil the latest answer that covers the session decides (:func:`consent_for`); the
session's consent level (:func:`consent_level`) is what the protocol is asked with, so the
consent step is done once every pupil is covered and opens again when a parent withdraws.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.core.mail import send_email
from chaperone.people.models import Contact, Pupil, StaffMember
from chaperone.scheduling.models import Session, SessionState, StepKind, StepState
from chaperone.scheduling.parent_links import ParentLink, expires_at, make_link_token
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM, Actor
from chaperone.tenancy.querysets import ScopedQuerySet, can_for
from chaperone.tenancy.schools import term_of
from chaperone.tenancy.scope import TenantScope

#: the version of the code of conduct for parents shipped with Chaperone, and its text
PARENT_CODE_VERSION = "chaperone-parents-2026.1"
PARENT_CODE_TEMPLATES = {PARENT_CODE_VERSION: "scheduling/parent_code_2026_1.html"}

#: the header naming the school a message is about (read by the demo's outbox)
SCHOOL_HEADER = "X-Chaperone-School"

Level = Literal["none", "implied", "written"]


class ConsentScope(models.TextChoices):
    SESSION = "session", "This session only"
    SERIES = "series", "Every session of this series"
    TERM = "term", "All remote sessions with the school this term"


class ConsentAnswer(models.TextChoices):
    GIVEN = "given", "Consent given"
    REFUSED = "refused", "Consent refused"


class ConsentKind(models.TextChoices):
    WRITTEN = "written", "Given by a parent or carer"
    IMPLIED = "implied", "Implied, until a parent confirms it"


def session_day(session: Session) -> date:
    return session.starts_at.astimezone(ZoneInfo(session.school.time_zone)).date()


class ConsentQuerySet(ScopedQuerySet["ParentalConsent"]):
    school_path = "school_id"

    def covering(self, session: Session) -> ConsentQuerySet:
        """Answers that cover ``session``: given for it, for its series, or for its term."""
        day = session_day(session)
        scope = Q(scope__in=[ConsentScope.SESSION, ConsentScope.SERIES], session_id=session.pk)
        series_id = getattr(session, "series_id", None)  # sessions may belong to a series
        if series_id is not None:
            scope |= Q(scope=ConsentScope.SERIES, series_id=series_id)
        scope |= Q(scope=ConsentScope.TERM, term_starts_on__lte=day, term_ends_on__gte=day)
        return self.filter(scope, school_id=session.school_id)


class ParentalConsent(models.Model):
    """One answer about a pupil's remote sessions: given or refused, by whom, for what."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="parental_consents")
    #: the contact the link was sent to (None: implied consent recorded by staff)
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: the session the answer was given about
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="consents"
    )
    scope = models.CharField(max_length=10, choices=ConsentScope.choices)
    series_id = models.PositiveIntegerField(null=True, blank=True)
    term_starts_on = models.DateField(null=True, blank=True)
    term_ends_on = models.DateField(null=True, blank=True)
    answer = models.CharField(max_length=10, choices=ConsentAnswer.choices)
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    #: the version of the code of conduct for parents accepted with it (blank: none accepted)
    code_version = models.CharField(max_length=40, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    #: implied consent: the member of staff who recorded it, and why it counts
    recorded_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    #: implied consent a parent has since confirmed through their link
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    #: consent for one session whose plan then changed in what the protocol asks: it no longer
    #: counts, and the parents are asked again
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["school", "pupil"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(scope="term")
                | Q(term_starts_on__isnull=False, term_ends_on__isnull=False),
                name="%(app_label)s_%(class)s_term_has_dates",
                violation_error_message="Consent for a term names the term's dates.",
            ),
            models.CheckConstraint(
                condition=Q(kind="implied") | Q(contact__isnull=False),
                name="%(app_label)s_%(class)s_written_has_contact",
                violation_error_message="Consent given through a link names its contact.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} for pupil {self.pupil_id} ({self.scope})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)

    @property
    def is_flagged(self) -> bool:
        """Implied consent nobody has confirmed yet."""
        return self.kind == ConsentKind.IMPLIED and self.confirmed_at is None

    @property
    def level(self) -> Level:
        if self.answer != ConsentAnswer.GIVEN:
            return "none"
        return "implied" if self.is_flagged else "written"


# --- reading ----------------------------------------------------------------------------------


def consent_for(session: Session) -> dict[int, ParentalConsent | None]:
    """For each pupil of the session (by id), the answer that decides: the latest one that
    covers the session and was not withdrawn (None: no answer yet)."""
    pupil_ids = list(session.pupils.values_list("pk", flat=True))
    deciding: dict[int, ParentalConsent | None] = dict.fromkeys(pupil_ids)
    rows = (
        ParentalConsent.objects.covering(session)
        .filter(pupil_id__in=pupil_ids, revoked_at__isnull=True, superseded_at__isnull=True)
        .select_related("contact")
        .order_by("decided_at", "id")
    )
    for row in rows:
        deciding[row.pupil_id] = row
    return deciding


def level_of(deciding: Iterable[ParentalConsent | None]) -> Level:
    levels = [row.level if row is not None else "none" for row in deciding]
    if not levels or "none" in levels:
        return "none"
    return "implied" if "implied" in levels else "written"


def consent_level(session: Session) -> Level:
    """The consent the protocol is asked with: ``written`` once every pupil's parents gave it,
    ``implied`` where some of it is implied and not yet confirmed, else ``none``."""
    return level_of(consent_for(session).values())


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    pupils: tuple[Pupil, ...]


def recipients(session: Session) -> list[Recipient]:
    """Whom the consent request goes to: each contact with parental responsibility and an email
    address of a household of the session's pupils, in the household's priority order."""
    pupils = list(session.pupils.filter(household__isnull=False).order_by("last_name", "pk"))
    by_household: dict[int, list[Pupil]] = {}
    for p in pupils:
        assert p.household_id is not None
        by_household.setdefault(p.household_id, []).append(p)
    contacts = Contact.objects.filter(
        household_id__in=by_household, has_parental_responsibility=True
    ).exclude(email="")
    return [
        Recipient(c, tuple(by_household[c.household_id]))
        for c in contacts.order_by("household_id", "priority", "pk")
    ]


def pupils_of(link: ParentLink) -> list[Pupil]:
    """The contact's own children on the link's session."""
    return list(
        link.session.pupils.filter(household_id=link.contact.household_id).order_by(
            "first_name", "pk"
        )
    )


def parent_actor(contact: Contact) -> Actor:
    """A parent acting through their link: no account and no grants; the audit log names them
    by :func:`parent_label` and the details name the contact (:func:`parent_details`)."""
    return Actor(user_id=None, label=parent_label(contact))


def parent_label(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name} (parent or carer)"


# --- writing ----------------------------------------------------------------------------------


def consent_supersede(session: Session) -> int:
    """The plan changed in what the protocol asks: answers given for this session alone no
    longer count (those for its series or term still do). Called by the gate, in its
    transaction. Returns how many answers were set aside."""
    return (
        ParentalConsent.objects.filter(
            session=session, scope=ConsentScope.SESSION, superseded_at__isnull=True
        )
        .exclude(revoked_at__isnull=False)
        .update(superseded_at=timezone.now())
    )


class ConsentProblem(ValueError):
    """An answer that cannot be recorded as given: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def scopes_for(session: Session) -> list[ConsentScope]:
    """The scopes a parent may choose for the session (a series only where it has one)."""
    scopes = [ConsentScope.SESSION]
    if getattr(session, "series_id", None) is not None:
        scopes.append(ConsentScope.SERIES)
    scopes.append(ConsentScope.TERM)
    return scopes


def _open_to_answers(session: Session) -> None:
    if session.state == SessionState.CANCELLED:
        raise ConsentProblem("", "This session was cancelled: there is nothing to answer.")


def consent_answer(
    *, link: ParentLink, answer: str, scope: str, accepts_code: bool, code_version: str
) -> list[ParentalConsent]:
    """Record a parent's answer for their children on the link's session. Giving consent needs
    the code of conduct accepted in the version shown. Raises :class:`ConsentProblem`."""
    if link.purpose != "consent":
        raise PermissionDenied("This link is not for answering.")
    if answer not in ConsentAnswer.values:
        raise ConsentProblem("answer", "Your answer: choose whether you give consent or not.")
    session = link.session
    if scope not in scopes_for(session):
        raise ConsentProblem("scope", "What your answer covers: choose one of the options.")
    if answer == ConsentAnswer.GIVEN and not accepts_code:
        raise ConsentProblem(
            "accept_code",
            "Code of conduct: tick the box to say you accept it, or refuse consent instead.",
        )
    if answer == ConsentAnswer.GIVEN and code_version not in PARENT_CODE_TEMPLATES:
        raise ConsentProblem("accept_code", "Code of conduct: read the version on this page.")
    with transaction.atomic():
        session = _locked(session)
        _open_to_answers(session)
        pupils = pupils_of(ParentLink(session, link.contact, link.purpose))
        if not pupils:
            raise ConsentProblem("", "None of your children is on this session any more.")
        now = timezone.now()
        term = (
            term_of(session_day(session), school_id=session.school_id)
            if scope == ConsentScope.TERM
            else None
        )
        rows = [
            ParentalConsent(
                school_id=session.school_id,
                pupil=pupil,
                contact=link.contact,
                session=session,
                scope=scope,
                series_id=getattr(session, "series_id", None)
                if scope == ConsentScope.SERIES
                else None,
                term_starts_on=term.starts_on if term else None,
                term_ends_on=term.ends_on if term else None,
                answer=answer,
                kind=ConsentKind.WRITTEN,
                code_version=code_version if answer == ConsentAnswer.GIVEN else "",
                decided_at=now,
            )
            for pupil in pupils
        ]
        ParentalConsent.objects.bulk_create(rows)
        if answer == ConsentAnswer.GIVEN:  # it confirms implied consent it covers
            ParentalConsent.objects.covering(session).filter(
                pupil__in=pupils, kind=ConsentKind.IMPLIED, confirmed_at__isnull=True
            ).update(confirmed_at=now)
        audit_record(
            "session.consent_given" if answer == ConsentAnswer.GIVEN else "session.consent_refused",
            actor=parent_actor(link.contact),
            target=session,
            details={
                "contact_id": link.contact.pk,
                "by": parent_label(link.contact),
                "pupils": [p.pk for p in pupils],
                "scope": scope,
                "code_version": code_version if answer == ConsentAnswer.GIVEN else "",
            },
        )
        _judge_affected(session, pupils, scope)
    return rows


def consent_revoke(*, link: ParentLink) -> list[ParentalConsent]:
    """Withdraw every consent the link's contact gave that covers the link's session (for
    this session, its series or its term). The rows stay, stamped; the sessions they covered
    are judged again, so an allowed session goes back to waiting for consent."""
    if link.purpose != "consent":
        raise PermissionDenied("This link is not for answering.")
    with transaction.atomic():
        session = _locked(link.session)
        pupils = pupils_of(ParentLink(session, link.contact, link.purpose))
        rows = list(
            ParentalConsent.objects.covering(session).filter(
                contact=link.contact,
                pupil__in=pupils,
                answer=ConsentAnswer.GIVEN,
                revoked_at__isnull=True,
            )
        )
        if not rows:
            raise ConsentProblem("", "You have given no consent for this session to withdraw.")
        now = timezone.now()
        ParentalConsent.objects.filter(pk__in=[r.pk for r in rows]).update(revoked_at=now)
        audit_record(
            "session.consent_revoked",
            actor=parent_actor(link.contact),
            target=session,
            details={
                "contact_id": link.contact.pk,
                "by": parent_label(link.contact),
                "consents": [r.pk for r in rows],
                "scopes": sorted({r.scope for r in rows}),
            },
        )
        widest = ConsentScope.TERM if any(r.scope != ConsentScope.SESSION for r in rows) else ""
        _judge_affected(session, pupils, widest or ConsentScope.SESSION)
    for r in rows:
        r.revoked_at = now
    return rows


def consent_record_implied(*, actor: Actor, session: Session, note: str) -> list[ParentalConsent]:
    """Staff record implied consent for every pupil of the session not yet covered, where the
    school's protocol accepts implied consent for it. Flagged until a parent confirms it."""
    from chaperone.scheduling import services

    with transaction.atomic():
        session = _locked(session)
        if not can_for(actor, "session.manage", session):
            raise PermissionDenied("You cannot record consent for this session.")
        note = note.strip()
        if not note:
            raise ConsentProblem("note", "Why consent is implied: say what the family was told.")
        step = session.steps.filter(kind=StepKind.CONSENT).first()
        if step is None or step.state == StepState.DONE or session.is_cancelled:
            raise ConsentProblem("", "This session has no consent step waiting.")
        if not services.consent_accepts_implied(session):
            raise ConsentProblem(
                "", "The school's protocol needs written consent for this session, not implied."
            )
        deciding = consent_for(session)
        missing = [pid for pid, row in deciding.items() if row is None or row.level == "none"]
        rows = [
            ParentalConsent(
                school_id=session.school_id,
                pupil_id=pid,
                session=session,
                scope=ConsentScope.SESSION,
                answer=ConsentAnswer.GIVEN,
                kind=ConsentKind.IMPLIED,
                recorded_by_id=actor.staff_id,
                note=note,
            )
            for pid in missing
        ]
        ParentalConsent.objects.bulk_create(rows)
        audit_record(
            "session.consent_implied",
            actor=actor,
            target=session,
            details={"pupils": missing},
        )
        services.session_judge_again(session=session, reason="consent")
    return rows


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",)).select_related("school").get(pk=session.pk)
    )


def _judge_affected(session: Session, pupils: Sequence[Pupil], scope: str) -> None:
    """Ask the protocol again about the session and, for a series or term answer, every coming
    session of these pupils that the answer covers (so term consent counts at once)."""
    from chaperone.scheduling import services

    affected = [session]
    if scope != ConsentScope.SESSION:
        others = (
            Session.objects.filter(
                school_id=session.school_id,
                state=SessionState.PLANNED,
                starts_at__gt=timezone.now(),
                sessionpupil__pupil__in=pupils,
                steps__kind=StepKind.CONSENT,
            )
            .exclude(pk=session.pk)
            .select_related("school")
            .distinct()
            .order_by("starts_at", "pk")
        )
        affected += list(others)
    for s in affected:
        if s.state == SessionState.PLANNED and s.starts_at > timezone.now():
            services.session_judge_again(session=s, reason="consent")


# --- sending ----------------------------------------------------------------------------------


def consent_requests_enqueue(*, session: Session, requested_by: Actor | None = None) -> None:
    """Send the consent request to the session's parents once the transaction commits."""
    from chaperone.scheduling.tasks import send_consent_requests

    staff_id = requested_by.staff_id if requested_by is not None else None
    session_id = session.pk
    transaction.on_commit(lambda: send_consent_requests.enqueue(session_id, staff_id))


def consent_request_resend(*, actor: Actor, session: Session) -> None:
    """The host (or a leader) sends the consent request again, from the session's page."""
    if not can_for(actor, "session.manage", session):
        raise PermissionDenied("You cannot send messages about this session.")
    step = session.steps.filter(kind=StepKind.CONSENT).first()
    if step is None or step.state == StepState.DONE or session.is_cancelled:
        raise ConsentProblem("", "This session has no consent step waiting.")
    if not recipients(session):
        raise ConsentProblem(
            "",
            "No parent or carer with parental responsibility has an email address: ask for "
            "written consent another way and record it.",
        )
    consent_requests_enqueue(session=session, requested_by=actor)


def site_url(path: str) -> str:
    return f"{settings.CHAPERONE_BASE_URL.rstrip('/')}{path}"


def consent_link_url(session_id: int, contact_id: int) -> str:
    token = make_link_token(session_id=session_id, contact_id=contact_id, purpose="consent")
    return site_url(reverse("scheduling:parent_session", kwargs={"token": token}))


def consent_requests_send(*, session_id: int, requested_by_staff_id: int | None = None) -> int:
    """Email each recipient (:func:`recipients`) their own link, HTML and text; one audit
    action per message. Nothing is sent for a cancelled session or one whose consent is done.
    Returns the number of messages sent."""
    session = Session.objects.select_related("school", "host").filter(pk=session_id).first()
    if session is None or session.is_cancelled:
        return 0
    step = session.steps.filter(kind=StepKind.CONSENT).first()
    if step is None or step.state == StepState.DONE:
        return 0
    sent = 0
    for recipient in recipients(session):
        contact = recipient.contact
        context: dict[str, Any] = {
            "session": session,
            "school": session.school,
            "contact": contact,
            "pupils": recipient.pupils,
            "link": consent_link_url(session.pk, contact.pk),
            "expires_at": expires_at(session),
        }
        send_email(
            "scheduling/email/parent_consent",
            context,
            [contact.email],
            headers={SCHOOL_HEADER: str(session.school_id)},
        )
        audit_record(
            "session.consent_requested",
            actor=SYSTEM,
            target=session,
            details={
                "contact_id": contact.pk,
                "pupils": [p.pk for p in recipient.pupils],
                "requested_by": requested_by_staff_id,
            },
        )
        sent += 1
    return sent
