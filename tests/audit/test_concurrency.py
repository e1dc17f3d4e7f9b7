"""Writers in one chain cannot fork it, and writers in different trusts never wait for each
other (needs PostgreSQL: real concurrent transactions and row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from chaperone.audit.chain import SERVICE_CHAIN
from chaperone.audit.log import record
from chaperone.audit.models import AuditEvent
from chaperone.audit.verify import audit_chain_verify

WRITERS = 4
EACH = 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; this checks PostgreSQL row locking")
    before = AuditEvent.objects.count()
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for n in range(EACH):
                with transaction.atomic():
                    record("audit.viewed", actor=None, details={"n": n})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() - before == WRITERS * EACH
    result = audit_chain_verify(chain_id=SERVICE_CHAIN, full=True)
    assert result.ok, result.summary()
    assert result.rows == WRITERS * EACH


def _append_with_lock_timeout(trust_id: int, timeout: str) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
        record("audit.viewed", actor=None, trust_id=trust_id)


@pytest.mark.django_db(transaction=True)
def test_a_writer_in_one_trust_does_not_wait_for_another_trusts_lock(tenant_a, tenant_b) -> None:
    """One connection holds trust A's chain head (a transaction that recorded an event and has
    not committed). Another trust's append completes meanwhile; an append to trust A itself
    queues behind the lock (and here gives up after its lock timeout)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time by design; this checks PostgreSQL")
    trust_a, trust_b = tenant_a.trust.pk, tenant_b.trust.pk
    for trust in (trust_a, trust_b):
        record("audit.viewed", actor=None, trust_id=trust)
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_trust_a() -> None:
        try:
            with transaction.atomic():
                record("audit.viewed", actor=None, trust_id=trust_a)
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
        locked.wait(timeout=60)
        _append_with_lock_timeout(trust_b, "10s")
        with pytest.raises(OperationalError, match="lock timeout"):
            _append_with_lock_timeout(trust_a, "200ms")
    finally:
        release.set()
        holder.join()
    assert errors == []
    counts = {t: AuditEvent.objects.filter(chain_id=t).count() for t in (trust_a, trust_b)}
    assert counts == {trust_a: 2, trust_b: 2}
    for trust in (trust_a, trust_b):
        assert audit_chain_verify(chain_id=trust, full=True).ok


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_empty_the_audit_tables() -> None:
    """The test runner's flush between transactional tests must get past the triggers."""
    record("audit.viewed", actor=None)
    assert AuditEvent.objects.count() == 1
