"""Checking the audit chains: :func:`audit_chain_verify` (one chain) and :func:`audit_verify_all`,
shared by ``chaperone audit verify``, the daily anchor job and any page that wants to show
whether the log is intact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
    Sealing,
    chain_label,
    head_mac,
    prepared_sealer,
    timestamp,
)
from chaperone.audit.models import AuditChainHead, AuditEvent

CHUNK_SIZE = 20_000
#: rows per fetch of the nightly pass's server-side cursor
FETCH_SIZE = 5_000

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
    return audit_chains_verify(chain_ids(using=using), full=full, using=using)


def audit_chains_verify(
    chains: Iterable[int], *, full: bool = False, using: str = DEFAULT_DB_ALIAS
) -> list[ChainVerification]:
    """:func:`audit_chain_verify` of each chain, in the order given. The nightly check (not
    ``full``) of the chains with an anchor reads what they gained since in one pass over the
    audit table (:func:`_since_anchors`): a chain it finds in order is reported from it, any
    other is checked again on its own, which names the fault."""
    chains = list(chains)
    passed = {} if full else _since_anchors(chains, using)
    return [
        passed.get(chain_id) or audit_chain_verify(chain_id=chain_id, full=full, using=using)
        for chain_id in chains
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


@dataclass
class _Since:
    """One chain in :func:`_since_anchors`: where it was anchored, its head, and how far the
    pass has followed it."""

    anchor: Anchor
    head: tuple[int, str]
    mac: Sealing
    seq: int | None = None  # the last row followed (None: not reached the anchored row yet)
    digest: bytes = b""
    row_id: int = 0
    rows: int = 0
    ok: bool = True

    def follow(self, seq: int, row_id: int, row_hash: str, payload: bytes, same: int) -> None:
        if not self.ok:
            return
        if self.seq is None:  # the anchored row must still carry the anchored hash
            self.ok = seq == self.anchor.seq and row_hash == self.anchor.hash
            self.seq, self.digest, self.row_id = seq, bytes.fromhex(self.anchor.hash), row_id
            return
        sealing = self.mac.copy()
        sealing.update(self.digest)
        sealing.update(payload)
        digest = sealing.digest()
        if seq != self.seq + 1 or row_id <= self.row_id or same != 1 or digest.hex() != row_hash:
            self.ok = False
            return
        self.seq, self.digest, self.row_id, self.rows = seq, digest, row_id, self.rows + 1

    def result(self, chain_id: int) -> ChainVerification | None:
        if not self.ok or (self.seq, self.digest.hex()) != self.head:
            return None
        return ChainVerification(
            chain_id,
            True,
            self.rows,
            from_seq=self.anchor.seq + 1,
            head_seq=self.head[0],
            head_hash=self.head[1],
        )


def _since_anchors(chains: list[int], using: str) -> dict[int, ChainVerification]:
    """The nightly check of every anchored chain at once: the rows from each chain's anchored
    row up to its head, in one query on PostgreSQL (one plan over the monthly partitions, not
    one per chain and chunk), with the database's column check in the same query. Python
    follows each chain as :meth:`_Checker.walk` does; the chains that hold all the way to a head
    whose MAC holds are returned, passed. Any other (and the legacy chain, which does not grow,
    and a chain without an anchor) is left for :func:`audit_chain_verify` to check and name."""
    since: dict[int, _Since] = {}
    for chain_id in chains:
        if chain_id == LEGACY_CHAIN:
            continue
        try:
            anchor = last_anchor(chain_id)
        except AnchorUnreadable:
            continue
        if anchor is not None and _is_hex(anchor.hash):
            since[chain_id] = _Since(anchor, (0, ""), prepared_sealer(chain_id))
    heads = AuditChainHead.objects.using(using).filter(pk__in=list(since))
    held = {}
    for chain_id, seq, hash_, mac in heads.values_list("pk", "seq", "hash", "mac"):
        if seq >= since[chain_id].anchor.seq and mac == head_mac(chain_id, seq, hash_):
            since[chain_id].head = (seq, hash_)
            held[chain_id] = since[chain_id]
    if not held:
        return {}
    try:
        for chain_id, seq, row_id, row_hash, payload, same in _rows_since(held, using):
            data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
            held[chain_id].follow(seq, row_id, row_hash, data, same)
    except (DatabaseError, ValueError, TypeError, KeyError):
        return {}  # each chain on its own, which names the row it cannot read
    results = {chain_id: state.result(chain_id) for chain_id, state in held.items()}
    return {chain_id: result for chain_id, result in results.items() if result is not None}


def _rows_since(held: dict[int, _Since], using: str) -> Iterator[tuple[Any, ...]]:
    """chain, seq, id, hash, payload and the column check (1: the columns hold the payload's
    values) of each chain's rows from its anchored row to its head, chain by chain in ``seq``
    order; read through a server-side cursor, so memory stays flat."""
    connection = connections[using]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    joined, condition = _same_expression(connection.vendor, legacy=False)  # type: ignore[misc]
    order = sorted(held)
    if connection.vendor == "postgresql":
        # Each chain's range read off its (chain_id, seq) index in every partition, merged in
        # seq order (each chain is followed on its own, so only that order matters).
        sql = (
            f"SELECT e.chain_id, e.seq, e.id, e.hash, e.payload, CASE WHEN {condition} "  # noqa: S608
            f"THEN 1 ELSE 0 END FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS w(chain_id, low, high) CROSS JOIN LATERAL ("
            f"SELECT * FROM {table} r WHERE r.chain_id = w.chain_id AND r.seq >= w.low "
            f"AND r.seq <= w.high ORDER BY r.seq) e {joined}"
        )
        params: list[Any] = [
            order,
            [held[c].anchor.seq for c in order],
            [held[c].head[0] for c in order],
        ]
        queries = [(sql, params)]
    else:
        sql = (
            f"SELECT e.chain_id, e.seq, e.id, e.hash, CAST(e.payload AS BLOB), "  # noqa: S608
            f"CASE WHEN {condition} THEN 1 ELSE 0 END FROM {table} e {joined} "
            "WHERE e.chain_id = %s AND e.seq >= %s AND e.seq <= %s ORDER BY e.chain_id, e.seq"
        )
        queries = [(sql, [c, held[c].anchor.seq, held[c].head[0]]) for c in order]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # JIT would compile the long column check (about 0.1 s) for one pass
                cursor.execute("SET LOCAL jit = off")
        for query, values in queries:
            with connection.chunked_cursor() as cursor:
                cursor.execute(query, values)
                yield from _prefetched(cursor, in_thread=connection.vendor == "postgresql")


def _prefetched(cursor: Any, *, in_thread: bool) -> Iterator[tuple[Any, ...]]:
    """The cursor's rows, :data:`FETCH_SIZE` at a time; ``in_thread``, the next batch is
    fetched in a thread while the caller seals this one, so the database and Python work at
    once (the thread only waits on the server's socket; nothing else uses the connection
    meanwhile)."""
    size = FETCH_SIZE
    if not in_thread:
        while batch := cursor.fetchmany(size):
            yield from batch
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(cursor.fetchmany, size)
        while batch := pending.result():
            pending = pool.submit(cursor.fetchmany, size)
            yield from batch


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
    holding text, say, differs). PostgreSQL writes the payload's text from the columns itself
    (see :func:`_pg_same`).
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
        return _pg_same(fields, version)
    return None


def _pg_same(fields: tuple[str, ...], version: int) -> tuple[str, str]:
    """PostgreSQL's check, without parsing the payload for the common row: the payload must be
    the text :func:`_pg_written` writes from the columns. A row it does not cover, or whose text
    differs, is read the slow way: the payload parsed into a typed record (``json_to_record``,
    a third cheaper than through jsonb) compared with the columns, strict about what it calls
    equal. At 100x the demo the text costs about 4 µs of backend CPU a row, the record 9."""
    joined, written = _pg_written(fields, version)
    types = ", ".join(f"{name} {_PG_TYPE.get(name, 'text')}" for name in (*fields, "v"))
    sealed = ", ".join(f"x.{name}" for name in fields)
    stored = ", ".join(f"e.{name}" if name in _PG_TYPE else f"e.{name}::text" for name in fields)
    parsed = (
        f"(SELECT x.v = {version} AND ({sealed}) IS NOT DISTINCT FROM ({stored}) "  # noqa: S608
        f"FROM json_to_record(e.payload::json) AS x({types}))"
    )
    return joined, f"COALESCE(CASE WHEN {written} THEN true ELSE {parsed} END, false)"


def _pg_written(fields: tuple[str, ...], version: int) -> tuple[str, str]:
    """The join and the condition that the payload is, byte for byte, the canonical payload
    the database writes from the columns (text joined with ``||``: concat() would look up each
    argument's output function on every row). That text is a JSON rendering of the columns, so
    if the payload equals it, the payload holds the columns' values. It writes the text columns
    unescaped, so it applies only when none holds a backslash (the payload's escapes) or a
    quote (which could otherwise shift where a member seems to end); details only as a flat
    object of strings, integers, booleans and nulls, keys in code point order as the payload
    sorts them; an address only as a single host. Anything else (a null text column included)
    makes the condition false or null, never true."""
    pieces: list[tuple[bool, str]] = []  # (is SQL, text)
    for i, name in enumerate(sorted((*fields, "v"))):
        pieces.append((False, f'{"{" if i == 0 else ","}"{name}":'))
        if name == "v":
            pieces.append((False, str(version)))
        elif name in _PG_JSON_TEXT:
            pieces += [(False, '"'), (True, f"e.{name}"), (False, '"')]
        elif name == "occurred_at":
            time = f"to_char(e.occurred_at AT TIME ZONE 'UTC', '{_PG_ISO}')"
            pieces += [(False, '"'), (True, time), (False, '"')]
        else:
            pieces.append((True, _pg_json(name)))
    pieces.append((False, "}"))
    merged: list[str] = []
    for is_sql, text in pieces:
        if is_sql:
            merged.append(text)
        elif merged and merged[-1].startswith("'") and merged[-1].endswith("'"):
            merged[-1] = merged[-1][:-1] + text + "'"
        else:
            merged.append(f"'{text}'")
    texts = " || ".join(f"e.{name}" for name in fields if name in _PG_JSON_TEXT)
    # OFFSET 0 keeps the subquery from being folded in, which would build t once per use
    joined = f"CROSS JOIN LATERAL (SELECT {texts} AS t OFFSET 0) p"
    written = (
        f"strpos(p.t, '\"') = 0 AND strpos(p.t, '\\') = 0 AND e.payload = ({' || '.join(merged)})"
    )
    return joined, written


def _pg_json(name: str) -> str:
    """A number, address or details column as the canonical payload writes it (NULL where it
    cannot)."""
    if name == "details":
        return (
            "CASE WHEN e.details = '{}' THEN '{}' WHEN jsonb_typeof(e.details) = 'object' THEN "
            "(SELECT '{' || string_agg(to_json(k.key)::text || ':' || k.value::text, ',' "
            "ORDER BY k.key COLLATE \"C\") || '}' FROM jsonb_each(e.details) k "
            "HAVING bool_and(jsonb_typeof(k.value) IN ('string', 'boolean', 'null') "
            "OR jsonb_typeof(k.value) = 'number' AND k.value::text ~ '^-?[0-9]+$')) END"
        )
    if name == "ip_address":
        # host() drops a netmask, so the address must be a single host
        return (
            "CASE WHEN e.ip_address IS NULL THEN 'null' WHEN masklen(e.ip_address) = "
            "CASE family(e.ip_address) WHEN 4 THEN 32 ELSE 128 END "
            "THEN '\"' || host(e.ip_address) || '\"' END"
        )
    return f"COALESCE(e.{name}::text, 'null')"


#: timestamp() in to_char's terms (UTC, microseconds)
_PG_ISO = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
_PG_TYPE = {
    **dict.fromkeys(
        ("chain_id", "seq", "actor_user_id", "actor_staff_id", "trust_id", "school_id", "v"),
        "bigint",
    ),
    "occurred_at": "timestamptz",
    "ip_address": "inet",
    "details": "jsonb",
}
#: The payload's text members, which the text check writes out unescaped.
_PG_JSON_TEXT = frozenset(LEGACY_PAYLOAD_FIELDS) - set(_PG_TYPE)
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
