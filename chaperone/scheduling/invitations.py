"""Calendar invitations and reminders by email (HTML and text, the ICS attached).

Who holds a session's invitation is worked out from the session as it stands
(:func:`recipients`): the host and the second member of staff; the DSLs (``session.dsl_invitations``
in the policy) when the DSL is invited; the pupils' parents with parental responsibility and an
email address once the session may go ahead (:func:`~chaperone.scheduling.services.may_start`).
:func:`invitations_send` compares that with what each address was last sent
(:class:`InvitationSent`) and sends only the difference: a ``REQUEST`` to whoever has not got the
current SEQUENCE, a ``CANCEL`` to whoever held it and no longer should (a cancelled session, a
second adult taken off, parents of a session that stopped being allowed). So it is idempotent: run
twice, it sends once, and a send that failed is tried again on the next run.

Services call :func:`on_judged` where the protocol's outcome is stored and :func:`on_cancelled`
when a session is cancelled; both raise the SEQUENCE where the change is one recipients must see
and enqueue the id-only task after commit.

Reminders (:class:`SessionReminder`, once per session and kind) go out from the daily job: the
day before, to the host and second adult; and, when the session starts within 48 hours with steps
still open, to the host and those who may do the steps.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.mime.text import MIMEText
from functools import partial
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import structlog
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from chaperone.core.context import RequestContext, use_context
from chaperone.core.mail import send_email
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope

if TYPE_CHECKING:
    from chaperone.scheduling.models import Session

log = structlog.get_logger(__name__)

REQUEST, CANCEL = "REQUEST", "CANCEL"
#: the policy's "who is told" entry for the DSL's invitation to drop in
DSL_INVITATION_ACTION = "session.dsl_invitations"
#: a session starting this soon with steps still open is overdue
OVERDUE_WITHIN = timedelta(hours=48)


class Audience(models.TextChoices):
    STAFF = "staff", "Host or second member of staff"
    DSL = "dsl", "Safeguarding lead invited to drop in"
    PARENT = "parent", "Parent or carer"


class InvitationQuerySet(ScopedQuerySet["InvitationSent"]):
    school_path = "session__school_id"


class InvitationSent(models.Model):
    """One invitation, update or cancellation sent to one address (what it was last sent decides
    what it gets next)."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="invitations"
    )
    address = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    method = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "address", "sequence", "method"],
                name="scheduling_invitationsent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.sequence} of session {self.session_id}"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.session.school_id, trust_id=None)


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "day_before", "The day before"
    STEPS_OVERDUE = "steps_overdue", "Steps still open close to the start"


class ReminderQuerySet(ScopedQuerySet["SessionReminder"]):
    school_path = "session__school_id"


