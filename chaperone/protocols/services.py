"""Writes and engine calls for protocols: upload a version, acknowledge it, decide a request.

The pure engine (:mod:`chaperone.rules`) validates and judges; this module stores, scopes, audits
and caches. Parsing TOML and compiling a protocol happens once per process for each combination
of stored versions (see :func:`effective_protocol_for_school`).
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from chaperone import rules
from chaperone.audit.log import record as audit_record
from chaperone.people.models import StaffMember, User
from chaperone.protocols.models import (
    Protocol,
    ProtocolAcknowledgement,
    ProtocolDecision,
    ProtocolVersion,
    ReminderWindow,
)
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import SYSTEM, Actor
from chaperone.tenancy.roles import Role

#: Uploaded protocol files larger than this are refused (the biggest template is ~30 KB).
MAX_SOURCE_CHARS = 200_000
#: A review reminder goes out when the review date is this close (or has passed).
REVIEW_NOTICE_DAYS = 30


class ProtocolUploadError(ValueError):
    """An upload that cannot be stored. ``problems`` name the rule id and field where they can."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class NoProtocolError(LookupError):
    """The school's trust has no protocol yet."""


class AcknowledgementOutOfDate(ValueError):
    """The protocol changed between reading it and acknowledging it."""


# --- effective protocol ----------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveProtocol:
    """What a school follows: its trust's current version, tightened by its own overlay."""

    protocol: rules.Protocol
    trust_version: ProtocolVersion
    school_version: ProtocolVersion | None
    #: ids of rules that come from the trust's protocol (the rest were added by the school)
    trust_rule_ids: frozenset[str] = frozenset()
    #: trust rules whose effect the school's overlay raised
    raised_rule_ids: frozenset[str] = frozenset()
    #: set when the school's overlay no longer fits the trust's current version
    overlay_problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def versions(self) -> tuple[ProtocolVersion, ...]:
        if self.school_version is not None and not self.overlay_problems:
            return (self.trust_version, self.school_version)
        return (self.trust_version,)

    @property
    def version(self) -> ProtocolVersion:
        """The most specific version in use."""
        return self.versions[-1]

    @property
    def base_version(self) -> ProtocolVersion | None:
        return self.trust_version if len(self.versions) > 1 else None

    def is_for(self, school: School) -> bool:
        """Whether this is what ``school`` follows (its trust's version, and its own overlay)."""
        school_ok = self.school_version is None or (
            self.school_version.protocol.owner_school_id == school.pk
        )
        return self.trust_version.protocol.owner_trust_id == school.trust_id and school_ok

    def origin(self, rule_id: str) -> str:
        """'trust', 'tightened' (a trust rule the school made stricter) or 'school'."""
        if rule_id in self.raised_rule_ids:
            return "tightened"
        return "trust" if rule_id in self.trust_rule_ids else "school"


@dataclass(frozen=True)
class _Compiled:
    protocol: rules.Protocol
    trust_rule_ids: frozenset[str]
    raised_rule_ids: frozenset[str]
    overlay_problems: tuple[str, ...]


