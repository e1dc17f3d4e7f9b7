"""A leaving pupil's child protection file goes to their new school apart from the main pupil
file (KCSIE): a sealed bundle, due within five school days of the leaving date, with a daily
reminder until the new school's receipt is recorded. And the other way: a file that came with
a new pupil, a Chaperone bundle (checked against its checksums) or a PDF from another system
kept as a file-only record.

The bundle is a zip file::

    manifest.json       format, version, reference, the two schools, the pupil, and the
                        SHA-256 of every other file in the bundle
    cp-file.json        the file as data: concerns (with what was added to them and their
                        actions), significant events, files received from earlier schools
    cp-file.pdf         the same, readable (the chronology and every concern in full)
    attachments/<n>-<name>   the files kept with the concerns

The SHA-256 of the whole zip (``FileTransfer.bundle_sha256``) is shown to the DSL to give the
new school by another route (a phone call): what the new school imports must match it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.audit.log import record_read
from chaperone.concerns.models import (
    ChronologyEvent,
    ConcernRoute,
    FileTransfer,
    ReceivedFile,
    TransferStatus,
)
from chaperone.concerns.selectors import concerns_visible
from chaperone.people.models import Pupil
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

BUNDLE_FORMAT = "chaperone-cp-file"
BUNDLE_VERSION = 1
#: KCSIE: the file goes within five school days of the pupil leaving
SCHOOL_DAYS_TO_SEND = 5
MAX_IMPORT_BYTES = 50 * 1024 * 1024


class TransferProblem(ValueError):
    """Bad input to a transfer, with the field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


class SchoolDays:
    """The school days of one school: weekdays that are not bank holidays in England and,
    where the school has set its terms (``tenancy.SchoolTerm``), that fall inside one of them,
    so its half-terms and holidays are skipped. Outside the span of the terms it has set (or
    for a school that has set none) every such weekday counts: the countdown errs early."""

    def __init__(self, school_id: int | None = None) -> None:
        from chaperone.tenancy.models import SchoolTerm

        self.terms: list[tuple[dt.date, dt.date]] = (
            []
            if school_id is None
            else list(
                SchoolTerm.objects.filter(school_id=school_id)
                .order_by("starts_on")
                .values_list("starts_on", "ends_on")
            )
        )
        self.span = (self.terms[0][0], max(e for _, e in self.terms)) if self.terms else None

    def is_school_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5 or day in _bank_holidays(day.year):
            return False
        if self.span is None or not self.span[0] <= day <= self.span[1]:
            return True
        return any(start <= day <= end for start, end in self.terms)

    def add(self, start: dt.date, days: int) -> dt.date:
        day = start
        left = days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_school_day(day):
                left -= 1
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """School days after ``start`` up to and including ``end`` (negative when end is
        before)."""
        if end < start:
            return -self.between(end, start)
        n, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            n += self.is_school_day(day)
        return n


def is_school_day(day: dt.date, *, school_id: int | None = None) -> bool:
    """A weekday that is not a bank holiday in England and, where the school has set its terms,
    falls in one of them (see :class:`SchoolDays`)."""
    return SchoolDays(school_id).is_school_day(day)


def add_school_days(start: dt.date, days: int, *, school_id: int | None = None) -> dt.date:
    return SchoolDays(school_id).add(start, days)


