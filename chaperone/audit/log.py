"""Writing to the audit log: :func:`record`, :func:`record_read` and :func:`record_many`.

Call ``record()`` inside the transaction of the change it describes, as late as you can: it locks
the head of the event's chain (its trust's, or the service chain's) until that transaction ends,
and if the transaction rolls back the audit row goes with it. A page that only reads (a pupil's
record) calls it outside any transaction: the row is then committed before ``record()`` returns,
on PostgreSQL by the one statement that appends it. Writers in different trusts never wait for
each other. Who and from where (IP address, user agent, request id, web/cli/task) come
from :func:`chaperone.core.context.current_context`.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from chaperone.audit.chain import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    PAYLOAD_FIELDS,
    canonical_json,
    chain_label,
    chain_of,
    head_mac,
    payload_text,
    plain_details,
    sealer,
)
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.registry import check_action
from chaperone.core.context import current_context
from chaperone.tenancy.models import School
from chaperone.tenancy.scope import AuditScoped

if TYPE_CHECKING:
    from chaperone.tenancy.policies import Actor

SYSTEM_LABEL = "System"
HEAD_TABLE = AuditChainHead._meta.db_table
EVENT_TABLE = AuditEvent._meta.db_table
BULK_BATCH = 500
_INTEGER_COLUMNS = {"chain_id", "seq", "actor_user_id", "actor_staff_id", "trust_id", "school_id"}
INSERT_COLUMNS = (*PAYLOAD_FIELDS, "payload", "hash")
_INSERT = f"INSERT INTO {EVENT_TABLE} ({', '.join(INSERT_COLUMNS)}) VALUES"
_ROW_PLACEHOLDERS = f"({', '.join(['%s'] * len(INSERT_COLUMNS))})"
#: PostgreSQL types of the columns, for a VALUES list that is not directly an INSERT's.
_PG_TYPES = {"occurred_at": "timestamptz", "ip_address": "inet", "details": "jsonb"}
_CAST_PLACEHOLDERS = "({})".format(
    ", ".join(
        f"%s::{_PG_TYPES.get(name, 'bigint' if name in _INTEGER_COLUMNS else 'text')}"
        for name in INSERT_COLUMNS
    )
)
#: A psycopg prepare threshold no statement reaches by repetition.
_PREPARE_ONLY_WHEN_ASKED = 2**31
#: How many times an append outside a transaction tries the one-statement way on a busy chain.
_GUESSES = 2
_OCCURRED_AT = INSERT_COLUMNS.index("occurred_at")
_DETAILS = INSERT_COLUMNS.index("details")
#: Where _seal keeps a row's details as canonical JSON, for its payload and its INSERT alike.
_DETAILS_JSON = "_details_json"
#: The model's columns after the id, in the order its positional constructor takes them.
_ALL_FIELDS = tuple(field.attname for field in AuditEvent._meta.concrete_fields)
_MODEL_FIELDS = _ALL_FIELDS[1:]
_MOVE_HEAD = f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s, mac = %s WHERE id = %s"  # noqa: S608

__all__ = ["SYSTEM_LABEL", "AuditChainBroken", "AuditEntry", "record", "record_many", "record_read"]


class AuditChainBroken(RuntimeError):
    """A chain's head is missing although the chain has rows: someone removed it. Appending
    would hide what was cut off, so nothing is appended until ``chaperone audit verify`` has
    been looked at."""


@dataclass(frozen=True)
class AuditEntry:
    """One event for :func:`record_many`; the fields mean what :func:`record`'s do."""

    action: str
    target: models.Model | None = None
    school_id: int | None = None
    trust_id: int | None = None
    details: Mapping[str, Any] | None = None


def record(
    action: str,
    *,
    actor: Actor | None,
    target: models.Model | None = None,
    school_id: int | None = None,
    trust_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    ``actor`` is the acting person (``None`` for the system itself), named by ``actor.label``.
    ``school_id`` / ``trust_id`` default to the target's own (its ``audit_scope()``, see
    :class:`~chaperone.tenancy.scope.AuditScoped`), then to the school's trust and the actor's
    trust. Raises :class:`~chaperone.audit.registry.UnknownAuditAction` for an undeclared action,
    and ``TypeError`` for a target without ``audit_scope()``.
    """
    entry = AuditEntry(action, target, school_id, trust_id, details)
    return record_many([entry], actor=actor)[0]


def record_read(
    action: str,
    *,
    actor: Actor | None,
    target: models.Model,
    school_id: int | None = None,
    trust_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that someone looked at something sensitive (a pupil's record, a concern, a
    recording). The same as :func:`record`; the name says why it is called on a read."""
    return record(
        action,
        actor=actor,
        target=target,
        school_id=school_id,
        trust_id=trust_id,
        details=details,
    )


