"""Uploading a protocol version: check it (the preview of what it changes, school by school),
then store it; and, for a school a trust version left out of step, confirm the additions that
still fit.

The owner is read from the text and the actor's rights: a file with ``extends`` is a school's
additions, anything else the trust's protocol. A trust version that leaves a school's additions
unable to apply marks that school out of step (see :mod:`.effective`) and tells its head and DSL.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone import rules
from chaperone.audit.log import record as audit_record
from chaperone.protocols import reminders
from chaperone.protocols.effective import (
    compiled_overlay,
    compiled_version,
    current_version,
    effective_protocol_for_school,
    in_force_first,
    today_at,
)
from chaperone.protocols.inheritance import OverlayFit, overlay_fit
from chaperone.protocols.models import OverlayOutOfStep, Protocol, ProtocolVersion
from chaperone.protocols.services import (
    actor_name,
    may_manage_school_overlay,
    may_manage_trust_protocol,
    may_upload,
)
from chaperone.rules.diff import ProtocolDiff
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor

#: Uploaded protocol files larger than this are refused (the biggest template is ~30 KB).
MAX_SOURCE_CHARS = 200_000
TOO_DEEP = "file: lists or tables are nested too deeply to read"

UploadOwner = Literal["trust", "school"]
SchoolEffectStatus = Literal["no_additions", "fit", "out_of_step"]


class NothingToConfirm(ValueError):
    """The school's additions fit the trust's version (or it has none): nothing to confirm."""


class ProtocolUploadError(ValueError):
    """An upload that cannot be stored. ``problems`` name the rule id and field where they can."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# --- upload: check (the preview), then store ---------------------------------------------------


@dataclass(frozen=True)
class SchoolEffect:
    """What a trust version does to one school of the trust."""

    school: School
    school_version: ProtocolVersion | None
    fit: OverlayFit | None

    @property
    def status(self) -> SchoolEffectStatus:
        if self.fit is None:
            return "no_additions"
        return "fit" if self.fit.fits else "out_of_step"


@dataclass(frozen=True)
class UploadCheck:
    """An upload that would be stored as it stands, and what it would change."""

    owner: UploadOwner
    parsed: rules.Protocol | rules.ProtocolOverlay
    #: the whole protocol as it would read (for school additions: applied to the trust's)
    protocol: rules.Protocol
    sha256: str
    base_version: ProtocolVersion | None
    previous: rules.Protocol | None
    school_effects: tuple[SchoolEffect, ...]
    scheduled: bool

    @property
    def diff(self) -> ProtocolDiff | None:
        return rules.diff_protocols(self.previous, self.protocol) if self.previous else None

    @property
    def schools_out_of_step(self) -> tuple[SchoolEffect, ...]:
        return tuple(e for e in self.school_effects if e.status == "out_of_step")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _owner_of(actor: Actor, school: School, text: str) -> UploadOwner:
    """A complete protocol is the trust's, a file with ``extends`` the school's additions; the
    actor must be allowed to upload that kind from ``school``."""
    if not may_upload(actor, school):
        raise PermissionDenied("You cannot change this school's protocol.")
    if not text.strip():
        raise ProtocolUploadError(["file: the protocol is empty"])
    if len(text) > MAX_SOURCE_CHARS:
        raise ProtocolUploadError([f"file: longer than {MAX_SOURCE_CHARS:,} characters"])
    try:
        owner: UploadOwner = "school" if "extends" in tomllib.loads(text) else "trust"
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolUploadError([f"file: not valid TOML: {exc}"]) from None
    except RecursionError:
        raise ProtocolUploadError([TOO_DEEP]) from None
    if owner == "trust" and not may_manage_trust_protocol(actor, school.trust):
        raise ProtocolUploadError(
            [
                "extends: only the trust's administrators can replace the trust protocol; a "
                'school uploads its additions, starting with extends = "<trust protocol id>"'
            ]
        )
    if owner == "school" and not may_manage_school_overlay(actor, school):
        if school.trust.is_standalone:
            raise ProtocolUploadError(
                [
                    "extends: this school is its own trust, so its protocol is complete: "
                    "remove 'extends' and upload the whole protocol"
                ]
            )
        raise ProtocolUploadError(
            [
                "extends: this is a school's additions; only the school's head or DSL may upload "
                "them, from the school"
            ]
        )
    return owner