def school_days_between(start: dt.date, end: dt.date, *, school_id: int | None = None) -> int:
    """School days after ``start`` up to and including ``end`` (negative when end is before)."""
    return SchoolDays(school_id).between(start, end)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _file_data(actor: Actor, pupil: Pupil) -> tuple[dict[str, Any], list[Any]]:
    concerns = list(
        concerns_visible(actor=actor)
        .filter(pupil_links__pupil=pupil, route=ConcernRoute.SAFEGUARDING)
        .select_related("category", "raised_by")
        .prefetch_related("pupil_links", "entries__by", "actions__owner", "attachments")
        .distinct()
        .order_by("raised_at", "id")
    )
    out = []
    for c in concerns:
        role = next((link.role for link in c.pupil_links.all() if link.pupil_id == pupil.pk), "")
        out.append(
            {
                "raised_at": _iso(c.raised_at),
                "happened_at": _iso(c.happened_at),
                "raised_by": c.raised_by.full_name,
                "category": c.category.name if c.category else "",
                "urgency": c.urgency,
                "role": role,
                "source": c.get_source_display(),
                "summary": c.summary,
                "childs_words": c.childs_words,
                "told_by": c.told_by,
                "body_map": c.body_map,
                "status": c.status,
                "closure_rationale": c.closure_rationale,
                "entries": [
                    {
                        "kind": e.kind,
                        "at": _iso(e.at),
                        "by": e.by.full_name if e.by else "system",
                        "text": e.text,
                    }
                    for e in c.entries.all()
                ],
                "actions": [
                    {
                        "kind": a.get_kind_display(),
                        "owner": a.owner.full_name,
                        "due_on": _iso(a.due_on),
                        "status": a.status,
                        "outcome": a.outcome,
                        "notes": a.notes,
                    }
                    for a in c.actions.all()
                ],
                "attachments": [
                    {"name": f.original_name, "sha256": f.sha256} for f in c.attachments.all()
                ],
            }
        )
    events = [
        {"occurred_on": _iso(e.occurred_on), "kind": e.kind, "title": e.title, "details": e.details}
        for e in ChronologyEvent.objects.filter(pupil=pupil)
    ]
    earlier = [
        {"from": f.from_school_name, "kind": f.kind, "sha256": f.sha256, "data": f.data}
        for f in ReceivedFile.objects.filter(pupil=pupil)
    ]
    return {"concerns": out, "events": events, "earlier_files": earlier}, concerns


