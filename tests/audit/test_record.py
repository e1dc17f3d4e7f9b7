"""record(): the chain it builds, what it takes from the target and actor, and its transaction."""

from __future__ import annotations

import itertools
import json

import pytest
from django.db import transaction

from chaperone.audit.chain import GENESIS_HASH, SERVICE_CHAIN, seal_hash
from chaperone.audit.log import SYSTEM_LABEL, AuditChainBroken, record, record_read
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.registry import UnknownAuditAction
from chaperone.core.context import RequestContext, use_context
from chaperone.people.actors import actor_for_user
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, make_staff

pytestmark = pytest.mark.django_db


def test_each_event_links_to_the_one_before(tenant_a) -> None:
    first = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    second = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    third = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    assert [second.seq, third.seq] == [first.seq + 1, first.seq + 2]
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    for event in (first, second, third):
        assert event.chain_id == tenant_a.trust.pk
        assert event.hash == seal_hash(event.chain_id, event.prev_hash, event.payload)
    head = AuditChainHead.objects.get(pk=tenant_a.trust.pk)
    assert (head.seq, head.hash) == (third.seq, third.hash)


def test_the_first_event_links_to_the_genesis_hash() -> None:
    event = record("auth.logout", actor=None)
    assert (event.chain_id, event.seq) == (SERVICE_CHAIN, 1)
    assert event.prev_hash == GENESIS_HASH


def test_the_payload_is_canonical_json_of_what_is_stored(tenant_a) -> None:
    pupil = PupilFactory(school=tenant_a.school, first_name="Ada", last_name="Lovelace")
    staff = make_staff(tenant_a.school, Role.DSL)
    actor = actor_for_user(staff.user)
    ctx = RequestContext(request_id="r-1", ip_address="192.0.2.7", user_agent="UA/1", via="web")
    with use_context(ctx):
        event = record("pupil.viewed", actor=actor, target=pupil, details={"tab": "contacts"})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.payload == event.payload
    assert stored.payload == json.dumps(
        json.loads(stored.payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    data = json.loads(stored.payload)
    assert data["action"] == "pupil.viewed"
    assert data["target_type"] == "people.pupil"
    assert data["target_id"] == str(pupil.pk)
    assert data["school_id"] == tenant_a.school.pk
    assert data["trust_id"] == tenant_a.trust.pk
    assert data["actor_staff_id"] == staff.pk
    assert data["actor_label"] == staff.full_name
    assert (data["ip_address"], data["user_agent"], data["request_id"], data["via"]) == (
        "192.0.2.7",
        "UA/1",
        "r-1",
        "web",
    )
    assert data["details"] == {"tab": "contacts"}
    assert data["occurred_at"] == stored.occurred_at.isoformat(timespec="microseconds")
    assert stored.target_label == str(pupil)


def test_school_and_trust_come_from_the_target_or_the_school(tenant_a) -> None:
    by_school = record("school.switched", actor=None, target=tenant_a.other_school)
    assert (by_school.school_id, by_school.trust_id) == (
        tenant_a.other_school.pk,
        tenant_a.trust.pk,
    )
    by_id = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    assert by_id.trust_id == tenant_a.trust.pk


def test_system_events_are_labelled_as_the_system_and_default_to_the_cli() -> None:
    event = record("auth.logout", actor=None)
    assert event.actor_label == SYSTEM_LABEL
    assert event.actor_user_id is None
    assert event.via == "cli"


def test_record_read_is_record(tenant_a) -> None:
    pupil = PupilFactory(school=tenant_a.school)
    event = record_read("pupil.viewed", actor=None, target=pupil)
    assert event.action == "pupil.viewed"
    assert event.school_id == tenant_a.school.pk


def test_an_unknown_action_raises_and_writes_nothing() -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(UnknownAuditAction, match=r"pupil\.deleted_by_magic"):
        record("pupil.deleted_by_magic", actor=None)
    assert AuditEvent.objects.count() == before


def test_details_are_stored_as_plain_json(tenant_a) -> None:
    import datetime as dt
    import uuid

    ident = uuid.UUID(int=7)
    event = record(
        "audit.viewed", actor=None, details={"on": dt.date(2025, 9, 1), "id": ident, "n": [1, 2]}
    )
    assert AuditEvent.objects.get(pk=event.pk).details == {
        "on": "2025-09-01",
        "id": str(ident),
        "n": [1, 2],
    }


def test_a_rolled_back_action_takes_its_audit_row_with_it(tenant_a) -> None:
    kept = record("audit.viewed", actor=None)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        pupil = PupilFactory(school=tenant_a.school, first_name="Rolledback")
        record("pupil.viewed", actor=None, target=pupil)
        raise Undo

    assert not AuditEvent.objects.filter(action="pupil.viewed").exists()
    head = AuditChainHead.objects.get(pk=SERVICE_CHAIN)
    assert (head.seq, head.hash) == (kept.seq, kept.hash)
    assert not AuditChainHead.objects.filter(pk=tenant_a.trust.pk).exists()
    following = record("audit.viewed", actor=None)
    assert (following.seq, following.prev_hash) == (kept.seq + 1, kept.hash)


def test_a_missing_head_stops_appends_instead_of_hiding_what_was_cut() -> None:
    """The old code rebuilt a deleted head from the last row left, so cutting the tail and the
    head together passed verification (security review MEDIUM 11, t5)."""
    from tests.audit.helpers import tamper

    record("audit.viewed", actor=None)
    tamper("DELETE FROM audit_auditchainhead", table="audit_auditchainhead")
    with pytest.raises(AuditChainBroken, match="head of audit chain service is missing"):
        record("audit.viewed", actor=None)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2001:0DB8:0000::0001", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("192.0.2.1", "192.0.2.1"),
        ("not an address", None),
    ],
)
def test_ip_addresses_are_stored_as_the_payload_says(given: str, stored: str | None) -> None:
    from chaperone.audit.verify import audit_chain_verify

    with use_context(RequestContext(ip_address=given)):
        event = record("audit.viewed", actor=None)
    assert AuditEvent.objects.get(pk=event.pk).ip_address == stored
    assert json.loads(event.payload)["ip_address"] == stored
    assert audit_chain_verify(chain_id=SERVICE_CHAIN, full=True).ok


