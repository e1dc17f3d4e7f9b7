"""Audit rows cannot be changed or removed: not through the ORM, not with raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from chaperone.audit.log import record
from chaperone.audit.models import AuditChainHead, AuditEvent, AuditLogIsAppendOnly

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    record("audit.viewed", actor=None)
    return record("audit.viewed", actor=None, details={"n": 1})


def test_saving_an_existing_event_is_refused(event) -> None:
    event.actor_label = "Someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    loaded = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(AuditLogIsAppendOnly):
        loaded.save()


def test_deleting_an_event_is_refused(event) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused(event) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="auth.login")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_update([event], ["actor_label"])
    assert AuditEvent.objects.get(pk=event.pk).action == "audit.viewed"


def test_writing_an_event_other_than_through_record_is_refused() -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.create(seq=999, action="audit.viewed", actor_label="x", via="web")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_create([AuditEvent(seq=999, action="audit.viewed", via="web")])
    assert not AuditEvent.objects.filter(seq=999).exists()


def _raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET actor_label = 'Someone else' WHERE id = %s",
        "UPDATE audit_auditevent SET payload = payload || ' ' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_changes(event, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_label, stored.payload) == (event.actor_label, event.payload)


def test_the_chain_head_only_moves_forward(event) -> None:
    with pytest.raises(DatabaseError, match="only moves forward"):
        _raw("UPDATE audit_auditchainhead SET seq = seq - 1, hash = 'x'")
    with pytest.raises(DatabaseError, match="cannot be deleted"):
        _raw("DELETE FROM audit_auditchainhead")
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (event.seq, event.hash)
