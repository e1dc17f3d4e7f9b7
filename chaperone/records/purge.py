"""The deletion job: what is past its retention period goes, file and row, with a deletion
certificate in the audit log; what is held stays.

Idempotent and safe to kill at any point:

* each recording goes in its own transaction: its row is deleted, its certificate written and
  its file queued (:class:`~chaperone.records.models.PendingFileDeletion`) together, or none of
  them; the file is then deleted from storage and the queue entry removed. Killed between the
  two, the next run finds the queue entry and deletes the file (deleting a file already gone is
  no error). A file the storage refuses to delete stays queued, is reported (logged as an error,
  an audit event ``records.file_delete_failed``, counted in the run's result, shown on the
  schedule page) and is tried again on every run;
* rows of the other kinds go set-based in batches (one ``DELETE`` per batch, one certificate per
  batch in the same transaction), so a million expired log rows cost a few hundred statements;
* a record under an active :class:`~chaperone.records.models.LegalHold` is never deleted: the
  batch's ``DELETE`` excludes held ids, and after it the batch checks again (in the same
  transaction, seeing every hold committed meanwhile) and rolls back if a hold slipped in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from chaperone.audit.log import AuditEntry, record, record_many
from chaperone.records import retention
from chaperone.records.models import LegalHold, PendingFileDeletion, Recording
from chaperone.records.storage import recordings_storage
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM

log = logging.getLogger(__name__)

BATCH = 5000


class HoldRaced(RuntimeError):
    """A hold was placed on a row of the batch while it was being deleted: the batch is rolled
    back and taken again."""


@dataclass
class PurgeResult:
    deleted: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0
    files_failed: int = 0
    held_skipped: int = 0
    certificates: int = 0

    def add(self, key: str, count: int) -> None:
        self.deleted[key] = self.deleted.get(key, 0) + count

    @property
    def ok(self) -> bool:
        return self.files_failed == 0


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _held_ids(record_type: str) -> QuerySet[LegalHold, Any]:
    return LegalHold.objects.active().filter(record_type=record_type).values("object_id")


def _rule(period: retention.Period) -> dict[str, Any]:
    return {
        "days": period.days,
        "origin": period.origin,
        "source": period.source,
        "protocol_days": period.protocol_days,
    }


# --- recordings --------------------------------------------------------------------------------


def recordings_due(
    school: School, period: retention.Period, now: dt.datetime
) -> QuerySet[Recording]:
    return (
        Recording.objects.filter(school=school, session__starts_at__lt=period.cutoff(now))
        .exclude(pk__in=_held_ids(retention.RECORDING))
        .order_by("pk")
    )


def _delete_recording(recording_id: int, period: retention.Period, now: dt.datetime) -> bool:
    with transaction.atomic():
        recording = (
            Recording.objects.select_for_update()
            .select_related("session")
            .filter(pk=recording_id)
            .first()
        )
        if recording is None:
            return False  # another run took it
        if (
            LegalHold.objects.active()
            .filter(record_type=retention.RECORDING, object_id=recording.pk)
            .exists()
        ):
            return False
        record(
            "records.deleted",
            actor=SYSTEM,
            target=recording,
            details={
                "record_type": retention.RECORDING,
                "what": str(recording),
                "ids": [recording.pk],
                "count": 1,
                "session_id": recording.session_id,
                "source": recording.source,
                "storage_name": recording.storage_name,
                "link": recording.link,
                "size_bytes": recording.size_bytes,
                "checksum": recording.sha256,
                "checksum_kind": "sha256 of the file" if recording.sha256 else "",
                "why": f"kept {period.days} days after the call, the school's period",
                "rule": _rule(period),
                "cutoff": period.cutoff(now).isoformat(),
            },
        )
        if recording.storage_name:
            PendingFileDeletion.objects.create(
                school_id=recording.school_id,
                recording_id=recording.pk,
                storage_name=recording.storage_name,
                sha256=recording.sha256,
            )
        recording.delete()
    return True


def files_delete_pending(
    *, school_ids: Iterable[int] | None = None, progress: Progress = _quiet
) -> tuple[int, int]:
    """Delete the queued files from storage; returns (deleted, failed). A failure is reported
    and stays queued for the next run."""
    storage = recordings_storage()
    pending = PendingFileDeletion.objects.order_by("pk")
    if school_ids is not None:
        pending = pending.filter(school_id__in=list(school_ids))
    done = failed = 0
    for item in list(pending):
        try:
            storage.delete(item.storage_name)
            if storage.exists(item.storage_name):
                raise OSError("the storage still holds the file after deleting it")
        except Exception as exc:
            failed += 1
            message = f"{type(exc).__name__}: {exc}"[:2000]
            log.error(
                "records: file of recording %s (%s) not deleted: %s",
                item.recording_id,
                item.storage_name,
                message,
            )
            with transaction.atomic():
                PendingFileDeletion.objects.filter(pk=item.pk).update(
                    attempts=item.attempts + 1, last_error=message, last_tried_at=timezone.now()
                )
                record(
                    "records.file_delete_failed",
                    actor=SYSTEM,
                    target=item,
                    details={
                        "recording_id": item.recording_id,
                        "storage_name": item.storage_name,
                        "attempt": item.attempts + 1,
                        "error": message,
                    },
                )
            progress(f"file failed {item.recording_id}")
            continue
        with transaction.atomic():
            record(
                "records.file_deleted",
                actor=SYSTEM,
                target=item,
                details={
                    "recording_id": item.recording_id,
                    "storage_name": item.storage_name,
                    "checksum": item.sha256,
                    "attempts": item.attempts + 1,
                },
            )
            PendingFileDeletion.objects.filter(pk=item.pk).delete()
        done += 1
        progress(f"file deleted {item.recording_id}")
    return done, failed


# --- rows of the declared kinds ----------------------------------------------------------------


def _checksum(digests: Sequence[bytes]) -> str:
    """The certificate's checksum: SHA-256 over each deleted row's own SHA-256 (of its columns
    as text, joined by U+001F), in id order."""
    digest = hashlib.sha256()
    for row_digest in digests:
        digest.update(row_digest)
    return digest.hexdigest()


def _row_digest_sql(columns: list[str]) -> str:
    """SQL for a row's SHA-256 on PostgreSQL (computed by the server: a million rows are never
    parsed in Python); on SQLite the columns come back as text and are hashed here."""
    quote = connection.ops.quote_name
    texts = ", ".join(f"COALESCE(CAST({quote(c)} AS TEXT), '')" for c in columns)
    if connection.vendor == "postgresql":
        return f"sha256(convert_to(concat_ws(chr(31), {texts}), 'UTF8'))"
    return texts


def _row_digests(rows: Sequence[Sequence[Any]], extra: int = 0) -> list[bytes]:
    """Each row's digest; ``extra`` columns at the end of the rows are not part of it."""
    if connection.vendor == "postgresql":
        return [bytes(row[1]) for row in rows]
    end = len(rows[0]) - extra if rows else 0
    return [
        hashlib.sha256("\x1f".join(str(v) for v in row[1:end]).encode()).digest() for row in rows
    ]