def record_many(entries: Iterable[AuditEntry], *, actor: Actor | None) -> list[AuditEvent]:
    """Append many events by one actor (an import, a purge, a rota run) and return them in the
    order given. Each chain's head is locked once and its rows are inserted together, so a job
    writing thousands of events costs a few statements per chain rather than four per event."""
    entries = list(entries)
    for entry in entries:
        check_action(entry.action)
    ctx = current_context()
    actor_fields = {
        "actor_user_id": actor.user_id if actor is not None else None,
        "actor_staff_id": actor.staff_id if actor is not None else None,
        "actor_label": _actor_label(actor),
        "ip_address": _clean_ip(ctx.ip_address),
        "user_agent": ctx.user_agent[:300],
        "request_id": ctx.request_id[:64],
        "via": ctx.via,
    }
    by_chain: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    trusts: dict[int, int | None] = {}
    for position, entry in enumerate(entries):
        target = entry.target
        school_id, trust_id = _tenant_of(target, entry.school_id, entry.trust_id, actor, trusts)
        fields: dict[str, Any] = {
            **actor_fields,
            "action": entry.action,
            "trust_id": trust_id,
            "school_id": school_id,
            "target_type": target._meta.label_lower if target is not None else "",
            "target_id": str(target.pk) if target is not None else "",
            "target_label": str(target)[:300] if target is not None else "",
            "details": plain_details(entry.details or {}),
        }
        by_chain.setdefault(chain_of(trust_id), []).append((position, fields))
    if len(by_chain) == 1:
        # The common case, one event (or one chain's batch): after this connection's own last
        # append, one statement, and outside a transaction that statement commits by itself.
        ((chain_id, pending),) = by_chain.items()
        appended = _append_alone(chain_id, pending)
        if appended is not None:
            return appended
    events: list[AuditEvent | None] = [None] * len(entries)
    with transaction.atomic(savepoint=False):
        # Heads are locked in chain order, so two jobs writing to the same chains cannot
        # deadlock on each other.
        for chain_id in sorted(by_chain):
            pending = by_chain[chain_id]
            for (position, _), event in zip(pending, _append(chain_id, pending), strict=True):
                events[position] = event
    return [event for event in events if event is not None]


def _append(chain_id: int, pending: list[tuple[int, dict[str, Any]]]) -> list[AuditEvent]:
    """Lock the chain's head, append ``pending`` after it and move it (in the transaction)."""
    rows, head = _seal(chain_id, pending, *_lock_head(chain_id))
    events = _insert(rows, head=head)
    _known_heads(transaction.get_connection())[chain_id] = head[1:]
    return events


