"""How record() talks to the database: one round trip for an append outside a transaction on
PostgreSQL, the caller's transaction kept when there is one, and the chain right whichever way
an append went."""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test import override_settings

from chaperone.audit.chain import head_mac, seal_hash
from chaperone.audit.log import record
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.verify import audit_chain_verify


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement append is PostgreSQL's; SQLite locks the head every time")


@contextmanager
def wire() -> Iterator[list[str]]:
    """The protocol messages this connection exchanges with PostgreSQL meanwhile (libpq's own
    trace), one line each; filled in when the block ends."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    lines: list[str] = []
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield lines
        finally:
            pgconn.untrace()
            trace.seek(0)
            lines += trace.read().decode().splitlines()


def round_trips(lines: list[str]) -> int:
    """Each wait for the server ends with its ReadyForQuery."""
    return sum("ReadyForQuery" in line for line in lines)


def sent_queries(lines: list[str]) -> list[str]:
    """The simple-protocol queries sent (BEGIN, COMMIT and the like)."""
    return [line.split("Query", 1)[1].strip() for line in lines if "\tQuery\t" in line]


@pytest.mark.django_db(transaction=True)
def test_an_append_outside_a_transaction_is_one_round_trip_and_committed(tenant_a) -> None:
    """A page that only reads calls record() outside any transaction: after this connection's
    first append to the chain, each append is one statement the server commits by itself (no
    BEGIN and COMMIT of its own: they were two more waits for the server each time)."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    first = record("audit.viewed", actor=None, trust_id=trust)  # reads and locks the head
    record("audit.viewed", actor=None, trust_id=trust)  # prepares the statement
    with wire() as lines:
        event = record("audit.viewed", actor=None, trust_id=trust)
    assert round_trips(lines) == 1
    assert sent_queries(lines) == []
    assert event.seq == first.seq + 2
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    # Committed: another connection sees the row and the head it moved to.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT hash FROM audit_auditevent WHERE id = %s", [event.pk])
            assert cursor.fetchone() == (event.hash,)
            cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = %s", [trust])
            assert cursor.fetchone() == (event.seq, event.hash)
    finally:
        other.close()
    assert audit_chain_verify(chain_id=trust, full=True).ok


@pytest.mark.django_db(transaction=True)
def test_an_append_in_the_callers_transaction_commits_with_it(tenant_a) -> None:
    """Inside the caller's atomic block the append is one statement of that transaction: the
    caller's BEGIN and COMMIT, nothing of its own."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    record("audit.viewed", actor=None, trust_id=trust)
    with transaction.atomic():  # prepares the statement (in a transaction it differs a little)
        record("audit.viewed", actor=None, trust_id=trust)
    with wire() as lines, transaction.atomic():
        event = record("audit.viewed", actor=None, trust_id=trust)
    assert sent_queries(lines) == ['"BEGIN"', '"COMMIT"']
    assert round_trips(lines) == 3
    assert AuditChainHead.objects.get(pk=trust).seq == event.seq


@pytest.mark.django_db(transaction=True)
def test_an_append_rolls_back_with_the_callers_transaction(tenant_a) -> None:
    """Also when it took the one-statement way (PostgreSQL, head known): the row goes, the head
    stays, and the next append (whose guess of the head is now wrong) chains on correctly."""
    trust = tenant_a.trust.pk
    kept = [record("audit.viewed", actor=None, trust_id=trust) for _ in range(2)][-1]

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        undone = record("audit.viewed", actor=None, trust_id=trust)
        assert undone.seq == kept.seq + 1
        raise Undo
    assert not AuditEvent.objects.filter(pk=undone.pk).exists()
    head = AuditChainHead.objects.get(pk=trust)
    assert (head.seq, head.hash) == (kept.seq, kept.hash)
    following = record("audit.viewed", actor=None, trust_id=trust)
    assert (following.seq, following.prev_hash) == (kept.seq + 1, kept.hash)
    assert audit_chain_verify(chain_id=trust, full=True).ok


def test_an_append_in_a_broken_transaction_is_refused(tenant_a) -> None:
    """After an error inside the caller's transaction, record() refuses to write, as any query
    does (the raw prepared statement on PostgreSQL used to run regardless)."""
    trust = tenant_a.trust.pk
    record("audit.viewed", actor=None, trust_id=trust)
    with transaction.atomic():
        with pytest.raises(ValueError), transaction.atomic(savepoint=False):
            raise ValueError
        with pytest.raises(TransactionManagementError):
            record("audit.viewed", actor=None, trust_id=trust)
        transaction.set_rollback(True)
    assert AuditEvent.objects.filter(chain_id=trust).count() == 1


@pytest.mark.django_db(transaction=True)
def test_appends_outside_transactions_from_two_connections_to_one_chain(tenant_a) -> None:
    """Two connections taking turns on one chain: each one's guess of the head is always stale,
    so each append tries again from the head its first statement found, and the chain stays
    whole."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    turns = [threading.Event(), threading.Event()]
    errors: list[BaseException] = []
    rounds = 5

    def write(me: int) -> None:
        try:
            for _ in range(rounds):
                assert turns[me].wait(timeout=30)
                turns[me].clear()
                record("audit.viewed", actor=None, trust_id=trust, details={"writer": me})
                turns[1 - me].set()
        except BaseException as exc:
            errors.append(exc)
            turns[1 - me].set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    turns[0].set()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = AuditEvent.objects.filter(chain_id=trust).order_by("seq")
    writers = [event.details["writer"] for event in rows]
    assert writers == [0, 1] * rounds
    result = audit_chain_verify(chain_id=trust, full=True)
    assert result.ok and result.rows == 2 * rounds, result.summary()