def test_record_many_appends_a_batch_per_chain_with_one_head_lock_each(
    tenant_a, tenant_b, django_assert_max_num_queries
) -> None:
    from chaperone.audit.log import AuditEntry, record_many
    from chaperone.audit.verify import audit_verify_all

    pupils = [PupilFactory(school=tenant_a.school) for _ in range(30)]
    entries = [AuditEntry("pupil.viewed", target=p, details={"n": n}) for n, p in enumerate(pupils)]
    entries.insert(10, AuditEntry("audit.viewed", school_id=tenant_b.school.pk))
    # Per chain: lock, (create the head: 4), one INSERT, move the head. Plus the trust lookup.
    with django_assert_max_num_queries(16):
        events = record_many(entries, actor=None)
    assert [e.action for e in events] == [e.action for e in entries]
    in_a = [e for e in events if e.chain_id == tenant_a.trust.pk]
    assert [e.seq for e in in_a] == list(range(1, 31))
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(in_a))
    assert all(e.pk is not None for e in events)
    assert events[10].chain_id == tenant_b.trust.pk
    assert all(result.ok for result in audit_verify_all(full=True))
    head = AuditChainHead.objects.get(pk=tenant_a.trust.pk)
    assert (head.seq, head.hash) == (30, in_a[-1].hash)


def test_record_many_checks_every_action_before_writing_any(tenant_a) -> None:
    from chaperone.audit.log import AuditEntry, record_many

    with pytest.raises(UnknownAuditAction):
        record_many([AuditEntry("audit.viewed"), AuditEntry("no.such_action")], actor=None)
    assert not AuditEvent.objects.exists()


def test_postgresql_appends_in_one_statement_after_this_connections_last_append(
    tenant_a,
) -> None:
    """The head this connection left is moved and the row inserted in one statement; a head
    another writer moved meanwhile makes that statement write nothing, and the append then
    locks and reads the head as usual, so the chain still verifies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chaperone.audit.verify import audit_chain_verify

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    trust = tenant_a.trust.pk
    first = record("audit.viewed", actor=None, trust_id=trust)
    with CaptureQueriesContext(connection) as queries:
        second = record("audit.viewed", actor=None, trust_id=trust)
    assert len(queries) == 1 and second.seq == first.seq + 1
    heads = transaction.get_connection().__dict__["_audit_heads"]
    heads[first.chain_id] = (first.seq, first.hash)  # stale: another writer moved it since
    third = record("audit.viewed", actor=None, trust_id=trust)
    assert (third.seq, third.prev_hash) == (second.seq + 1, second.hash)
    assert audit_chain_verify(chain_id=first.chain_id, full=True).ok


def test_postgresql_appends_through_one_prepared_statement_unless_pooled(tenant_a) -> None:
    """The one-statement append is prepared on the server once per connection; with
    DISABLE_SERVER_SIDE_CURSORS (PgBouncer in transaction mode) nothing is prepared. Either way
    the chain verifies."""
    from django.db import connection

    from chaperone.audit.verify import audit_chain_verify

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return int(cursor.fetchone()[0])

    trust = tenant_a.trust.pk
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        before = prepared()
        for _ in range(3):
            record("audit.viewed", actor=None, trust_id=trust)
        assert prepared() == before
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    for _ in range(3):
        event = record("audit.viewed", actor=None, trust_id=trust)
    assert prepared() in (before, before + 1)  # prepared once, on this connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        assert any("WITH moved AS" in row[0] for row in cursor.fetchall())
    assert audit_chain_verify(chain_id=event.chain_id, full=True).ok