def _append_alone(
    chain_id: int, pending: list[tuple[int, dict[str, Any]]]
) -> list[AuditEvent] | None:
    """PostgreSQL, when this connection has a guess of the chain's head (where its own last
    append left it): append ``pending`` in one statement (:func:`_insert_after`) without a
    transaction of our own. In the caller's transaction the statement is part of it (and rolls
    back with it); outside one (autocommit, as a page that only reads is) the statement is its
    own transaction, committed before it returns: one round trip to the server instead of three
    (BEGIN, the append, COMMIT).

    A wrong guess writes nothing but hands back the head. In the caller's transaction it comes
    back locked, so the rows go after it with one more statement. Outside one it comes back
    unlocked, so the append is tried again from there (another writer of the
    chain may get in first each time; after :data:`_GUESSES` tries, or when the chain has no
    head yet, None is returned and the caller locks the head in a transaction of its own)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(pending) > BULK_BATCH:
        return None
    heads = _known_heads(connection)
    expected = heads.get(chain_id)
    for _ in range(_GUESSES):
        if expected is None:
            return None
        rows, head = _seal(chain_id, pending, *expected)
        events, found = _insert_after(connection, rows, head=head, expected=expected)
        if events is None and found is not None and not connection.get_autocommit():
            rows, head = _seal(chain_id, pending, *found)  # the head is ours until commit
            events = _insert(rows, head=head)
        if events is not None:
            heads[chain_id] = head[1:]
            return events
        expected = found
    return None


def _known_heads(connection: Any) -> dict[int, tuple[int, str]]:
    """Where this connection last left each chain's head: (seq, hash) by chain id. A guess,
    never trusted: :func:`_insert_after` writes nothing when the head is elsewhere."""
    heads: dict[int, tuple[int, str]] = connection.__dict__.setdefault("_audit_heads", {})
    return heads


def _seal(
    chain_id: int, pending: list[tuple[int, dict[str, Any]]], seq: int, prev_hash: str
) -> tuple[list[dict[str, Any]], tuple[int, int, str]]:
    """The rows of ``pending`` sealed after (seq, prev_hash), and the head they move it to."""
    seal = sealer(chain_id)
    now = timezone.now()
    rows = []
    for _, fields in pending:
        seq += 1
        fields.update(chain_id=chain_id, seq=seq, prev_hash=prev_hash, occurred_at=now)
        details = fields.get(_DETAILS_JSON)
        if details is None:
            details = fields[_DETAILS_JSON] = canonical_json(fields["details"])
        payload = payload_text(fields, details)
        fields["payload"] = payload
        fields["hash"] = seal(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hex()
        rows.append(fields)
        prev_hash = fields["hash"]
    return rows, (chain_id, seq, prev_hash)


def _insert_after(
    connection: Any,
    rows: list[dict[str, Any]],
    *,
    head: tuple[int, int, str],
    expected: tuple[int, str],
) -> tuple[list[AuditEvent] | None, tuple[int, str] | None]:
    """PostgreSQL: move the chain's head from ``expected`` to ``head`` and insert the rows, in
    one statement; the events. The UPDATE takes the head's row lock and re-reads it, so if the
    head is elsewhere (another writer moved it) nothing is written; the statement then locks the
    head (``FOR UPDATE``: after any writer holding it has finished) and returns it as it is
    now: (None, (seq, hash)), or (None, None) if the chain has no head. Outside a transaction
    the head is not locked but read as the statement found it, which may be the guess itself
    when the statement had to wait for another writer; the next try reads it afresh.
    ``connection`` is the transaction's (``transaction.get_connection()``)."""
    # In the caller's transaction the head is locked when the guess was wrong, and stays ours.
    # Outside one that lock would end with the statement, and a lock is written like a row, so
    # it would cost a flush of its own: the head is read as the statement found it instead.
    sql = _append_after_sql(len(rows), lock=not connection.get_autocommit())
    chain_id = head[0]
    params = [
        head[1],
        head[2],
        head_mac(*head),
        chain_id,
        *expected,
        *_row_params(rows, connection),
        chain_id,
    ]
    if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        # Behind PgBouncer in transaction mode (docs/operations.md), which may hand the next
        # statement to a server connection that never saw this one's prepared statement.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            result = cursor.fetchall()
    else:
        result = _execute_prepared(connection, sql, params)
    ids = [row[0] for row in result if row[0] is not None]
    if ids:
        return _saved(rows, ids, connection.alias), None
    return None, next(((row[1], row[2]) for row in result), None)


@functools.lru_cache(maxsize=16)
def _append_after_sql(count: int, *, lock: bool) -> str:
    """The one-statement append of ``count`` rows after a guessed head (built once per size):
    the ids it inserted, or, when the guess was wrong, one row with the head as it is (``lock``:
    locked, after whoever held it; else as of the statement's start)."""
    values = ", ".join([_CAST_PLACEHOLDERS] * count)
    for_update = " FOR UPDATE" if lock else ""
    return (
        f"WITH moved AS ({_MOVE_HEAD} AND seq = %s AND hash = %s RETURNING id), "  # noqa: S608
        f"appended AS (INSERT INTO {EVENT_TABLE} ({', '.join(INSERT_COLUMNS)}) "
        f"SELECT * FROM (VALUES {values}) AS v WHERE EXISTS (SELECT 1 FROM moved) RETURNING id), "
        f"found AS (SELECT seq, hash FROM {HEAD_TABLE} WHERE id = %s "
        f"AND NOT EXISTS (SELECT 1 FROM moved){for_update}) "
        "SELECT id, NULL::bigint, NULL::text FROM appended "
        "UNION ALL SELECT NULL, seq, hash FROM found"
    )