class _LruCache:
    """A small thread-safe LRU of compiled protocols, keyed by version ids and hashes."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], _Compiled] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> _Compiled | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: _Compiled) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


#: Keys include each version's sha256 as well as its id, so a reused id (SQLite after a rollback)
#: can never serve another text's protocol.
protocol_cache = _LruCache()


def _key(version: ProtocolVersion | None) -> tuple[Any, ...]:
    return (None, None) if version is None else (version.pk, version.sha256)


def _source(version: ProtocolVersion) -> str:
    if "source_text" in version.get_deferred_fields():
        return ProtocolVersion.objects.values_list("source_text", flat=True).get(pk=version.pk)
    return version.source_text


def compiled_version(version: ProtocolVersion) -> rules.Protocol:
    """A trust version (full protocol) parsed and compiled, cached in-process."""
    key = ("full", *_key(version))
    hit = protocol_cache.get(key)
    if hit is None:
        protocol = rules.load_protocol_text(_source(version), source=str(version))
        ids = frozenset(r.id for r in protocol.rules)
        hit = _Compiled(protocol, ids, frozenset(), ())
        protocol_cache.put(key, hit)
    return hit.protocol


def _compile_pair(
    trust_version: ProtocolVersion, school_version: ProtocolVersion | None
) -> _Compiled:
    key = ("pair", *_key(trust_version), *_key(school_version))
    hit = protocol_cache.get(key)
    if hit is not None:
        return hit
    base = compiled_version(trust_version)
    trust_ids = frozenset(r.id for r in base.rules)
    if school_version is None:
        hit = _Compiled(base, trust_ids, frozenset(), ())
    else:
        try:
            overlay = rules.load_overlay_text(_source(school_version), source=str(school_version))
            merged = rules.apply_overlay(base, overlay)
            hit = _Compiled(merged, trust_ids, frozenset(overlay.raise_effect), ())
        except rules.ProtocolError as exc:
            # The trust moved on and the overlay no longer fits: follow the trust's protocol and
            # say so loudly on every page until the school uploads a new overlay.
            hit = _Compiled(base, trust_ids, frozenset(), tuple(exc.problems))
    protocol_cache.put(key, hit)
    return hit


def in_force_first(versions: QuerySet[ProtocolVersion]) -> QuerySet[ProtocolVersion]:
    """Order versions so the one in force comes first: the latest uploaded among those whose
    effective date has come; if none has come yet, the latest uploaded (so a new school is never
    without its protocol)."""
    today = timezone.localdate()
    return versions.annotate(
        in_force=Case(When(effective_on__lte=today, then=Value(1)), default=Value(0))
    ).order_by("-in_force", "-uploaded_at", "-id")


def current_version(protocol: Protocol | None) -> ProtocolVersion | None:
    """The version of ``protocol`` in force today (see :func:`in_force_first`)."""
    if protocol is None:
        return None
    return in_force_first(
        ProtocolVersion.objects.filter(protocol=protocol)
        .select_related("protocol")
        .defer("source_text")
    ).first()


def _current_versions_for_school(
    school: School,
) -> tuple[ProtocolVersion | None, ProtocolVersion | None]:
    """The current trust version and school overlay version, in one query."""
    rows = in_force_first(
        ProtocolVersion.objects.filter(
            Q(protocol__owner_trust_id=school.trust_id) | Q(protocol__owner_school_id=school.pk)
        )
        # the owners too: pages and PDFs name them under the protocol
        .select_related("protocol__owner_trust", "protocol__owner_school")
        .defer("source_text")
    )
    trust_version = school_version = None
    for v in rows:
        if v.protocol.owner_trust_id and trust_version is None:
            trust_version = v
        elif v.protocol.owner_school_id and school_version is None:
            school_version = v
        if trust_version and school_version:
            break
    return trust_version, school_version


def effective_protocol_for_school(school: School) -> EffectiveProtocol | None:
    """The protocol a school follows now, or None if its trust has not uploaded one.

    Parsing and compiling happen once per combination of versions per process.
    """
    trust_version, school_version = _current_versions_for_school(school)
    if trust_version is None:
        return None
    compiled = _compile_pair(trust_version, school_version)
    return EffectiveProtocol(
        protocol=compiled.protocol,
        trust_version=trust_version,
        school_version=school_version,
        trust_rule_ids=compiled.trust_rule_ids,
        raised_rule_ids=compiled.raised_rule_ids,
        overlay_problems=compiled.overlay_problems,
    )


def protocol_for_version(version: ProtocolVersion) -> rules.Protocol:
    """The protocol as it stood with ``version``: an overlay applied to the trust version it was
    checked against."""
    if version.base_version_id is None:
        return compiled_version(version)
    base = version.base_version
    assert base is not None
    return _compile_pair(base, version).protocol


# --- permissions ------------------------------------------------------------------------------


def may_manage_trust_protocol(actor: Actor, trust: Trust) -> bool:
    """Trust administrators manage the trust's protocol; in a standalone school (a trust of one)
    whoever manages the school's protocol does."""
    return actor.can_in_trust("trust.manage_protocol", trust.pk, standalone=trust.is_standalone)