def _append_elsewhere(trust: int) -> None:
    """One append to ``trust`` by another connection (a thread of its own)."""

    def write() -> None:
        try:
            record("audit.viewed", actor=None, trust_id=trust)
        finally:
            connections.close_all()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()


@pytest.mark.django_db(transaction=True)
def test_after_another_writers_append_one_more_round_trip_outside_a_transaction(tenant_a) -> None:
    """This connection's guess of the head is stale: the statement writes nothing and returns
    the head, and the second try appends (two round trips, no transaction of its own; it was
    five: the failed statement, BEGIN, SELECT ... FOR UPDATE, INSERT, COMMIT)."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    for _ in range(2):
        record("audit.viewed", actor=None, trust_id=trust)
    _append_elsewhere(trust)
    with wire() as lines:
        event = record("audit.viewed", actor=None, trust_id=trust)
    assert sent_queries(lines) == []
    assert round_trips(lines) == 2
    assert event.seq == 4
    assert audit_chain_verify(chain_id=trust, full=True).ok


@pytest.mark.django_db(transaction=True)
def test_after_another_writers_append_the_callers_transaction_holds_the_head(tenant_a) -> None:
    """In the caller's transaction the failed statement locks the head and returns it, and the
    row goes after it with one more statement (no SELECT ... FOR UPDATE in between)."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    record("audit.viewed", actor=None, trust_id=trust)
    with transaction.atomic():  # prepares the statement
        record("audit.viewed", actor=None, trust_id=trust)
    _append_elsewhere(trust)
    with wire() as lines, transaction.atomic():
        event = record("audit.viewed", actor=None, trust_id=trust)
    queries = sent_queries(lines)
    assert (queries[0], queries[-1], len(queries)) == ('"BEGIN"', '"COMMIT"', 3)
    assert queries[1].startswith('"WITH moved AS (UPDATE audit_auditchainhead')
    assert round_trips(lines) == 4
    assert event.seq == 4
    assert audit_chain_verify(chain_id=trust, full=True).ok


@pytest.mark.django_db(transaction=True)
def test_an_append_outside_a_transaction_waits_only_for_its_own_chain(tenant_a, tenant_b) -> None:
    """Trust A's head is held by an open transaction elsewhere: an append to trust B outside any
    transaction goes through, one to trust A waits (here until its lock timeout)."""
    _postgresql_only()
    trust_a, trust_b = tenant_a.trust.pk, tenant_b.trust.pk
    for trust in (trust_a, trust_b, trust_a, trust_b):  # both heads known to this connection
        record("audit.viewed", actor=None, trust_id=trust)
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_trust_a() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM audit_auditchainhead WHERE id = %s FOR UPDATE", [trust_a]
                    )
                locked.set()
                release.wait(timeout=60)
        except BaseException as exc:
            errors.append(exc)
        finally:
            locked.set()
            connections.close_all()

    holder = threading.Thread(target=hold_trust_a)
    holder.start()
    try:
        assert locked.wait(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
        record("audit.viewed", actor=None, trust_id=trust_b)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            record("audit.viewed", actor=None, trust_id=trust_a)
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert errors == []
    assert AuditEvent.objects.filter(chain_id=trust_a).count() == 2
    assert AuditEvent.objects.filter(chain_id=trust_b).count() == 3
    after = record("audit.viewed", actor=None, trust_id=trust_a)
    assert after.seq == AuditChainHead.objects.get(pk=trust_a).seq
    for trust in (trust_a, trust_b):
        assert audit_chain_verify(chain_id=trust, full=True).ok


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_appends_with_its_own_cursor(tenant_a) -> None:
    """The prepared statement's cursor is kept with the connection; after a reconnect the
    append makes a new one on the new connection."""
    _postgresql_only()
    trust = tenant_a.trust.pk
    for _ in range(2):
        record("audit.viewed", actor=None, trust_id=trust)
    connection.close()
    for _ in range(3):
        event = record("audit.viewed", actor=None, trust_id=trust)
    assert event.seq == 5
    assert audit_chain_verify(chain_id=trust, full=True).ok


def test_seals_and_head_macs_use_the_key_in_force() -> None:
    """The keyed HMAC is started once per key and copied: a different key still gives a
    different MAC, each the standard library's HMAC of the same message."""
    message = b"audit-head:5:7:" + b"ab" * 32
    for key in ("first-test-key", "second-test-key"):
        with override_settings(CHAPERONE_AUDIT_KEY=key):
            expected = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
            assert head_mac(5, 7, "ab" * 32) == expected
            payload = '{"v":2}'
            sealed = hmac.new(key.encode(), bytes(32) + payload.encode(), hashlib.sha256)
            assert seal_hash(5, "0" * 64, payload) == sealed.hexdigest()
