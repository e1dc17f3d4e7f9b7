"""Checking the audit chain: :func:`audit_chain_verify`, shared by ``chaperone audit verify`` and
any page that wants to show whether the log is intact."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from chaperone.audit.chain import GENESIS_HASH, PAYLOAD_FIELDS, build_payload
from chaperone.audit.models import AuditChainHead, AuditEvent

CHUNK_SIZE = 20_000

PAYLOAD_MISMATCH = "payload hash mismatch"
PREV_HASH_UNLINKED = "prev_hash does not link"
SEQUENCE_GAP = "sequence gap"
COLUMNS_DIFFER = "stored columns differ from the hashed payload"
TAIL_MISSING = "rows missing from the end"
HEAD_MISMATCH = "the last row does not match the chain head"
EXPECTED_HEAD_DIFFERS = "does not carry the hash exported earlier"


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    rows: int
    head_seq: int | None = None
    head_hash: str | None = None
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.rows} rows verified, head {self.head_hash or GENESIS_HASH}"
        where = f"id {self.broken_id}" if self.broken_id is not None else "no row"
        return f"BROKEN at seq {self.broken_seq} ({where}): {self.reason}"


def audit_chain_verify(
    *,
    from_seq: int = 1,
    deep: bool = False,
    expect: tuple[int, str] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> ChainVerification:
    """Recompute the chain from the stored bytes, in ``seq`` order, from ``from_seq`` on.

    Stops at the first broken row. A row is broken if its ``seq`` is not the next number (a row
    was removed) or its ``hash`` is not ``sha256(previous row's hash + payload)``; the fault is
    named "prev_hash does not link" when the row's stored ``prev_hash`` is not the previous
    row's hash (the row before was rewritten), else "payload hash mismatch" (this row was).
    With ``deep``, also rebuilds each payload from the row's columns, so a column edited without
    touching the payload (including ``prev_hash``) is caught too (slower). Finally the last row
    must match the chain head, so rows cut off the end are noticed.

    ``expect`` is a ``(seq, hash)`` head exported earlier (``chaperone audit head``): the row at
    that ``seq`` must still carry that hash. This is what catches a chain rewritten and re-hashed
    from some row onwards by someone able to bypass the triggers.
    """
    from_seq = max(1, from_seq)
    connection = connections[using]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    expected_seq = from_seq
    prev_hex = GENESIS_HASH
    if from_seq > 1:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT hash FROM {table} WHERE seq = %s", [from_seq - 1])  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            return ChainVerification(
                ok=False, rows=0, broken_seq=from_seq - 1, reason=f"{SEQUENCE_GAP} (row missing)"
            )
        prev_hex = row[0]
    prev_digest = bytes.fromhex(prev_hex)
    sha256 = hashlib.sha256
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(seq) FROM {table}")  # noqa: S608
        max_seq = cursor.fetchone()[0] or 0
    # Chunks are seq ranges, not LIMITs: a narrow range is an index scan whatever the planner
    # knows about the table, and a missing row cannot shift later chunks. The loop fetches only
    # what the chain needs (the payload commits to its prev_hash); the prev_hash column is read
    # again only to name the fault when a hash does not match.
    query = (
        f"SELECT seq, hash, payload FROM {table} "  # noqa: S608
        "WHERE seq >= %s AND seq < %s ORDER BY seq"
    )
    low = from_seq
    if connection.vendor == "postgresql" and not deep:
        last = _postgres_chain_intact(table, from_seq, prev_hex, using)
        if last is not None:
            # The database recomputed every hash itself; the Python loop is only needed to name
            # a fault, so skip it and go straight to the head checks.
            low = max_seq + 1
            if last[0] is not None:
                expected_seq, prev_digest = last[0] + 1, bytes.fromhex(last[1])
    while low <= max_seq:
        with connection.cursor() as cursor:
            cursor.execute(query, [low, low + CHUNK_SIZE])
            chunk = cursor.fetchall()
        low += CHUNK_SIZE
        if not chunk:
            continue
        for seq, row_hash, payload in chunk:
            if seq != expected_seq:
                reason = f"{SEQUENCE_GAP} (expected seq {expected_seq})"
            else:
                digest = sha256(prev_digest + payload.encode("utf-8")).digest()
                if digest.hex() == row_hash:
                    prev_digest = digest
                    expected_seq += 1
                    continue
                stored_prev = _stored_prev_hash(seq, using)
                linked = stored_prev == prev_digest.hex()
                reason = PAYLOAD_MISMATCH if linked else PREV_HASH_UNLINKED
            return ChainVerification(
                ok=False,
                rows=expected_seq - from_seq,
                broken_seq=seq,
                broken_id=_id_of(seq, using),
                reason=reason,
            )
        if deep:
            broken = _first_row_differing_from_payload(chunk[0][0], chunk[-1][0], using)
            if broken is not None:
                return ChainVerification(
                    ok=False,
                    rows=broken[0] - from_seq,
                    broken_seq=broken[0],
                    broken_id=broken[1],
                    reason=COLUMNS_DIFFER,
                )
    last_seq = expected_seq - 1
    rows = expected_seq - from_seq
    prev_hex = prev_digest.hex()
    head = AuditChainHead.objects.using(using).filter(pk=1).values_list("seq", "hash").first()
    if head is not None and head != (last_seq, prev_hex):
        if head[0] > last_seq:
            reason = f"{TAIL_MISSING} (the chain head records seq {head[0]}, hash {head[1]})"
        else:
            reason = f"{HEAD_MISMATCH} (seq {head[0]}, hash {head[1]})"
        return ChainVerification(
            ok=False,
            rows=rows,
            broken_seq=last_seq + 1 if head[0] > last_seq else last_seq,
            broken_id=None if head[0] > last_seq else _id_of(last_seq, using),
            reason=reason,
        )
    if expect is not None:
        found = (
            AuditEvent.objects.using(using).filter(seq=expect[0]).values_list("id", "hash").first()
        )
        if found is None or found[1] != expect[1].strip().lower():
            return ChainVerification(
                ok=False,
                rows=rows,
                broken_seq=expect[0],
                broken_id=found[0] if found else None,
                reason=f"{EXPECTED_HEAD_DIFFERS} ({expect[1]})",
            )
    return ChainVerification(ok=True, rows=rows, head_seq=last_seq or None, head_hash=prev_hex)


#: The chain check in one PostgreSQL statement: each row's hash must be sha256 of the previous
#: row's hash and its payload's UTF-8 bytes (the first row links to the given hash), and seq must
#: run on without gaps. Up to the first fault the stored hashes equal the recomputed ones, so the
#: first row this finds is the one the Python loop would stop at.
_PG_FIRST_FAULT = """
    SELECT seq FROM (
        SELECT seq, hash, payload,
               lag(hash, 1, %(prev)s) OVER (ORDER BY seq) AS prior_hash,
               lag(seq, 1, %(before)s) OVER (ORDER BY seq) AS prior_seq
        FROM {table} WHERE seq >= %(low)s
    ) AS chain
    WHERE seq <> prior_seq + 1
       OR encode(sha256(decode(prior_hash, 'hex') || convert_to(payload, 'UTF8')), 'hex')
          <> hash
    ORDER BY seq LIMIT 1
"""


def _postgres_chain_intact(
    table: str, from_seq: int, prev_hex: str, using: str
) -> tuple[int | None, str] | None:
    """``(last seq, last hash)`` when the chain from ``from_seq`` is intact, else None (then the
    caller's Python loop finds and names the fault). Any database error (say a hash edited into
    something that is not hex) also answers None."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                _PG_FIRST_FAULT.format(table=table),
                {"prev": prev_hex, "before": from_seq - 1, "low": from_seq},
            )
            if cursor.fetchone() is not None:
                return None
            cursor.execute(
                f"SELECT seq, hash FROM {table} WHERE seq >= %s "  # noqa: S608
                "ORDER BY seq DESC LIMIT 1",
                [from_seq],
            )
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return (row[0], row[1]) if row else (None, prev_hex)


def _stored_prev_hash(seq: int, using: str) -> str | None:
    return (
        AuditEvent.objects.using(using).filter(seq=seq).values_list("prev_hash", flat=True).first()
    )


def _id_of(seq: int, using: str) -> int | None:
    return AuditEvent.objects.using(using).filter(seq=seq).values_list("id", flat=True).first()


def _first_row_differing_from_payload(
    first_seq: int, last_seq: int, using: str
) -> tuple[int, int] | None:
    rows = (
        AuditEvent.objects.using(using)
        .filter(seq__gte=first_seq, seq__lte=last_seq)
        .order_by("seq")
        .values("id", "payload", *PAYLOAD_FIELDS)
    )
    for row in rows.iterator(chunk_size=2000):
        if build_payload(row) != row["payload"]:
            return row["seq"], row["id"]
    return None