def may_manage_school_overlay(actor: Actor, school: School) -> bool:
    return actor.can("protocol.manage", school.pk) and not school.trust.is_standalone


# --- upload -----------------------------------------------------------------------------------


def _actor_name(actor: Actor) -> str:
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


def upload_kind(text: str) -> str | None:
    """'school' for an overlay (it has ``extends``), 'trust' for a complete protocol, None when
    the text is not TOML at all (the upload service then reports where it breaks)."""
    try:
        return "school" if "extends" in tomllib.loads(text) else "trust"
    except tomllib.TOMLDecodeError:
        return None


@transaction.atomic
def protocol_version_upload(
    *,
    actor: Actor,
    source_text: str,
    owner_trust: Trust | None = None,
    owner_school: School | None = None,
) -> ProtocolVersion:
    """Validate ``source_text`` with the engine and store it as a new version.

    A trust uploads a complete protocol; a school uploads an overlay, which must tighten the
    trust's current version (anything that loosens it is refused, naming the rule). Raises
    :class:`ProtocolUploadError` listing every problem, or ``PermissionDenied``.
    """
    if (owner_trust is None) == (owner_school is None):
        raise ValueError("Give exactly one of owner_trust and owner_school.")
    if owner_school is not None and not may_manage_school_overlay(actor, owner_school):
        raise PermissionDenied("You cannot change this school's protocol.")
    if owner_trust is not None and not may_manage_trust_protocol(actor, owner_trust):
        raise PermissionDenied("Only the trust's administrators can change the trust protocol.")
    if not source_text.strip():
        raise ProtocolUploadError(["file: the protocol is empty"])
    if len(source_text) > MAX_SOURCE_CHARS:
        raise ProtocolUploadError([f"file: longer than {MAX_SOURCE_CHARS:,} characters"])

    try:
        is_overlay = "extends" in tomllib.loads(source_text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolUploadError([f"file: not valid TOML: {exc}"]) from None

    base_version: ProtocolVersion | None = None
    parsed: rules.Protocol | rules.ProtocolOverlay
    if owner_trust is not None:
        if is_overlay:
            raise ProtocolUploadError(
                [
                    "extends: this is a school overlay; the trust's protocol must be complete "
                    "(remove 'extends' or upload it as the school's additions)"
                ]
            )
        parsed = _parse_full(source_text)
        owner_filter: dict[str, Any] = {"owner_trust": owner_trust}
    else:
        assert owner_school is not None
        base_version = current_version(
            Protocol.objects.filter(owner_trust_id=owner_school.trust_id).first()
        )
        if base_version is None:
            raise ProtocolUploadError(
                ["extends: your trust has no protocol yet, so there is nothing to add to"]
            )
        if not is_overlay:
            raise ProtocolUploadError(
                [
                    f"extends: a school uploads additions to the trust protocol; start the file "
                    f'with extends = "{base_version.protocol.slug}" and list only what it adds '
                    "or makes stricter"
                ]
            )
        parsed = _parse_overlay(source_text, compiled_version(base_version))
        owner_filter = {"owner_school": owner_school}

    protocol = Protocol.objects.select_for_update().filter(**owner_filter).first()
    if protocol is None:
        protocol = Protocol.objects.create(slug=parsed.id, **owner_filter)
    elif protocol.slug != parsed.id:
        raise ProtocolUploadError(
            [
                f"id: this protocol is {protocol.slug!r} but the file says {parsed.id!r}; keep the "
                "id and change the version"
            ]
        )
    if protocol.versions.filter(version_label=parsed.version).exists():
        raise ProtocolUploadError(
            [
                f"version: {parsed.version!r} is already stored; give the new version its own "
                "label (e.g. the date)"
            ]
        )
    version = ProtocolVersion(
        protocol=protocol,
        version_label=parsed.version,
        title=parsed.title[:300],
        source_text=source_text,
        sha256=hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
        effective_on=parsed.effective,
        review_on=parsed.review,
        uploaded_by_id=actor.user_id,
        uploaded_by_name=_actor_name(actor),
        uploaded_at=timezone.now(),
        base_version=base_version,
    )
    version.save()
    audit_record(
        "protocol.version_uploaded",
        actor=actor,
        target=version,
        details={
            "protocol": protocol.slug,
            "version": version.version_label,
            "sha256": version.sha256,
            "base_version_id": base_version.pk if base_version else None,
        },
    )
    if review_window(version, timezone.localdate()) is not None:
        _enqueue_reminder_on_commit(version.pk)
    return version


def _parse_full(text: str) -> rules.Protocol:
    try:
        return rules.load_protocol_text(text, source="")
    except rules.ProtocolError as exc:
        raise ProtocolUploadError(exc.problems) from None


def _parse_overlay(text: str, base: rules.Protocol) -> rules.ProtocolOverlay:
    """The overlay, checked by applying it to ``base`` (loosening is refused by the engine)."""
    try:
        overlay = rules.load_overlay_text(text)
        rules.apply_overlay(base, overlay)
    except rules.ProtocolError as exc:
        raise ProtocolUploadError(exc.problems) from None
    return overlay


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
    effective = effective_protocol_for_school(school)
    if effective is None:
        raise NoProtocolError(school)
    current = sorted(v.pk for v in effective.versions)
    if sorted(version_ids) != current:
        raise AcknowledgementOutOfDate(
            "The protocol has changed since you opened it. Read the current version below."
        )
    return [protocol_acknowledge(actor=actor, version=v) for v in effective.versions]


# --- decisions --------------------------------------------------------------------------------


def protocol_decide(
    *,
    actor: Actor,
    school: School,
    request_data: dict[str, Any] | str,
    record: bool = True,
    effective: EffectiveProtocol | None = None,
) -> tuple[rules.Decision, ProtocolDecision | None]:
    """Judge a contact request under the school's effective protocol.

    Raises :class:`chaperone.rules.RequestError` (naming the field) for a malformed request and
    :class:`NoProtocolError` when the school has no protocol. With ``record`` the decision is
    stored with the versions it used. ``effective`` is the school's effective protocol when the
    caller has already looked it up (so a page asks for it once).
    """
    if not actor.can("protocol.view", school.pk):
        raise PermissionDenied("You cannot use this school's protocol.")
    if effective is None:
        effective = effective_protocol_for_school(school)
    elif not effective.is_for(school):
        raise ValueError("The effective protocol given is not this school's.")
    if effective is None:
        raise NoProtocolError(school)
    request = rules.parse_request(request_data)
    decision = rules.decide(effective.protocol, request)
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
        actor_name=_actor_name(actor),
        decided_at=timezone.now(),
    )
    row.save()
    audit_record(
        "protocol.decision_recorded",
        actor=actor,
        target=row,
        details={"outcome": row.outcome, "codes": row.codes, "version_id": row.version_id},
    )
    return row