def protocol_upload_check(*, actor: Actor, school: School, source_text: str) -> UploadCheck:
    """Everything :func:`protocol_version_upload` would check, without storing: the owner (the
    trust or the school, read from the text and the actor's rights), the engine's validation,
    the diff from the version in force and, for a trust version, its effect on every school of
    the trust. Raises :class:`ProtocolUploadError` listing every problem, or ``PermissionDenied``.
    """
    owner = _owner_of(actor, school, source_text)
    today = today_at(school)
    trust_version = current_version(
        Protocol.objects.filter(owner_trust_id=school.trust_id).first(), on=today
    )
    if owner == "trust":
        full = _parse_full(source_text)
        _check_identity(Protocol.objects.filter(owner_trust_id=school.trust_id).first(), full)
        previous = compiled_version(trust_version) if trust_version else None
        return UploadCheck(
            owner="trust",
            parsed=full,
            protocol=full,
            sha256=_sha256(source_text),
            base_version=None,
            previous=previous,
            school_effects=_school_effects(school.trust, full, max(today, full.effective)),
            scheduled=full.effective > today,
        )
    if trust_version is None:
        raise ProtocolUploadError(
            ["extends: your trust has no protocol yet, so there is nothing to add to"]
        )
    base = compiled_version(trust_version)
    overlay, merged = _parse_overlay(source_text, base)
    _check_identity(Protocol.objects.filter(owner_school=school).first(), overlay)
    effective = effective_protocol_for_school(school, on=today)
    return UploadCheck(
        owner="school",
        parsed=overlay,
        protocol=merged,
        sha256=_sha256(source_text),
        base_version=trust_version,
        previous=effective.protocol if effective else None,
        school_effects=(),
        scheduled=overlay.effective > today,
    )


def _check_identity(
    protocol: Protocol | None, parsed: rules.Protocol | rules.ProtocolOverlay
) -> None:
    if protocol is None:
        return
    if protocol.slug != parsed.id:
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


def _school_effects(trust: Trust, new: rules.Protocol, on: date) -> tuple[SchoolEffect, ...]:
    """For each school of ``trust``: its additions in force on ``on`` against ``new`` (two
    queries, however many schools)."""
    overlays: dict[int, ProtocolVersion] = {}
    for v in in_force_first(
        ProtocolVersion.objects.filter(protocol__owner_school__trust=trust)
        .select_related("protocol")
        .defer("source_text"),
        on,
    ):
        overlays.setdefault(v.protocol.owner_school_id or 0, v)
    effects = []
    for school in trust.schools.order_by("name", "id"):
        overlay_version = overlays.get(school.pk)
        fit = (
            overlay_fit(new, compiled_overlay(overlay_version))
            if overlay_version is not None
            else None
        )
        effects.append(SchoolEffect(school, overlay_version, fit))
    return tuple(effects)


def _parse_full(text: str) -> rules.Protocol:
    try:
        return rules.load_protocol_text(text, source="")
    except rules.ProtocolError as exc:
        raise ProtocolUploadError(exc.problems) from None


def _parse_overlay(text: str, base: rules.Protocol) -> tuple[rules.ProtocolOverlay, rules.Protocol]:
    """The overlay and ``base`` with it applied (the engine refuses anything that loosens)."""
    try:
        overlay = rules.load_overlay_text(text)
        return overlay, rules.apply_overlay(base, overlay)
    except rules.ProtocolError as exc:
        raise ProtocolUploadError(exc.problems) from None