def _execute_prepared(connection: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (PostgreSQL) as a server-side prepared statement and return its rows.

    Django's psycopg cursors bind parameters on the client, so the server parses and plans the
    append's statement (a CTE moving the head, an INSERT into the partitioned table) on every
    call, which costs the server about as much as running it (EXPLAIN: planning 0.13-0.22 ms,
    execution 0.17-0.33 ms, on a loaded 2-core machine). A psycopg cursor with server-side
    binding on the same connection, in the same transaction, prepares it once per connection
    (and the cursor itself is made once per connection too). Errors come out as Django's (a
    lock timeout is an OperationalError, as before); a broken transaction is refused first, as
    Django's own cursors refuse it."""
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    start = time.monotonic()
    # Django turns psycopg's preparing off for the connection (prepare_threshold None), which
    # refuses even prepare=True; allow it for this statement alone (Django's own cursors bind
    # on the client and are never prepared whatever the threshold).
    threshold = raw.prepare_threshold
    raw.prepare_threshold = _PREPARE_ONLY_WHEN_ASKED
    try:
        with connection.wrap_database_errors:
            cursor = _prepared_cursor(connection, raw)
            cursor.execute(sql, params, prepare=True)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
    finally:
        raw.prepare_threshold = threshold
    if connection.queries_logged:  # as Django's own cursors log them (tests, DEBUG)
        took = time.monotonic() - start
        connection.queries_log.append({"sql": f"{sql} (prepared)", "time": f"{took:.3f}"})
    return rows


def _prepared_cursor(connection: Any, raw: Any) -> Any:
    """A plain psycopg cursor on ``raw`` (the connection's current psycopg connection), kept
    with it rather than made (with its adapters and transformer) for every append."""
    import psycopg

    kept = connection.__dict__.get("_audit_cursor")
    if kept is None or kept[0] is not raw or kept[1].closed:
        kept = (raw, psycopg.Cursor(raw))
        connection.__dict__["_audit_cursor"] = kept
    return kept[1]


def _insert(rows: list[dict[str, Any]], *, head: tuple[int, int, str]) -> list[AuditEvent]:
    """INSERT the rows in batches, move the chain head to ``head`` (chain, seq, hash) and return
    the rows as saved events. Plain SQL, like the head lock: the ORM's save() was most of an
    append's cost. On PostgreSQL the head moves in the same statement as the last INSERT, one
    round trip fewer per append. (The model refuses every other way of writing a row.)"""
    connection = transaction.get_connection()
    together = connection.vendor == "postgresql"
    events = []
    for first in range(0, len(rows), BULK_BATCH):
        batch = rows[first : first + BULK_BATCH]
        values = ", ".join([_ROW_PLACEHOLDERS] * len(batch))
        params = _row_params(batch, connection)
        prefix = ""
        if together and first + BULK_BATCH >= len(rows):
            prefix = f"WITH moved AS ({_MOVE_HEAD} RETURNING id) "
            params = [head[1], head[2], head_mac(*head), head[0], *params]
        with connection.cursor() as cursor:
            cursor.execute(f"{prefix}{_INSERT} {values} RETURNING id", params)
            ids = [row[0] for row in cursor.fetchall()]
        events += _saved(batch, ids, connection.alias)
    if not together:
        with connection.cursor() as cursor:
            cursor.execute(_MOVE_HEAD, [head[1], head[2], head_mac(*head), head[0]])
    return events


def _row_params(rows: list[dict[str, Any]], connection: Any) -> list[Any]:
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for fields in rows:
        values = [fields[name] for name in INSERT_COLUMNS]
        values[_OCCURRED_AT] = adapt(values[_OCCURRED_AT])
        values[_DETAILS] = fields[_DETAILS_JSON]  # (written once, by _seal)
        params += values
    return params