# --- review reminders -------------------------------------------------------------------------


def review_window(version: ProtocolVersion, today: date) -> ReminderWindow | None:
    """Which reminder is due for ``version`` on ``today``, if any."""
    if version.review_on <= today:
        return ReminderWindow.OVERDUE
    if version.review_on <= today + timedelta(days=REVIEW_NOTICE_DAYS):
        return ReminderWindow.DUE_SOON
    return None


def reminder_recipients(version: ProtocolVersion) -> list[StaffMember]:
    """The school's headteacher and DSL for an overlay; the trust's administrators for a trust
    protocol. Only active staff with an e-mail address."""
    protocol = version.protocol
    if protocol.owner_school_id:
        q = Q(
            assignments__school_id=protocol.owner_school_id,
            assignments__role__in=[Role.HEADTEACHER, Role.DSL],
        )
    else:
        q = Q(
            trust_id=protocol.owner_trust_id,
            assignments__school__isnull=True,
            assignments__role=Role.TRUST_ADMIN,
        )
        trust = protocol.owner_trust
        if trust is not None and trust.is_standalone:
            q |= Q(
                assignments__school__trust_id=trust.pk,
                assignments__role__in=[Role.HEADTEACHER, Role.DSL],
            )
    return list(
        StaffMember.objects.filter(q, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def due_reminder_version_ids(today: date) -> list[int]:
    """Current versions whose review is near or past and whose reminder for that window has not
    gone out yet."""
    horizon = today + timedelta(days=REVIEW_NOTICE_DAYS)
    latest: dict[int, ProtocolVersion] = {}
    for v in ProtocolVersion.objects.defer("source_text").order_by(
        "protocol_id", "-uploaded_at", "-id"
    ):
        latest.setdefault(v.protocol_id, v)
    due = [v for v in latest.values() if v.review_on <= horizon]
    sent = set(
        ProtocolVersion.objects.filter(pk__in=[v.pk for v in due]).values_list(
            "pk", "review_reminders__window"
        )
    )
    return [v.pk for v in due if (v.pk, review_window(v, today)) not in sent]


def _enqueue_reminder_on_commit(version_id: int) -> None:
    from chaperone.protocols.tasks import send_review_reminder

    transaction.on_commit(lambda: send_review_reminder.enqueue(version_id))


def enqueue_due_reminders(today: date | None = None) -> list[int]:
    """Enqueue :func:`~chaperone.protocols.tasks.send_review_reminder` for every due version
    (ids only), once the surrounding transaction commits."""
    ids = due_reminder_version_ids(today or timezone.localdate())
    with transaction.atomic():
        for version_id in ids:
            _enqueue_reminder_on_commit(version_id)
    return ids


def reminder_send(*, version_id: int, today: date | None = None) -> str:
    """Send the review reminder for one version and window, once. Returns what happened:
    ``sent``, ``already_sent``, ``not_due``, ``no_recipients`` or ``missing``."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from chaperone.protocols.models import ProtocolReviewReminder

    today = today or timezone.localdate()
    with transaction.atomic():
        version = (
            ProtocolVersion.objects.select_related(
                "protocol", "protocol__owner_school", "protocol__owner_trust"
            )
            .defer("source_text")
            .filter(pk=version_id)
            .first()
        )
        if version is None:
            return "missing"
        window = review_window(version, today)
        if window is None:
            return "not_due"
        recipients = reminder_recipients(version)
        if not recipients:
            return "no_recipients"
        try:
            with transaction.atomic():
                reminder = ProtocolReviewReminder.objects.create(
                    version=version,
                    window=window,
                    recipient_staff_ids=[s.pk for s in recipients],
                    sent_at=timezone.now(),
                )
        except IntegrityError:
            return "already_sent"
        context = {
            "version": version,
            "owner": version.protocol.owner,
            "window": window,
            "overdue": window == ReminderWindow.OVERDUE,
            "days_left": (version.review_on - today).days,
        }
        subject = render_to_string("protocols/email/review_reminder_subject.txt", context)
        body = render_to_string("protocols/email/review_reminder.txt", context)
        # Raises on failure: the reminder row rolls back and the next run tries again.
        send_mail(
            " ".join(subject.split()),
            body,
            None,
            [s.email for s in recipients],
            fail_silently=False,
        )
        audit_record(
            "protocol.review_reminder_sent",
            actor=SYSTEM,
            target=version,
            details={"window": window, "recipients": len(recipients), "reminder_id": reminder.pk},
        )
    return "sent"