class SessionReminder(models.Model):
    """A reminder sent for a session, once per kind."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    recipient_staff_ids = models.JSONField(default=list)
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind"], name="scheduling_sessionreminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder of session {self.session_id}"


# --- hooks the services call ------------------------------------------------------------------


def on_judged(session: Session, *, before: str, after: str, reason: str) -> None:
    """Where the protocol's outcome is stored: a changed plan, or a session that stops being
    allowed (its parents' invitation is withdrawn), raises the SEQUENCE; the invitations are
    brought up to date after commit."""
    if reason == "changed" or (before == "allowed" and after != "allowed"):
        session.sequence += 1
    invitations_enqueue(session.pk)


def on_cancelled(session: Session) -> None:
    session.sequence += 1
    invitations_enqueue(session.pk)


def invitations_enqueue(session_id: int) -> None:
    # robust: a mail server that is down never turns a saved change into an error page
    transaction.on_commit(lambda: send_invitations.enqueue(session_id), robust=True)


@task()
def send_invitations(session_id: int) -> int:
    """Bring a session's calendar invitations up to date (see :func:`invitations_send`)."""
    with use_context(RequestContext(via="task")):
        return invitations_send(session_id=session_id)


@task()
def send_session_reminder(session_id: int, kind: str) -> str:
    """Send one reminder of a session, once (see :func:`reminder_send`)."""
    with use_context(RequestContext(via="task")):
        return reminder_send(session_id=session_id, kind=kind)


# --- who holds the invitation -----------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    audience: str


def recipients(session: Session) -> list[Recipient]:
    """Who should hold the session's invitation now (one entry per address)."""
    from chaperone.people.models import Contact
    from chaperone.people.selectors import staff_to_tell
    from chaperone.scheduling.services import may_start

    if session.is_cancelled:
        return []
    found: dict[str, Recipient] = {}

    def add(address: str, name: str, audience: str) -> None:
        if address and address.lower() not in found:
            found[address.lower()] = Recipient(address, name, audience)

    for member in (session.host, session.second_staff):
        if member is not None and member.is_active:
            add(member.notice_email, member.full_name, Audience.STAFF)
    if session.dsl_invited:
        for member in staff_to_tell(action=DSL_INVITATION_ACTION, school_id=session.school_id):
            add(member.notice_email, member.full_name, Audience.DSL)
    if may_start(session):
        contacts = (
            Contact.objects.filter(
                household__pupils__in=session.pupils.all(),
                has_parental_responsibility=True,
            )
            .exclude(email="")
            .distinct()
            .order_by("household_id", "priority", "id")
        )
        for contact in contacts:
            add(contact.email, str(contact), Audience.PARENT)
    return list(found.values())


def _plan_sends(
    session: Session, wanted: dict[str, Recipient], last: dict[str, InvitationSent]
) -> tuple[list[tuple[Recipient, str]], int]:
    """What to send at which SEQUENCE: a recipient whose last message was of the other kind
    needs a SEQUENCE above it, so the session's may have to rise."""
    needed = session.sequence
    sends: list[tuple[Recipient, str]] = []
    for key, recipient in wanted.items():
        prev = last.get(key)
        if prev is None:
            sends.append((recipient, REQUEST))
        elif prev.method == CANCEL or prev.sequence < session.sequence:
            sends.append((recipient, REQUEST))
            if prev.method == CANCEL:
                needed = max(needed, prev.sequence + 1)
    for key, prev in last.items():
        if key not in wanted and prev.method == REQUEST:
            sends.append((Recipient(prev.address, prev.name, prev.audience), CANCEL))
            needed = max(needed, prev.sequence + 1)
    return sends, needed


def invitations_send(*, session_id: int) -> int:
    """Send each recipient of the session what they lack (see the module's docstring). Returns
    the number of messages sent. A session that has ended is left alone."""
    from chaperone.audit.log import record as audit_record
    from chaperone.scheduling.calendars import Reader, invitation
    from chaperone.scheduling.meetings import meeting_sync
    from chaperone.scheduling.models import Session
    from chaperone.tenancy.policies import SYSTEM

    # an allowed session on a configured platform gets its meeting (and link) before it is sent;
    # a moved or cancelled one has its meeting changed or removed first
    meeting_sync(session_id=session_id)
    session = (
        Session.objects.select_related("school", "host__user", "second_staff__user")
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.ends_at <= timezone.now():
        return 0
    wanted = {r.address.lower(): r for r in recipients(session)}
    last = {row.address.lower(): row for row in InvitationSent.objects.filter(session=session)}
    sends, needed = _plan_sends(session, wanted, last)
    if needed > session.sequence:
        Session.objects.filter(pk=session.pk, sequence__lt=needed).update(sequence=needed)
        session.sequence = needed
        sends, _ = _plan_sends(session, wanted, last)
    sent: dict[str, int] = {}
    failed = 0
    for recipient, method in sends:
        reader = Reader(
            recipient.audience,
            with_link=method == REQUEST,
            address=recipient.address,
            name=recipient.name,
            with_pupils=recipient.audience != Audience.PARENT,
        )
        try:
            with transaction.atomic():
                InvitationSent.objects.create(
                    session=session,
                    address=recipient.address,
                    name=recipient.name[:200],
                    audience=recipient.audience,
                    method=method,
                    sequence=session.sequence,
                )
                _mail_invitation(
                    session,
                    recipient,
                    method,
                    invitation(session, reader, method=method),
                    changed=recipient.address.lower() in last,
                )
        except IntegrityError:
            continue  # sent by another run
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("invitation_not_sent", session_id=session.pk, error=str(exc))
            failed += 1
            continue
        sent[method] = sent.get(method, 0) + 1
    if sent:
        audit_record(
            "session.invitations_sent",
            actor=SYSTEM,
            target=session,
            details={"sequence": session.sequence, "sent": sent, "failed": failed},
        )
    return sum(sent.values())


def _mail_invitation(
    session: Session, recipient: Recipient, method: str, ics: bytes, *, changed: bool
) -> None:
    from chaperone.scheduling.calendars import expectations, site_url

    tz = ZoneInfo(session.school.time_zone)
    parent = recipient.audience == Audience.PARENT
    context: dict[str, Any] = {
        "session": session,
        "school": session.school,
        "recipient": recipient,
        "parent": parent,
        "cancelled": method == CANCEL,
        "changed": changed,
        "starts": timezone.localtime(session.starts_at, tz),
        "ends": timezone.localtime(session.ends_at, tz),
        "expectations": expectations(session, for_parents=parent),
        "join_url": session.join_url if method == REQUEST else "",
        "page": "" if parent else site_url(reverse("scheduling:detail", args=[session.pk])),
        "pupils": [] if parent else list(session.pupils.all()),
    }
    _send(
        "invite_session",
        context,
        recipient.address,
        attachment=(ics, method, "cancel.ics" if method == CANCEL else "invite.ics"),
    )


def _send(
    template: str,
    context: dict[str, Any],
    address: str,
    *,
    attachment: tuple[bytes, str, str] | None = None,
) -> None:
    """``scheduling/email/<template>`` to one address, with an iCalendar attachment
    (``text/calendar; method=...``) if given. Raises on failure."""
    parts = []
    if attachment is not None:
        ics, method, filename = attachment
        part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        parts.append(part)
    send_email(f"scheduling/email/{template}", context, [address], attachments=parts)


# --- reminders --------------------------------------------------------------------------------

ReminderResult = Literal["sent", "already_sent", "not_due", "no_recipients", "missing"]


def _open_steps(session: Session) -> list[Any]:
    from chaperone.scheduling.models import StepState

    return [s for s in session.steps.all() if s.state != StepState.DONE]


def _still_worth_sending(session: Session, kind: str, now: datetime) -> bool:
    """A reminder enqueued is sent unless the session was cancelled, has started or (steps
    overdue) has had its steps done meanwhile."""
    if session.is_cancelled or session.starts_at <= now:
        return False
    return kind == ReminderKind.DAY_BEFORE or (
        session.outcome == "pending" and bool(_open_steps(session))
    )


def _reminder_due(session: Session, kind: str, day: date, now: datetime) -> bool:
    if not _still_worth_sending(session, kind, now):
        return False
    if kind == ReminderKind.DAY_BEFORE:
        local = timezone.localtime(session.starts_at, ZoneInfo(session.school.time_zone))
        return local.date() == day + timedelta(days=1)
    return session.starts_at - now <= OVERDUE_WITHIN


def due_reminders(day: date, now: datetime | None = None) -> list[tuple[int, str]]:
    """(session id, kind) of every reminder due on ``day`` and not yet sent."""
    from chaperone.scheduling.models import Session, SessionState

    now = now or timezone.now()
    horizon = datetime.combine(day + timedelta(days=3), time.min, tzinfo=ZoneInfo("UTC"))
    candidates = (
        Session.objects.filter(
            state=SessionState.PLANNED, starts_at__gt=now, starts_at__lt=max(horizon, now)
        )
        .select_related("school")
        .prefetch_related("steps")
        .order_by("starts_at", "id")
    )
    sent = set(
        SessionReminder.objects.filter(session__in=candidates).values_list("session_id", "kind")
    )
    return [
        (s.pk, kind)
        for s in candidates
        for kind in ReminderKind.values
        if (s.pk, kind) not in sent and _reminder_due(s, kind, day, now)
    ]


def reminders_enqueue_due(day: date | None = None) -> list[tuple[int, str]]:
    """The daily job: enqueue each due reminder (ids only) once the transaction commits."""
    day = day or timezone.localdate()
    due = due_reminders(day)
    for session_id, kind in due:
        transaction.on_commit(partial(send_session_reminder.enqueue, session_id, kind), robust=True)
    return due


def _reminder_recipients(session: Session, kind: str) -> list[Any]:
    from chaperone.people.selectors import staff_to_tell
    from chaperone.scheduling.models import StepKind

    people = [m for m in (session.host, session.second_staff) if m is not None and m.is_active]
    if kind == ReminderKind.STEPS_OVERDUE:
        people = [session.host, session.planned_by]
        kinds = {s.kind for s in _open_steps(session)}
        taking_part = {session.host_id, session.planned_by_id, session.second_staff_id}
        if StepKind.APPROVAL in kinds:
            approvers = staff_to_tell(action="session.approve", school_id=session.school_id)
            people += [m for m in approvers if m.pk not in taking_part]
        if StepKind.RISK_ASSESSMENT in kinds:
            people += staff_to_tell(action="session.assess_risk", school_id=session.school_id)
    unique: dict[int, Any] = {}
    for member in people:
        if member.is_active and member.notice_email:
            unique.setdefault(member.pk, member)
    return list(unique.values())


def reminder_send(*, session_id: int, kind: str) -> ReminderResult:
    """Send one reminder of one session, once (a unique row written with the emails)."""
    from chaperone.audit.log import record as audit_record
    from chaperone.scheduling.calendars import site_url
    from chaperone.scheduling.models import Session
    from chaperone.tenancy.policies import SYSTEM

    if kind not in ReminderKind.values:
        return "missing"
    with transaction.atomic():
        session = (
            Session.objects.select_related(
                "school", "host__user", "second_staff__user", "planned_by__user"
            )
            .prefetch_related("steps")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            return "missing"
        if not _still_worth_sending(session, kind, timezone.now()):
            return "not_due"
        people = _reminder_recipients(session, kind)
        if not people:
            return "no_recipients"
        try:
            with transaction.atomic():
                row = SessionReminder.objects.create(
                    session=session, kind=kind, recipient_staff_ids=[m.pk for m in people]
                )
        except IntegrityError:
            return "already_sent"
        tz = ZoneInfo(session.school.time_zone)
        context = {
            "session": session,
            "school": session.school,
            "kind": kind,
            "starts": timezone.localtime(session.starts_at, tz),
            "steps": _open_steps(session),
            "page": site_url(reverse("scheduling:detail", args=[session.pk])),
        }
        template = "invite_reminder" if kind == ReminderKind.DAY_BEFORE else "invite_overdue"
        for member in people:
            _send(template, {**context, "member": member}, member.notice_email)
        audit_record(
            "session.reminder_sent",
            actor=SYSTEM,
            target=session,
            details={"kind": kind, "recipients": len(people), "reminder_id": row.pk},
        )
    return "sent"