def _cascades(model: Any) -> list[tuple[str, str, str]]:
    """The tables whose rows Django deletes with a row of ``model`` (``on_delete=CASCADE``, one
    level): (label, table, column). They go first, in the same statement's transaction."""
    from django.db.models import CASCADE

    found = []
    for relation in model._meta.related_objects:
        if relation.on_delete is CASCADE and not relation.many_to_many:
            related = relation.related_model
            found.append((related._meta.label_lower, related._meta.db_table, relation.field.column))
    return found


def _delete_range(
    due: QuerySet[Any, Any],
    low: int,
    high: int,
    record_type: str,
    columns: list[str],
    keep: str = "",
) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """Delete the due rows with ``low <= id < high`` that are not under an active hold (and the
    rows that cascade from them), in one statement per table; returns each deleted row's id and
    digest of ``columns`` sorted by id, and how many dependent rows went per model. A range of
    ids (not "the next N due rows") keeps the plan an index range scan of the batch alone,
    however large the table. ``keep`` names one more column returned last with each row (for
    the kind's tombstone)."""
    window = due.filter(pk__gte=low, pk__lt=high).values("pk")
    sub_sql, sub_params = window.query.sql_with_params()
    table = due.model._meta.db_table
    quote = connection.ops.quote_name
    hold_table = quote(LegalHold._meta.db_table)
    # names from the models' metadata and SQL compiled by Django; values as parameters
    chosen = (
        f"id >= %s AND id < %s AND id IN ({sub_sql}) AND id NOT IN (SELECT object_id FROM "  # noqa: S608
        f"{hold_table} WHERE record_type = %s AND released_at IS NULL)"
    )
    params = [low, high, *sub_params, record_type]
    dependents: dict[str, int] = {}
    with connection.cursor() as cursor:
        for label, dep_table, column in _cascades(due.model):
            # most ranges have no dependent rows: an index range probe says so cheaply
            cursor.execute(
                f"SELECT 1 FROM {quote(dep_table)} WHERE {quote(column)} >= %s "  # noqa: S608
                f"AND {quote(column)} < %s LIMIT 1",
                [low, high],
            )
            if cursor.fetchone() is None:
                continue
            cursor.execute(
                f"DELETE FROM {quote(dep_table)} WHERE {quote(column)} IN "  # noqa: S608
                f"(SELECT id FROM {quote(table)} WHERE {chosen})",
                params,
            )
            if cursor.rowcount:
                dependents[label] = cursor.rowcount
        returning = f"{quote('id')}, {_row_digest_sql(columns)}"
        if keep:
            returning += f", {quote(keep)}"
        cursor.execute(
            f"DELETE FROM {quote(table)} WHERE {chosen} RETURNING {returning}",  # noqa: S608
            params,
        )
        return sorted(cursor.fetchall(), key=lambda row: row[0]), dependents