def _build_zip(actor: Actor, transfer: FileTransfer) -> tuple[bytes, int]:
    from chaperone.concerns.chronology import build, render_pdf

    pupil = transfer.pupil
    school = transfer.school
    data, concerns = _file_data(actor, pupil)
    body = json.dumps(
        {
            "pupil": {
                "first_name": pupil.first_name,
                "last_name": pupil.last_name,
                "date_of_birth": _iso(pupil.date_of_birth),
                "upn": pupil.upn,
                "year_group": pupil.year_group,
            },
            **data,
        },
        indent=1,
        ensure_ascii=False,
    ).encode()
    pdf = render_pdf(
        build(actor, pupil),
        {"school": school, "transfer": transfer, "concerns": concerns, "generated": timezone.now()},
    )
    files: dict[str, bytes] = {"cp-file.json": body, "cp-file.pdf": pdf}
    for n, concern in enumerate(concerns, 1):
        for attachment in concern.attachments.all():
            with attachment.file.open("rb") as fh:
                files[f"attachments/{n}-{attachment.pk}-{attachment.original_name}"] = fh.read()
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "reference": str(transfer.reference),
        "created_at": timezone.now().isoformat(),
        "from_school": {"name": school.name, "urn": school.urn},
        "to_school": {"name": transfer.to_school_name, "urn": transfer.to_school_urn},
        "pupil": {
            "name": f"{pupil.first_name} {pupil.last_name}",
            "date_of_birth": _iso(pupil.date_of_birth),
            "upn": pupil.upn,
        },
        "leaving_on": _iso(transfer.leaving_on),
        "files": {name: _sha256(content) for name, content in files.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue(), len(concerns)


def _may_transfer(actor: Actor, school_id: int) -> int:
    """The acting member of staff's id, if they may send or receive the school's files."""
    if actor.staff_id is None or not actor.can("concern.transfer", school_id):
        raise PermissionDenied("Only the safeguarding team sends a child protection file.")
    return actor.staff_id


def transfer_start(
    *,
    actor: Actor,
    pupil: Pupil,
    leaving_on: dt.date,
    to_school_name: str,
    to_school_urn: str,
    to_dsl_email: str = "",
) -> FileTransfer:
    """Prepare the sealed bundle of a leaving pupil's file, due five school days after the
    leaving date."""
    staff_id = _may_transfer(actor, pupil.school_id)
    name = to_school_name.strip()
    urn = to_school_urn.strip()
    if not name:
        raise TransferProblem("to_school_name", "Enter the name of the new school.")
    if not (urn.isdigit() and len(urn) == 6):
        raise TransferProblem("to_school_urn", "Enter the new school's URN: six digits.")
    if urn == pupil.school.urn:
        raise TransferProblem("to_school_urn", "That is this school's own URN.")
    with transaction.atomic():
        transfer = FileTransfer.objects.create(
            school=pupil.school,
            pupil=pupil,
            reference=uuid.uuid4(),
            leaving_on=leaving_on,
            due_on=add_school_days(leaving_on, SCHOOL_DAYS_TO_SEND, school_id=pupil.school_id),
            to_school_name=name,
            to_school_urn=urn,
            to_dsl_email=to_dsl_email.strip(),
            created_by_id=staff_id,
        )
        content, count = _build_zip(actor, transfer)
        transfer.bundle.save(f"{transfer.reference}.zip", ContentFile(content), save=False)
        transfer.bundle_sha256 = _sha256(content)
        transfer.concern_count = count
        transfer.save(update_fields=["bundle", "bundle_sha256", "concern_count"])
        audit_record(
            "concern.transfer_prepared",
            actor=actor,
            target=transfer,
            details={"pupil": pupil.pk, "concerns": count, "due_on": transfer.due_on.isoformat()},
        )
    return transfer


def transfer_bundle_for_download(*, actor: Actor, transfer: FileTransfer) -> bytes:
    _may_transfer(actor, transfer.school_id)
    record_read("concern.transfer_downloaded", actor=actor, target=transfer)
    with transfer.bundle.open("rb") as fh:
        return fh.read()


def transfer_mark_sent(*, actor: Actor, transfer: FileTransfer) -> FileTransfer:
    _may_transfer(actor, transfer.school_id)
    if transfer.status != TransferStatus.PREPARED:
        raise TransferProblem("", "This file has already been sent.")
    with transaction.atomic():
        transfer.status = TransferStatus.SENT
        transfer.sent_at = timezone.now()
        transfer.sent_by_id = actor.staff_id
        transfer.save(update_fields=["status", "sent_at", "sent_by"])
        audit_record("concern.transfer_sent", actor=actor, target=transfer)
    return transfer


def _received(transfer: FileTransfer, by: str, at: dt.datetime, actor: Actor | None) -> None:
    transfer.status = TransferStatus.RECEIVED
    transfer.received_at = at
    transfer.received_confirmed_by = by[:200]
    transfer.save(update_fields=["status", "received_at", "received_confirmed_by"])
    audit_record(
        "concern.transfer_received", actor=actor, target=transfer, details={"confirmed_by": by}
    )


def transfer_confirm_receipt(
    *, actor: Actor, transfer: FileTransfer, confirmed_by: str, received_on: dt.date
) -> FileTransfer:
    """Record that the new school confirmed it has the file (who, and on which day)."""
    _may_transfer(actor, transfer.school_id)
    who = confirmed_by.strip()
    if not who:
        raise TransferProblem(
            "confirmed_by", "Enter who at the new school confirmed receipt, and their role."
        )
    if received_on > timezone.localdate():
        raise TransferProblem("received_on", "The day of receipt cannot be in the future.")
    if received_on < transfer.leaving_on - dt.timedelta(days=60):
        raise TransferProblem("received_on", "The day of receipt is long before the pupil left.")
    if transfer.is_received:
        raise TransferProblem("", "Receipt has already been recorded.")
    with transaction.atomic():
        when = timezone.make_aware(dt.datetime.combine(received_on, dt.time(12)))
        _received(transfer, who, when, actor)
    return transfer


# --- reminders ---------------------------------------------------------------------------------


def transfers_to_remind(day: dt.date) -> list[int]:
    """Transfers not yet received whose pupil has left, not yet reminded today."""
    from django.db.models import Q

    return list(
        FileTransfer.objects.exclude(status=TransferStatus.RECEIVED)
        .filter(leaving_on__lte=day)
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=day))
        .values_list("pk", flat=True)
    )


def transfer_reminders_enqueue(day: dt.date) -> int:
    """The daily job: a reminder task for each transfer still outstanding (on school days)."""
    if not is_school_day(day):
        return 0
    from chaperone.concerns.tasks_transfer import remind_transfer

    ids = transfers_to_remind(day)
    for pk in ids:
        remind_transfer.enqueue(pk, day.isoformat())
    return len(ids)