@transaction.atomic
def protocol_version_upload(
    *, actor: Actor, school: School, source_text: str, expected_sha256: str | None = None
) -> ProtocolVersion:
    """Store ``source_text`` as a new version of the trust's protocol or of ``school``'s
    additions (the text and the actor's rights decide which; see :func:`protocol_upload_check`).

    ``expected_sha256`` is the checked text's hash from the preview: a different text is refused
    rather than stored unseen. A trust version is recorded in the audit log of every school of
    the trust; a school whose additions no longer fit is marked out of step (and judged under the
    strictest reading until it confirms or updates them) and its head and DSL are e-mailed.
    """
    check = protocol_upload_check(actor=actor, school=school, source_text=source_text)
    if expected_sha256 is not None and expected_sha256 != check.sha256:
        raise ProtocolUploadError(["file: the text changed after it was checked; check it again"])
    owner_filter: dict[str, Any] = (
        {"owner_trust": school.trust} if check.owner == "trust" else {"owner_school": school}
    )
    protocol = Protocol.objects.select_for_update().filter(**owner_filter).first()
    if protocol is None:
        protocol = Protocol.objects.create(slug=check.parsed.id, **owner_filter)
    parsed = check.parsed
    version = ProtocolVersion(
        protocol=protocol,
        version_label=parsed.version,
        title=parsed.title[:300],
        source_text=source_text,
        sha256=check.sha256,
        effective_on=parsed.effective,
        review_on=parsed.review,
        uploaded_by_id=actor.user_id,
        uploaded_by_name=actor_name(actor),
        uploaded_at=timezone.now(),
        base_version=check.base_version,
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
            "base_version_id": check.base_version.pk if check.base_version else None,
        },
    )
    for effect in check.school_effects:
        _record_effect(actor, version, effect)
    if reminders.review_window(version, today_at(school)) is not None:
        reminders.review_reminder_enqueue(version.pk)
    return version


def _record_effect(actor: Actor, version: ProtocolVersion, effect: SchoolEffect) -> None:
    """File a trust version under one school: in its audit log, and (if its additions no longer
    fit) as an out-of-step mark whose notice goes to the head and DSL."""
    fit = effect.fit
    audit_record(
        "protocol.trust_version_applied",
        actor=actor,
        target=version,
        school_id=effect.school.pk,
        details={
            "version": version.version_label,
            "additions": effect.status,
            "no_longer_fit": [a.key for a in fit.no_longer_fit] if fit else [],
        },
    )
    if fit is None or fit.fits or effect.school_version is None:
        return
    mark = OverlayOutOfStep.objects.create(
        school=effect.school,
        trust_version=version,
        school_version=effect.school_version,
        problems=list(fit.problems),
        marked_at=timezone.now(),
    )
    reminders.out_of_step_notice_enqueue(mark.pk)


# --- out of step: confirm the additions that still fit -----------------------------------------


@transaction.atomic
def protocol_additions_confirm(*, actor: Actor, school: School) -> OverlayOutOfStep:
    """The school follows the trust's version in force with those of its additions that still
    fit, and stops being judged under its old protocol as well. Its head or DSL decides."""
    if not may_manage_school_overlay(actor, school):
        raise PermissionDenied("You cannot change this school's protocol.")
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None or not effective.out_of_step or effective.school_version is None:
        raise NothingToConfirm("The school's additions fit the trust's protocol.")
    mark, _ = OverlayOutOfStep.objects.select_for_update().get_or_create(
        school=school,
        trust_version=effective.trust_version,
        school_version=effective.school_version,
        defaults={"problems": list(effective.overlay_problems), "marked_at": timezone.now()},
    )
    mark.confirmed_at = timezone.now()
    mark.confirmed_by_id = actor.user_id
    mark.confirmed_by_name = actor_name(actor)
    mark.save(update_fields=["confirmed_at", "confirmed_by", "confirmed_by_name"])
    fit = effective.fit
    audit_record(
        "protocol.additions_confirmed",
        actor=actor,
        target=school,
        details={
            "trust_version_id": effective.trust_version.pk,
            "school_version_id": effective.school_version.pk,
            "kept": [a.key for a in fit.still_fit] if fit else [],
            "dropped": [a.key for a in fit.no_longer_fit] if fit else [],
        },
    )
    return mark


__all__ = [
    "MAX_SOURCE_CHARS",
    "NothingToConfirm",
    "ProtocolUploadError",
    "SchoolEffect",
    "UploadCheck",
    "protocol_additions_confirm",
    "protocol_upload_check",
    "protocol_version_upload",
]
