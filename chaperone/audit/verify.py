"""Checking the audit chains: :func:`audit_chain_verify` (one chain) and :func:`audit_verify_all`,
shared by ``chaperone audit verify``, the daily anchor job and any page that wants to show
whether the log is intact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from chaperone.audit.anchors import ANCHOR, RETAINED, Anchor, AnchorUnreadable, last_anchor
from chaperone.audit.anchors import anchored_chain_ids as _anchored_chain_ids
from chaperone.audit.chain import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    LEGACY_PAYLOAD_FIELDS,
    LEGACY_PAYLOAD_VERSION,
    PAYLOAD_FIELDS,
    PAYLOAD_VERSION,
    chain_label,
    head_mac,
    prepared_sealer,
    timestamp,
)
from chaperone.audit.models import AuditChainHead, AuditEvent

CHUNK_SIZE = 20_000

PAYLOAD_MISMATCH = "payload hash mismatch"
PREV_HASH_UNLINKED = "prev_hash does not link"
SEQUENCE_GAP = "sequence gap"
IDS_OUT_OF_ORDER = "id is not after the previous row's id (rows reordered)"
COLUMNS_DIFFER = "stored columns differ from the sealed payload"
COLUMNS_UNREADABLE = "stored columns cannot be read"
TAIL_MISSING = "rows missing from the end"
HEAD_MISSING = "the chain head is missing"
HEAD_MISMATCH = "the last row does not match the chain head"
HEAD_MAC_MISMATCH = "the chain head's MAC does not match (moved without the key)"
ANCHOR_DIFFERS = "does not carry the anchored hash"
ANCHOR_ROW_MISSING = "the anchored row is missing"
ANCHOR_UNREADABLE = "the anchor file cannot be read"
EXPECTED_HEAD_DIFFERS = "does not carry the hash exported earlier"
NOT_HEX = "hash is not 64 hexadecimal digits"


@dataclass(frozen=True)
class ChainVerification:
    chain_id: int
    ok: bool
    rows: int
    from_seq: int | None = None
    head_seq: int | None = None
    head_hash: str | None = None
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def chain(self) -> str:
        return chain_label(self.chain_id)

    def summary(self) -> str:
        if self.ok:
            start = f" from seq {self.from_seq}" if self.from_seq else ""
            head = f"{self.head_seq}:{self.head_hash}" if self.head_seq else "empty"
            return f"OK {self.chain}: {self.rows} rows verified{start}, head {head}"
        where = f"id {self.broken_id}" if self.broken_id is not None else "no row"
        return f"BROKEN {self.chain} at seq {self.broken_seq} ({where}): {self.reason}"


@dataclass(frozen=True)
class _Start:
    """Where a check begins: the row after ``seq`` (None: the chain's first row), linked to
    ``hash``; ``row_id`` is that row's id (0 when it is not there to compare with)."""

    seq: int | None
    hash: str
    row_id: int = 0


class _Broken(Exception):
    def __init__(self, seq: int | None, row_id: int | None, reason: str) -> None:
        super().__init__(reason)
        self.seq, self.row_id, self.reason = seq, row_id, reason


def audit_verify_all(
    *, full: bool = False, using: str = DEFAULT_DB_ALIAS
) -> list[ChainVerification]:
    """Check every chain (those with a head, rows or an anchor file), in chain order."""
    return [
        audit_chain_verify(chain_id=chain_id, full=full, using=using)
        for chain_id in chain_ids(using=using)
    ]


def chain_ids(*, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    heads = AuditChainHead.objects.using(using).values_list("pk", flat=True)
    return sorted({*heads, *_event_chain_ids(using), *_anchored_chain_ids()})


def audit_chain_verify(
    *,
    chain_id: int,
    full: bool = False,
    from_seq: int | None = None,
    expect: tuple[int, str] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> ChainVerification:
    """Recompute one chain from the stored bytes, in ``seq`` order, and stop at the first fault.

    By default the check starts at the chain's last anchor (the anchored row must still carry
    the anchored hash), so the nightly run costs what was written since; ``full`` starts at the
    chain's first row (or after the rows retention dropped), ``from_seq`` at that row, linked to
    the row before it. Every row must follow on in ``seq`` with a larger id than the row before,
    its hash must be the seal of the previous hash and its payload, and its columns must be the
    ones in the payload. Then the last row must match the chain head, whose MAC must hold, and
    the last anchor and ``expect`` (a head exported earlier) must still be in the chain.
    """
    try:
        anchor = last_anchor(chain_id)
        retained = last_anchor(chain_id, kind=RETAINED)
    except AnchorUnreadable as exc:
        return ChainVerification(chain_id, False, 0, reason=f"{ANCHOR_UNREADABLE} ({exc})")
    checker = _Checker(chain_id, using)
    start = _Start(None, GENESIS_HASH)
    try:
        if from_seq is not None:
            start = checker.start_at(from_seq, retained)
        elif anchor is not None and not full:
            start = checker.start_after_anchor(anchor)
        elif retained is not None:
            start = _Start(retained.seq, retained.hash)
        # The head is read first and the walk stops at it: rows appended meanwhile by live
        # writers lie beyond it, and every row up to it was committed before it moved there.
        head = checker.read_head()
        last_seq, last_hash = checker.walk(start, up_to=head[0] if head else None)
        checker.check_head(head, last_seq, last_hash)
        for point, reason in ((anchor, ANCHOR_DIFFERS), (_expected(expect), EXPECTED_HEAD_DIFFERS)):
            if point is not None:
                checker.check_carries(point, f"{reason} ({point.hash})")
    except _Broken as broken:
        return ChainVerification(
            chain_id,
            False,
            checker.rows,
            from_seq=_first(start),
            broken_seq=broken.seq,
            broken_id=broken.row_id,
            reason=broken.reason,
        )
    return ChainVerification(
        chain_id,
        True,
        checker.rows,
        from_seq=_first(start),
        head_seq=last_seq,
        head_hash=last_hash if last_seq is not None else None,
    )


def _first(start: _Start) -> int | None:
    return start.seq + 1 if start.seq is not None else None


def _expected(expect: tuple[int, str] | None) -> Anchor | None:
    if expect is None:
        return None
    return Anchor(chain_id=0, seq=expect[0], hash=expect[1].strip().lower(), at="", kind=ANCHOR)


class _Checker:
    """The queries and the walk of one chain's check."""

    def __init__(self, chain_id: int, using: str) -> None:
        self.chain_id = chain_id
        self.using = using
        self.connection = connections[using]
        self.table = self.connection.ops.quote_name(AuditEvent._meta.db_table)
        self.legacy = chain_id == LEGACY_CHAIN
        self.fields = LEGACY_PAYLOAD_FIELDS if self.legacy else PAYLOAD_FIELDS
        self.rows = 0

    def _one(self, sql: str, params: list[int]) -> tuple[object, ...] | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql.format(table=self.table), params)
            row: tuple[object, ...] | None = cursor.fetchone()
        return row

    def _row(self, seq: int) -> tuple[int, str] | None:
        row = self._one(
            "SELECT id, hash FROM {table} WHERE chain_id = %s AND seq = %s", [self.chain_id, seq]
        )
        return (int(row[0]), str(row[1])) if row else None  # type: ignore[call-overload]

    def start_at(self, from_seq: int, retained: Anchor | None) -> _Start:
        if retained is not None and from_seq == retained.seq + 1:
            return _Start(retained.seq, retained.hash)
        row = self._row(from_seq - 1)
        if row is None:
            if self._row(from_seq) is None or from_seq <= 1:
                raise _Broken(from_seq, None, f"{SEQUENCE_GAP} (no row {from_seq} to start at)")
            if self._bound("MIN") == from_seq:
                return _Start(None, GENESIS_HASH)
            raise _Broken(from_seq - 1, None, f"{SEQUENCE_GAP} (row missing)")
        if not _is_hex(row[1]):
            raise _Broken(from_seq - 1, row[0], NOT_HEX)
        return _Start(from_seq - 1, row[1], row[0])

    def start_after_anchor(self, anchor: Anchor) -> _Start:
        row = self.check_carries(anchor, f"{ANCHOR_DIFFERS} ({anchor.hash})")
        return _Start(anchor.seq, anchor.hash, row)

    def check_carries(self, point: Anchor, reason: str) -> int:
        row = self._row(point.seq)
        if row is None:
            raise _Broken(point.seq, None, f"{ANCHOR_ROW_MISSING} ({point.hash})")
        if row[1] != point.hash:
            raise _Broken(point.seq, row[0], reason)
        return row[0]

    def walk(self, start: _Start, *, up_to: int | None) -> tuple[int | None, str]:
        """Check every row after ``start`` (up to seq ``up_to`` when given); the last row's
        (seq, hash)."""
        if not _is_hex(start.hash):
            raise _Broken(start.seq, start.row_id or None, NOT_HEX)
        max_seq = self._bound("MAX")
        if max_seq is not None and up_to is not None:
            max_seq = min(max_seq, up_to)
        low = self._bound("MIN") if start.seq is None else start.seq + 1
        expected: int | None = None if start.seq is None else start.seq + 1
        prev_digest, prev_id = bytes.fromhex(start.hash), start.row_id
        mac = prepared_sealer(self.chain_id)
        while low is not None and max_seq is not None and low <= max_seq:
            high = min(low + CHUNK_SIZE, max_seq + 1)
            # The database checks the columns against the payload itself, so Python only
            # seals: SQLite flags each row it fetches (payload rebuilt with json_object),
            # PostgreSQL names the chunk's first differing row in a query of its own. Python
            # compares a row itself when the database says it differs (to be sure and to name
            # it), or the whole chunk when that query fails.
            rows: Iterable[tuple[Any, ...]] | None = None
            column_fault = None
            if self.connection.vendor == "postgresql":
                column_fault = self._sql_column_fault(low, high)
                if column_fault is not None:
                    rows = self._chunk(low, high, with_columns=False)
            else:
                rows = self._checked_chunk(low, high)
            in_python = rows is None
            if rows is None:
                rows = self._chunk(low, high, with_columns=True)
            for row in rows:
                seq, row_id, row_hash, payload = row[:4]
                if expected is None:
                    expected = seq
                if seq != expected:
                    raise _Broken(seq, row_id, f"{SEQUENCE_GAP} (expected seq {expected})")
                if row_id <= prev_id:
                    raise _Broken(seq, row_id, IDS_OUT_OF_ORDER)
                data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
                sealing = mac.copy()
                sealing.update(prev_digest)
                sealing.update(data)
                digest = sealing.digest()
                if digest.hex() != row_hash:
                    linked = self._stored_prev_hash(seq) == prev_digest.hex()
                    raise _Broken(seq, row_id, PAYLOAD_MISMATCH if linked else PREV_HASH_UNLINKED)
                if in_python:
                    same = self._columns_match(data, row[4:])
                elif column_fault is not None:
                    same = seq != column_fault
                else:
                    same = row[4] == 1 or self._row_matches(seq)
                if not same:
                    raise _Broken(seq, row_id, COLUMNS_DIFFER)
                prev_digest, prev_id, expected = digest, row_id, seq + 1
                self.rows += 1
            low = high
        last = expected - 1 if expected is not None else start.seq
        return last, prev_digest.hex()

    def _checked_chunk(self, low: int, high: int) -> list[tuple[Any, ...]] | None:
        """Rows ``low <= seq < high``: seq, id, hash, payload (bytes on SQLite) and 1 when the
        database finds the columns hold the payload's values; None if the database cannot run
        that query (a payload it cannot read as JSON, say), and Python must compare the chunk."""
        vendor = self.connection.vendor
        same = _same_expression(vendor, legacy=self.legacy)
        if same is None:
            return None
        joined, condition = same
        payload = "CAST(e.payload AS BLOB)" if vendor == "sqlite" else "e.payload"
        sql = (
            f"SELECT e.seq, e.id, e.hash, {payload}, CASE WHEN {condition} THEN 1 ELSE 0 END "  # noqa: S608
            f"FROM {self.table} e {joined} "
            "WHERE e.chain_id = %s AND e.seq >= %s AND e.seq < %s ORDER BY e.chain_id, e.seq"
        )
        try:
            return self._fetch(sql, low, high)
        except (DatabaseError, ValueError, TypeError):
            return None

    def _sql_column_fault(self, low: int, high: int) -> int | None:
        """PostgreSQL: the first seq in the range whose columns differ from its payload, as the
        database compares them itself in one query per chunk (``high`` if none does); None when
        Python must compare (a payload the database cannot read as JSON, say)."""
        joined, condition = _same_expression("postgresql", legacy=self.legacy)  # type: ignore[misc]
        sql = (
            f"SELECT e.seq FROM {self.table} e {joined} "  # noqa: S608
            "WHERE e.chain_id = %s AND e.seq >= %s AND e.seq < %s "
            f"AND NOT ({condition}) ORDER BY e.chain_id, e.seq LIMIT 1"
        )
        try:
            while low < high:
                rows = self._fetch(sql, low, high, in_index_order=True)
                if not rows:
                    return high
                seq = int(rows[0][0])
                if not self._row_matches(seq):
                    return seq
                low = seq + 1  # the database was stricter than the payload's meaning
        except DatabaseError:
            return None
        return high

    def _row_matches(self, seq: int) -> bool:
        """Python's own comparison of one row's columns with its payload (the database's says
        they differ); raises for a row whose columns cannot be read."""
        for row in self._chunk(seq, seq + 1):
            payload = row[3]
            data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
            return self._columns_match(data, row[4:])
        return False

    def _chunk(
        self, low: int, high: int, *, with_columns: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        """Rows ``low <= seq < high``: seq, id, hash, payload (bytes on SQLite, which cannot
        decode text that is not UTF-8), then the payload's fields as stored in the columns. If
        the database cannot hand the range over, row by row, so the first unreadable row is
        named in its place in the walk."""
        sqlite = self.connection.vendor == "sqlite"
        payload = "CAST(payload AS BLOB)" if sqlite else "payload"
        columns = "".join(
            ", CAST(occurred_at AS TEXT)" if f == "occurred_at" and sqlite else f", {f}"
            for f in (self.fields if with_columns else ())
        )
        sql = (
            f"SELECT seq, id, hash, {payload}{columns} "  # noqa: S608
            f"FROM {self.table} WHERE chain_id = %s AND seq >= %s AND seq < %s "
            "ORDER BY chain_id, seq"
        )
        in_order = self.connection.vendor == "postgresql"
        try:
            yield from self._fetch(sql, low, high, in_index_order=in_order)
            return
        except (DatabaseError, ValueError, TypeError):
            pass
        for seq in range(low, high):
            try:
                yield from self._fetch(sql, seq, seq + 1, in_index_order=in_order)
            except (DatabaseError, ValueError, TypeError):
                raise _Broken(seq, self._row_id(seq), COLUMNS_UNREADABLE) from None

    def _fetch(
        self, sql: str, low: int, high: int, *, in_index_order: bool = False
    ) -> list[tuple[Any, ...]]:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            previous = None
            if in_index_order:
                # A chunk can be a large share of a partition (one busy chain), and then the
                # planner would scan the whole partition and sort it, for every chunk: read
                # the (chain_id, seq) index instead, which is already in order.
                cursor.execute(
                    "SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)"
                )
                previous = cursor.fetchone()[0]
            cursor.execute(sql, [self.chain_id, low, high])
            rows = list(cursor.fetchall())
            if previous is not None:
                cursor.execute("SELECT set_config('enable_sort', %s, true)", [previous])
            return rows

    def _columns_match(self, payload: bytes, values: tuple[Any, ...]) -> bool:
        """Whether the stored columns hold the values of the sealed payload. Parsing the payload
        and comparing values costs a third of rebuilding it."""
        columns = dict(zip(self.fields, values, strict=True))
        try:
            when = columns["occurred_at"]
            if isinstance(when, str):  # SQLite's text, read without Django's slow converter
                when = dt.datetime.fromisoformat(when)
            columns["occurred_at"] = timestamp(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
            columns["details"] = json.loads(columns["details"])
            sealed = json.loads(payload)
        except (ValueError, TypeError, AttributeError):
            return False
        columns["v"] = LEGACY_PAYLOAD_VERSION if self.legacy else PAYLOAD_VERSION
        return bool(sealed == columns)

    def _bound(self, function: str) -> int | None:
        sql = f"SELECT {function}(seq) FROM {{table}} WHERE chain_id = %s"  # noqa: S608
        row = self._one(sql, [self.chain_id])
        return int(row[0]) if row and row[0] is not None else None  # type: ignore[call-overload]

    def _stored_prev_hash(self, seq: int) -> object:
        row = self._one(
            "SELECT prev_hash FROM {table} WHERE chain_id = %s AND seq = %s", [self.chain_id, seq]
        )
        return row[0] if row else None

    def _row_id(self, seq: int) -> int | None:
        row = self._one(
            "SELECT id FROM {table} WHERE chain_id = %s AND seq = %s", [self.chain_id, seq]
        )
        return int(row[0]) if row else None  # type: ignore[call-overload]

    def read_head(self) -> tuple[int, str, str] | None:
        return (
            AuditChainHead.objects.using(self.using)
            .filter(pk=self.chain_id)
            .values_list("seq", "hash", "mac")
            .first()
        )

    def check_head(
        self, head: tuple[int, str, str] | None, last_seq: int | None, last_hash: str
    ) -> None:
        if head is None:
            if last_seq is not None:
                raise _Broken(last_seq, self._row_id(last_seq), HEAD_MISSING)
            return
        seq, hash_, mac = head
        if mac != head_mac(self.chain_id, seq, hash_):
            raise _Broken(seq, None, HEAD_MAC_MISMATCH)
        if last_seq is None:
            if hash_ != GENESIS_HASH:
                raise _Broken(seq, None, f"{TAIL_MISSING} (the chain head records seq {seq})")
            return
        if (seq, hash_) != (last_seq, last_hash):
            if seq > last_seq:
                reason = f"{TAIL_MISSING} (the chain head records seq {seq}, hash {hash_})"
                raise _Broken(last_seq + 1, None, reason)
            reason = f"{HEAD_MISMATCH} (seq {seq}, hash {hash_})"
            raise _Broken(last_seq, self._row_id(last_seq), reason)


def _same_expression(vendor: str, *, legacy: bool) -> tuple[str, str] | None:
    """What to join to the audit table (as ``e``) and the condition on it that is true when a
    row's columns hold the values of its payload, for the database to check by itself; None for
    a database without one. A row it calls different (a value it reads its own way) is compared
    again in Python before it is reported.

    SQLite rebuilds the payload with ``json_object()``, in the payload's own key order, and
    compares the text (json_object quotes each value by its stored type, so an integer column
    holding text, say, differs). PostgreSQL, which has no compact JSON writer and keeps details
    as jsonb, reads the payload once into a typed record (``jsonb_to_record``) and compares the
    record with the columns: a third of the cost of reading each field from the jsonb apart.
    """
    fields = LEGACY_PAYLOAD_FIELDS if legacy else PAYLOAD_FIELDS
    version = LEGACY_PAYLOAD_VERSION if legacy else PAYLOAD_VERSION
    if vendor == "sqlite":
        members = {"details": "json(e.details)", "v": str(version), "occurred_at": _SQLITE_TIME}
        pairs = ", ".join(
            f"'{name}', {members.get(name, f'e.{name}')}" for name in sorted((*fields, "v"))
        )
        return "", f"e.payload = json_object({pairs})"
    if vendor == "postgresql":
        types = ", ".join(f"{name} {_PG_TYPE.get(name, 'text')}" for name in (*fields, "v"))
        joined = f"CROSS JOIN LATERAL jsonb_to_record(e.payload::jsonb) AS x({types})"
        sealed = ", ".join(f"x.{name}" for name in fields)
        stored = ", ".join(
            f"e.{name}" if name in _PG_TYPE else f"e.{name}::text" for name in fields
        )
        return joined, f"x.v = {version} AND ({sealed}) IS NOT DISTINCT FROM ({stored})"
    return None


_PG_TYPE = {
    **dict.fromkeys(
        ("chain_id", "seq", "actor_user_id", "actor_staff_id", "trust_id", "school_id", "v"),
        "bigint",
    ),
    "occurred_at": "timestamptz",
    "ip_address": "inet",
    "details": "jsonb",
}
#: SQLite stores times as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; the payload has ISO 8601.
_SQLITE_TIME = (
    "replace(e.occurred_at, ' ', 'T') "
    "|| CASE WHEN length(e.occurred_at) = 19 THEN '.000000' ELSE '' END || '+00:00'"
)


def _is_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _event_chain_ids(using: str) -> list[int]:
    """The distinct chain ids of the rows, one index probe per chain (a loose index scan)."""
    connection = connections[using]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE c(id) AS (
            SELECT MIN(chain_id) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(chain_id) FROM {table} WHERE chain_id > c.id)
            FROM c WHERE c.id IS NOT NULL
        )
        SELECT id FROM c WHERE id IS NOT NULL
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