def _saved(rows: list[dict[str, Any]], ids: list[int], alias: str) -> list[AuditEvent]:
    """The rows as the events the database now holds, as a query would hand them over (saved,
    on ``alias``). Made without ``Model.__init__``, which sets each field through
    ``setattr`` and sends two signals nobody listens to for this model (about a tenth of an
    append's Python); where someone does listen, the usual constructor runs."""
    if (pre_init.receivers or post_init.receivers) and (
        pre_init.has_listeners(AuditEvent) or post_init.has_listeners(AuditEvent)
    ):
        return [
            AuditEvent.from_db(alias, _ALL_FIELDS, [pk, *[fields[n] for n in _MODEL_FIELDS]])
            for fields, pk in zip(rows, ids, strict=True)
        ]
    events = []
    for fields, pk in zip(rows, ids, strict=True):
        event = _new_event(AuditEvent)
        state = ModelState()
        state.adding, state.db = False, alias
        values = {name: fields[name] for name in _MODEL_FIELDS}
        values[_PK_NAME] = pk
        values["_state"] = state
        event.__dict__ = values
        events.append(event)
    return events


_new_event = object.__new__
_PK_NAME = _ALL_FIELDS[0]


def _lock_head(chain_id: int) -> tuple[int, str]:
    """The chain head's (seq, hash), locked until the end of the transaction; created on the
    chain's first event. Plain SQL: this runs on every audited action, and the ORM would double
    its cost."""
    connection = transaction.get_connection()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT seq, hash FROM {HEAD_TABLE} WHERE id = %s{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(select, [chain_id])
        row = cursor.fetchone()
        if row is not None:
            return row[0], row[1]
        if chain_id == LEGACY_CHAIN:
            raise AuditChainBroken("The legacy audit chain is closed: nothing is appended to it.")
        # A new chain numbers on from the legacy chain, so seq order stays time order for
        # every school across the split.
        cursor.execute(f"SELECT seq FROM {HEAD_TABLE} WHERE id = %s", [LEGACY_CHAIN])  # noqa: S608
        legacy = cursor.fetchone()
        base = legacy[0] if legacy is not None else 0
        cursor.execute(
            f"INSERT INTO {HEAD_TABLE} (id, seq, hash, mac) VALUES (%s, %s, %s, %s) "  # noqa: S608
            "ON CONFLICT (id) DO NOTHING",
            [chain_id, base, GENESIS_HASH, head_mac(chain_id, base, GENESIS_HASH)],
        )
        created = cursor.rowcount == 1  # else a concurrent writer created it first
        if created:
            cursor.execute(f"SELECT 1 FROM {EVENT_TABLE} WHERE chain_id = %s LIMIT 1", [chain_id])  # noqa: S608
            if cursor.fetchone() is not None:
                raise AuditChainBroken(
                    f"The head of audit chain {chain_label(chain_id)} is missing although the "
                    "chain has rows; run 'chaperone audit verify'."
                )
        cursor.execute(select, [chain_id])
        row = cursor.fetchone()
    return row[0], row[1]


def _tenant_of(
    target: models.Model | None,
    school_id: int | None,
    trust_id: int | None,
    actor: Actor | None,
    trusts: dict[int, int | None],
) -> tuple[int | None, int | None]:
    """The event's (school, trust); ``trusts`` remembers school -> trust within one call."""
    if target is not None:
        if not isinstance(target, AuditScoped):
            raise TypeError(
                f"{target._meta.label} cannot be audited: it has no audit_scope() method."
            )
        scope = target.audit_scope()
        school_id = scope.school_id if school_id is None else school_id
        trust_id = scope.trust_id if trust_id is None else trust_id
    if trust_id is None and actor is not None and school_id in actor.visible_school_ids:
        trust_id = actor.trust_id  # the actor's own schools are all in the actor's trust
    if trust_id is None and school_id is not None:
        if school_id not in trusts:
            trusts[school_id] = (
                School.objects.filter(pk=school_id).values_list("trust_id", flat=True).first()
            )
        trust_id = trusts[school_id]
    if trust_id is None and actor is not None:
        trust_id = actor.trust_id
    return school_id, trust_id


def _clean_ip(value: str | None) -> str | None:
    """The address as the database will store it (so the payload matches the column), or None
    for something that is not an IP address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _actor_label(actor: Actor | None) -> str:
    """Who acted, as the log shows it: the actor's own label (a member of staff's name, a parent
    acting through their link), else the system."""
    if actor is None or actor.is_system:
        return SYSTEM_LABEL
    if actor.label:
        return actor.label[:200]
    if actor.user_id is None and actor.staff_id is None:
        return SYSTEM_LABEL
    return f"user {actor.user_id}" if actor.user_id is not None else f"staff {actor.staff_id}"