def purge_kind(
    entry: Any,
    school: School,
    period: retention.Period,
    now: dt.datetime,
    *,
    batch: int = BATCH,
    progress: Progress = _quiet,
) -> tuple[int, int]:
    """Delete ``school``'s rows of one declared kind that are due, set-based: one ``DELETE ...
    RETURNING`` and one certificate per batch; returns (rows, certificates)."""
    due = entry.due(school.pk, period.cutoff(now)).exclude(pk__in=_held_ids(entry.key))
    fields = list(entry.checksum_fields)
    if fields[0] != "id":
        fields.insert(0, "id")
    columns = [due.model._meta.get_field(name).column for name in fields]
    keep = due.model._meta.get_field(entry.tombstone_field).column if entry.tombstone else ""
    deleted = certificates = 0
    bounds = due.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0, 0
    start, stop = int(bounds["low"]), int(bounds["high"]) + 1
    while start < stop:
        end = min(start + batch, stop)
        try:
            with transaction.atomic():
                rows, dependents = _delete_range(due, start, end, entry.key, columns, keep)
                if not rows:
                    start = end
                    continue
                low, high = rows[0][0], rows[-1][0]
                gone = {row[0] for row in rows}
                raced = LegalHold.objects.active().filter(
                    record_type=entry.key, object_id__gte=low, object_id__lte=high
                )
                if any(pk in gone for pk in raced.values_list("object_id", flat=True)):
                    raise HoldRaced(entry.key)
                (certificate,) = record_many(
                    [
                        AuditEntry(
                            "records.deleted",
                            school_id=school.pk,
                            trust_id=school.trust_id,
                            details={
                                "record_type": entry.key,
                                "what": entry.label,
                                "count": len(rows),
                                "ids": [row[0] for row in rows],
                                "with": dependents,
                                "checksum": _checksum(_row_digests(rows, 1 if keep else 0)),
                                "checksum_kind": "sha256 over each row's sha256 of "
                                + ", ".join(fields),
                                "why": f"kept {period.days} days, the school's period",
                                "rule": _rule(period),
                                "cutoff": period.cutoff(now).isoformat(),
                            },
                        )
                    ],
                    actor=SYSTEM,
                )
                if entry.tombstone is not None:
                    entry.tombstone(
                        [row[-1] for row in rows], certificate.pk, period.describe(), now
                    )
                certificates += 1
                deleted += len(rows)
        except HoldRaced:
            continue  # the range again, without the row just held
        start = end
        progress(f"{entry.key} batch {deleted}")
    return deleted, certificates