def transfer_remind(*, transfer_id: int, day: dt.date) -> bool:
    """Tell the school's DSL how many school days are left (or how late the file is); once a
    day at most, nothing once receipt is recorded."""
    from chaperone.core.mail import send_email
    from chaperone.people.selectors import staff_to_tell

    with transaction.atomic():
        transfer = (
            FileTransfer.objects.select_for_update()
            .select_related("school", "pupil")
            .filter(pk=transfer_id)
            .first()
        )
        if transfer is None or transfer.is_received:
            return False
        if transfer.reminded_on is not None and transfer.reminded_on >= day:
            return False
        days = SchoolDays(transfer.school_id)
        if not days.is_school_day(day):
            return False  # the school's own half-term or holiday: nobody is reminded
        transfer.reminded_on = day
        transfer.save(update_fields=["reminded_on"])
        left = days.between(day, transfer.due_on)
        to = [
            s.notice_email
            for s in staff_to_tell(
                action="concern.transfer_reminders", school_id=transfer.school_id
            )
        ]
        audit_record(
            "concern.transfer_reminded",
            actor=None,
            target=transfer,
            details={"school_days_left": left, "to": len(to)},
        )
        if to:
            context = {
                "transfer": transfer,
                "left": left,
                "late": left < 0,
                "late_by": -left,
                "school": transfer.school,
            }
            transaction.on_commit(
                lambda: send_email("concerns/email/transfer_reminder", context, to, separately=True)
            )
    return True


# --- the receiving school ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedBundle:
    manifest: dict[str, Any]
    data: dict[str, Any]
    sha256: str


def check_bundle(content: bytes, *, school: School) -> CheckedBundle:
    """Open a bundle and check it: a zip with a manifest, every file matching its SHA-256,
    meant for this school. Each failure says what is wrong, in words a DSL can act on."""
    field = "bundle"
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise TransferProblem(
            field, "This file is not a Chaperone bundle (it is not a zip file)."
        ) from exc
    with zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            raise TransferProblem(field, "This zip file has no manifest: it is not a bundle.")
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TransferProblem(field, "The bundle's manifest cannot be read.") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            raise TransferProblem(field, "This zip file is not a child protection file bundle.")
        if manifest.get("version") != BUNDLE_VERSION:
            raise TransferProblem(field, "This bundle was made by a version we cannot read.")
        listed = manifest.get("files")
        if not isinstance(listed, dict) or "cp-file.json" not in listed:
            raise TransferProblem(field, "The bundle's manifest lists no file.")
        if set(listed) != names - {"manifest.json"}:
            raise TransferProblem(
                field,
                "The bundle holds other files than its manifest lists: it was changed after "
                "it was sealed. Ask the previous school to send it again.",
            )
        for name, expected in listed.items():
            if _sha256(zf.read(name)) != expected:
                raise TransferProblem(
                    field,
                    f"{name} does not match its checksum: the bundle was changed after it was "
                    "sealed. Ask the previous school to send it again.",
                )
        to = manifest.get("to_school") or {}
        if str(to.get("urn", "")) != school.urn:
            raise TransferProblem(
                field,
                f"This bundle is for {to.get('name') or 'another school'} (URN "
                f"{to.get('urn') or 'not given'}), not {school.name} (URN {school.urn}).",
            )
        try:
            data = json.loads(zf.read("cp-file.json"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TransferProblem(field, "The bundle's file cannot be read.") from exc
    return CheckedBundle(manifest, data if isinstance(data, dict) else {}, _sha256(content))


def _may_receive(actor: Actor, pupil: Pupil) -> int:
    return _may_transfer(actor, pupil.school_id)


def bundle_import(
    *, actor: Actor, pupil: Pupil, content: bytes, expected_sha256: str = ""
) -> ReceivedFile:
    """Import a bundle from a previous school for ``pupil``: checked (see :func:`check_bundle`)
    and, where the sender's Chaperone is this one, their transfer recorded as received."""
    staff_id = _may_receive(actor, pupil)
    if len(content) > MAX_IMPORT_BYTES:
        raise TransferProblem("bundle", "The bundle is larger than 50 MB.")
    checked = check_bundle(content, school=pupil.school)
    wanted = expected_sha256.strip().lower()
    if wanted and wanted != checked.sha256:
        raise TransferProblem(
            "expected_sha256",
            "The bundle's checksum is not the one the previous school gave you: do not use it; "
            "ask them to send it again.",
        )
    sender = checked.manifest.get("from_school") or {}
    reference = str(checked.manifest.get("reference", ""))[:40]
    with transaction.atomic():
        again = (
            ReceivedFile.objects.select_for_update()
            .filter(pupil=pupil, kind="bundle", sha256=checked.sha256)
            .first()
        )
        if again is not None:
            # the same bundle imported again: nothing new is kept, nothing is made twice
            made = _recreate_concerns(actor=actor, received=again, pupil=pupil)
            audit_record(
                "concern.file_imported",
                actor=actor,
                target=again,
                details={"kind": "bundle", "again": True, "pupil": pupil.pk, "concerns": made},
            )
            return again
        received = ReceivedFile(
            school=pupil.school,
            pupil=pupil,
            from_school_name=str(sender.get("name", ""))[:200] or "the previous school",
            from_school_urn=str(sender.get("urn", ""))[:6],
            kind="bundle",
            sha256=checked.sha256,
            reference=reference,
            data=checked.data,
            imported_by_id=staff_id,
        )
        received.file.save(f"{uuid.uuid4().hex}.zip", ContentFile(content), save=False)
        received.save()
        made = _recreate_concerns(actor=actor, received=received, pupil=pupil)
        audit_record(
            "concern.file_imported",
            actor=actor,
            target=received,
            details={
                "kind": "bundle",
                "reference": reference,
                "pupil": pupil.pk,
                "concerns": made,
            },
        )
        try:
            ref = uuid.UUID(reference)
        except ValueError:
            ref = None
        if ref is not None:
            sent = (
                FileTransfer.objects.select_for_update()
                .filter(reference=ref, bundle_sha256=checked.sha256)
                .exclude(status=TransferStatus.RECEIVED)
                .first()
            )
            if sent is not None:
                _received(
                    sent,
                    f"{actor.label or 'the DSL'}, {pupil.school.name} (imported the bundle)",
                    timezone.now(),
                    actor,
                )
    return received


def _parse_when(value: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def imported_key(from_urn: str, item: dict[str, Any]) -> str:
    """The fingerprint of a concern in a bundle: the sending school, when and by whom it was
    raised, and its facts (a later bundle from the same school carries the same)."""
    parts = [from_urn, item.get("raised_at"), item.get("raised_by"), item.get("summary")]
    return _sha256(json.dumps([str(p or "") for p in parts]).encode())


def _recreate_concerns(*, actor: Actor, received: ReceivedFile, pupil: Pupil) -> int:
    """The bundle's concerns as concern records of this school about ``pupil``, marked as
    imported from the sending school (kept as sent: closed here, only added to). Each is made
    once (:func:`imported_key`); one already here gains the pupil if it lacks them (a concern
    about two brothers arrives with each one's file). Answers how many were made."""
    from chaperone.concerns.categories import categories_for
    from chaperone.concerns.models import (
        Concern,
        ConcernEntry,
        ConcernPupil,
        ConcernSource,
        ConcernStatus,
        EntryKind,
        PupilRole,
        Urgency,
    )
    from chaperone.concerns.services import ConcernProblem, _clean_body_map

    school = pupil.school
    staff_id = actor.staff_id
    assert staff_id is not None  # _may_receive
    by_name = {c.name.strip().lower(): c for c in categories_for(school, include_retired=True)}
    now = timezone.now()
    made = 0
    items = received.data.get("concerns", [])
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        raised_at = _parse_when(item.get("raised_at"))
        summary = str(item.get("summary") or "").strip()
        if raised_at is None or not summary:
            continue
        role = str(item.get("role") or "")
        role = role if role in PupilRole.values else PupilRole.SUBJECT
        key = imported_key(received.from_school_urn or received.from_school_name, item)
        here = Concern.objects.filter(school=school, imported_key=key).first()
        if here is not None:
            if not here.pupil_links.filter(pupil=pupil).exists():
                ConcernPupil.objects.create(concern=here, pupil=pupil, role=role)
            continue
        happened = _parse_when(item.get("happened_at"))
        try:
            marks = _clean_body_map(item.get("body_map") or [])
        except (ConcernProblem, TypeError, AttributeError):
            marks = []
        category_name = str(item.get("category") or "")
        status_there = str(item.get("status") or "")
        concern = Concern.objects.create(
            school=school,
            raised_by_id=staff_id,
            raised_at=raised_at,
            occurred_at=happened if happened and happened != raised_at else None,
            summary=summary,
            childs_words=str(item.get("childs_words") or ""),
            category=by_name.get(category_name.strip().lower()),
            urgency=str(item.get("urgency"))
            if item.get("urgency") in Urgency.values
            else "routine",
            source=ConcernSource.PREVIOUS_SCHOOL,
            source_label=received.from_school_name[:200],
            source_ref=received.reference[:40],
            source_details={
                "raised_by": str(item.get("raised_by") or ""),
                "category": category_name,
                "status": status_there,
                "closure_rationale": str(item.get("closure_rationale") or ""),
                "source": str(item.get("source") or ""),
                "attachments": [
                    str(a.get("name", ""))
                    for a in item.get("attachments") or []
                    if isinstance(a, dict)
                ],
            },
            told_by=str(item.get("told_by") or "")[:200],
            body_map=marks,
            status=ConcernStatus.CLOSED,
            closed_at=now,
            closure_rationale=(
                f"Came with the child protection file from {received.from_school_name} "
                f"(there: {status_there or 'status not given'}); kept as it was sent."
            ),
            imported_from=received,
            imported_key=key,
        )
        ConcernPupil.objects.create(concern=concern, pupil=pupil, role=role)
        entries = []
        for e in item.get("entries") or []:
            if not isinstance(e, dict):
                continue
            kind = str(e.get("kind") or "")
            entries.append(
                ConcernEntry(
                    concern=concern,
                    kind=kind if kind in EntryKind.values else EntryKind.ADDENDUM,
                    text=str(e.get("text") or ""),
                    details={"imported": True, "by": str(e.get("by") or "")},
                    at=_parse_when(e.get("at")) or raised_at,
                )
            )
        for a in item.get("actions") or []:
            if not isinstance(a, dict):
                continue
            outcome = f": {a['outcome']}" if a.get("outcome") else ""
            entries.append(
                ConcernEntry(
                    concern=concern,
                    kind=EntryKind.ADDENDUM,
                    text=f"Action at the previous school: {a.get('kind', '')} (owner "
                    f"{a.get('owner', '')}, due {a.get('due_on', '')}), "
                    f"{a.get('status', '')}{outcome}. {a.get('notes', '')}".strip(),
                    details={"imported": True, "by": str(a.get("owner") or "")},
                    at=now,
                )
            )
        ConcernEntry.objects.bulk_create(entries)
        audit_record(
            "concern.imported",
            actor=actor,
            target=concern,
            details={"received_file": received.pk, "pupil": pupil.pk},
        )
        made += 1
    return made


def pdf_import(
    *, actor: Actor, pupil: Pupil, content: bytes, from_school_name: str
) -> ReceivedFile:
    """Keep a PDF from another system as a file-only record of the pupil's earlier file."""
    staff_id = _may_receive(actor, pupil)
    name = from_school_name.strip()
    if not name:
        raise TransferProblem("from_school_name", "Enter the name of the previous school.")
    if len(content) > MAX_IMPORT_BYTES:
        raise TransferProblem("pdf", "The file is larger than 50 MB.")
    if not content.startswith(b"%PDF-"):
        raise TransferProblem("pdf", "This file is not a PDF: choose the PDF the school sent.")
    with transaction.atomic():
        received = ReceivedFile(
            school=pupil.school,
            pupil=pupil,
            from_school_name=name[:200],
            kind="pdf",
            sha256=_sha256(content),
            imported_by_id=staff_id,
        )
        received.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
        received.save()
        audit_record(
            "concern.file_imported",
            actor=actor,
            target=received,
            details={"kind": "pdf", "pupil": pupil.pk},
        )
    return received


def received_file_for_viewing(*, actor: Actor, received: ReceivedFile) -> bytes:
    _may_receive(actor, received.pupil)
    record_read("concern.received_file_viewed", actor=actor, target=received)
    with received.file.open("rb") as fh:
        return fh.read()