def hold_reported_sessions() -> int:
    """Hold the recordings and log of every session a concern is about (the one its end
    reported, or any concern, an allegation about staff included, raised with the session as
    its source) that are not held for it yet; returns how many were newly held."""
    from chaperone.concerns.models import Concern, ConcernSource
    from chaperone.records.models import ConcernLink
    from chaperone.records.services import session_records_hold_for_concern
    from chaperone.scheduling.models import Session

    def linked(record_type: str) -> QuerySet[Any, Any]:
        return ConcernLink.objects.filter(record_type=record_type).values("object_id")

    unlinked = Q(recordings__isnull=False) & ~Q(recordings__pk__in=linked(retention.RECORDING)) | Q(
        log__isnull=False
    ) & ~Q(log__pk__in=linked(retention.SESSION_LOG))
    pairs: set[tuple[int, int]] = set(
        Session.objects.filter(reported_concern__isnull=False)
        .filter(unlinked)
        .values_list("pk", "reported_concern_id")
    )
    pairs |= _sourced_pairs_unheld(Concern.objects.filter(source=ConcernSource.SESSION))
    held = 0
    for session_id, concern_id in sorted(pairs):
        concern = Concern.objects.filter(pk=concern_id).first()
        session = Session.objects.filter(pk=session_id).first()
        if concern is None or session is None or session.school_id != concern.school_id:
            continue
        held += session_records_hold_for_concern(actor=SYSTEM, session=session, concern=concern)
    return held


def _sourced_pairs_unheld(sourced: QuerySet[Any, Any]) -> set[tuple[int, int]]:
    """(session, concern) for each concern naming a session as its source (``source_ref``, the
    session's id as text) where a recording or the log of that session is not linked to it
    yet. A few queries whatever the number of concerns."""
    from chaperone.records.models import ConcernLink, Recording
    from chaperone.scheduling.conduct import SessionLog

    by_session: dict[int, set[int]] = {}
    for concern_id, ref in sourced.exclude(source_ref="").values_list("pk", "source_ref"):
        if ref.isdigit():
            by_session.setdefault(int(ref), set()).add(concern_id)
    if not by_session:
        return set()
    records: dict[int, set[tuple[str, int]]] = {}
    for session_id, pk in Recording.objects.filter(session_id__in=by_session).values_list(
        "session_id", "pk"
    ):
        records.setdefault(session_id, set()).add((retention.RECORDING, pk))
    for session_id, pk in SessionLog.objects.filter(session_id__in=by_session).values_list(
        "session_id", "pk"
    ):
        records.setdefault(session_id, set()).add((retention.SESSION_LOG, pk))
    concern_ids = {c for ids in by_session.values() for c in ids}
    links = set(
        ConcernLink.objects.filter(concern_id__in=concern_ids).values_list(
            "concern_id", "record_type", "object_id"
        )
    )
    return {
        (session_id, concern_id)
        for session_id, concerns in by_session.items()
        for concern_id in concerns
        if any((concern_id, kind, pk) not in links for kind, pk in records.get(session_id, ()))
    }


# --- the whole job -----------------------------------------------------------------------------


def purge_school(
    school: School,
    *,
    now: dt.datetime | None = None,
    batch: int = BATCH,
    progress: Progress = _quiet,
) -> PurgeResult:
    now = now or timezone.now()
    result = PurgeResult()
    periods = {p.key: p for p in retention.schedule(school)}
    recording_period = periods[retention.RECORDING]
    result.add(retention.RECORDING, 0)
    for recording_id in list(
        recordings_due(school, recording_period, now).values_list("pk", flat=True)
    ):
        if _delete_recording(recording_id, recording_period, now):
            result.add(retention.RECORDING, 1)
            result.certificates += 1
            progress(f"recording deleted {recording_id}")
    for entry in retention.kinds():
        rows, certificates = purge_kind(
            entry, school, periods[entry.key], now, batch=batch, progress=progress
        )
        result.add(entry.key, rows)
        result.certificates += certificates
    return result


def purge_all(
    *, now: dt.datetime | None = None, batch: int = BATCH, progress: Progress = _quiet
) -> PurgeResult:
    """The daily run: every school, then every file still queued (from an earlier run too)."""
    total = PurgeResult()
    hold_reported_sessions()
    for school in School.objects.order_by("pk"):
        result = purge_school(school, now=now, batch=batch, progress=progress)
        for key, count in result.deleted.items():
            total.add(key, count)
        total.files_deleted += result.files_deleted
        total.certificates += result.certificates
    files_done, files_failed = files_delete_pending(progress=progress)
    total.files_deleted += files_done
    total.files_failed = files_failed
    progress("done")
    return total
