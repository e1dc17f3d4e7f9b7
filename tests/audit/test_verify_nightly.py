"""The nightly check of every anchored chain in one pass (``audit_verify_all`` without ``full``,
and the anchor job): it must pass what the chain-by-chain check passes, and every fault after an
anchor must still be reported at its chain and row, exactly as the chain-by-chain check names it.
Also the PostgreSQL column check that writes the payload's text from the columns: values it
cannot write unescaped are compared the slow way, and edits made to look alike are still found.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.db import connection

from chaperone.audit import verify
from chaperone.audit.chain import canonical_json, head_mac, seal_hash
from chaperone.audit.log import record
from chaperone.audit.models import AuditEvent
from chaperone.audit.services import audit_chains_anchor
from chaperone.audit.verify import (
    ANCHOR_DIFFERS,
    ANCHOR_ROW_MISSING,
    COLUMNS_DIFFER,
    HEAD_MAC_MISMATCH,
    IDS_OUT_OF_ORDER,
    PAYLOAD_MISMATCH,
    SEQUENCE_GAP,
    TAIL_MISSING,
    audit_chain_verify,
    audit_verify_all,
)
from tests.audit.helpers import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def chains(tenant_a, tenant_b, settings, tmp_path) -> dict[str, list[AuditEvent]]:
    """Two trusts' chains, anchored after 4 rows each, then 6 rows more each."""
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path / "anchors"

    def rows(tenant, count: int, first: int) -> list[AuditEvent]:
        return [
            record("audit.viewed", actor=None, school_id=tenant.school.pk, details={"n": n})
            for n in range(first, first + count)
        ]

    a, b = rows(tenant_a, 4, 0), rows(tenant_b, 4, 0)
    assert all(o.verification.ok for o in audit_chains_anchor())
    return {"a": a + rows(tenant_a, 6, 4), "b": b + rows(tenant_b, 6, 4)}


def _by_chain() -> dict[int, verify.ChainVerification]:
    return {r.chain_id: r for r in audit_verify_all()}


def _one_pass(chain_ids: list[int]) -> set[int]:
    """The chains the one-pass check passes by itself."""
    return set(verify._since_anchors(chain_ids, "default"))


def test_the_one_pass_check_reports_what_the_chain_by_chain_check_does(chains) -> None:
    a, b = chains["a"], chains["b"]
    ids = [a[0].chain_id, b[0].chain_id]
    assert _one_pass(ids) == set(ids)
    for result in audit_verify_all():
        alone = audit_chain_verify(chain_id=result.chain_id)
        assert result == alone
        assert (result.ok, result.rows, result.from_seq) == (True, 6, a[4].seq)
    assert verify._since_anchors(ids, "default")[a[0].chain_id] == audit_chain_verify(
        chain_id=a[0].chain_id
    )


def test_the_one_pass_check_reads_across_fetches(chains, monkeypatch) -> None:
    """Rows come 5,000 at a time, the next fetched while these are sealed: a fault in a later
    fetch is found, and the chains around it pass."""
    monkeypatch.setattr(verify, "FETCH_SIZE", 3)
    a, b = chains["a"], chains["b"]
    assert _one_pass([a[0].chain_id, b[0].chain_id]) == {a[0].chain_id, b[0].chain_id}
    _delete(a[8])
    assert _one_pass([a[0].chain_id, b[0].chain_id]) == {b[0].chain_id}
    assert _by_chain()[a[0].chain_id].broken_seq == a[9].seq


def test_the_one_pass_check_compares_the_columns_in_the_database(chains, monkeypatch) -> None:
    def no_python(*args, **kwargs):
        raise AssertionError("Python compared a row")

    monkeypatch.setattr(verify._Checker, "_columns_match", no_python)
    monkeypatch.setattr(verify._Checker, "_row_matches", no_python)
    assert all(r.ok for r in audit_verify_all())


def test_the_anchor_job_anchors_from_the_one_pass_check(chains) -> None:
    outcomes = audit_chains_anchor()
    assert [o.status for o in outcomes] == ["anchored", "anchored"]
    assert {o.anchor.seq for o in outcomes if o.anchor} == {
        chains["a"][-1].seq,
        chains["b"][-1].seq,
    }


def _edit_payload(row: AuditEvent) -> None:
    forged = row.payload.replace('"n":', '"n":1')
    tamper("UPDATE audit_auditevent SET payload = %s WHERE id = %s", [forged, row.pk])


def _edit_column(row: AuditEvent) -> None:
    tamper("UPDATE audit_auditevent SET actor_label = 'Someone' WHERE id = %s", [row.pk])


def _delete(row: AuditEvent) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])


def _rehash(row: AuditEvent) -> None:
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["ab" * 32, row.pk])


def _move_to_last_year(row: AuditEvent) -> None:
    """On PostgreSQL the row moves to an older month's partition (or the default one)."""
    earlier = connection.ops.adapt_datetimefield_value(row.occurred_at - dt.timedelta(days=400))
    tamper("UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s", [earlier, row.pk])


def _swap_ids(row: AuditEvent) -> None:
    after = AuditEvent.objects.get(chain_id=row.chain_id, seq=row.seq + 1)
    tamper("UPDATE audit_auditevent SET id = -1 WHERE id = %s", [row.pk])
    tamper("UPDATE audit_auditevent SET id = %s WHERE id = %s", [row.pk, after.pk])
    tamper("UPDATE audit_auditevent SET id = %s WHERE id = -1", [after.pk])


def _cut_tail(row: AuditEvent) -> None:
    tamper(
        "DELETE FROM audit_auditevent WHERE chain_id = %s AND seq >= %s", [row.chain_id, row.seq]
    )


def _edit_anchored_row(row: AuditEvent) -> None:
    anchored = AuditEvent.objects.get(chain_id=row.chain_id, seq=row.seq - 4)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["cd" * 32, anchored.pk])


def _delete_anchored_row(row: AuditEvent) -> None:
    tamper(
        "DELETE FROM audit_auditevent WHERE chain_id = %s AND seq = %s",
        [row.chain_id, row.seq - 4],
    )


def _move_head(row: AuditEvent) -> None:
    tamper(
        "UPDATE audit_auditchainhead SET seq = seq + 1 WHERE id = %s",
        [row.chain_id],
        table="audit_auditchainhead",
    )


def _duplicate_in_last_year(row: AuditEvent) -> None:
    """A second row with the same chain and seq, sealed with the key, in an older month."""
    earlier = connection.ops.adapt_datetimefield_value(row.occurred_at - dt.timedelta(days=400))
    tamper(
        "INSERT INTO audit_auditevent (chain_id, seq, occurred_at, action, actor_label, trust_id,"
        " school_id, target_type, target_id, target_label, user_agent, request_id, via, details,"
        " payload, prev_hash, hash) SELECT chain_id, seq, %s, action, actor_label, trust_id,"
        " school_id, target_type, target_id, target_label, user_agent, request_id, via, details,"
        " payload, prev_hash, hash FROM audit_auditevent WHERE id = %s",
        [earlier, row.pk],
    )


TAMPERS: dict[str, tuple[Callable[[AuditEvent], None], int, str | tuple[str, ...]]] = {
    # what is done to row 7 of chain a (the anchor is at row 3): the row reported, the reason
    "payload edited": (_edit_payload, 7, PAYLOAD_MISMATCH),
    "column edited": (_edit_column, 7, COLUMNS_DIFFER),
    "row deleted": (_delete, 8, SEQUENCE_GAP),
    "hash replaced": (_rehash, 7, PAYLOAD_MISMATCH),
    "row moved to an older month": (_move_to_last_year, 7, COLUMNS_DIFFER),
    "ids swapped": (_swap_ids, 8, IDS_OUT_OF_ORDER),
    "tail cut": (_cut_tail, 7, TAIL_MISSING),
    "anchored row changed": (_edit_anchored_row, 3, ANCHOR_DIFFERS),
    "anchored row deleted": (_delete_anchored_row, 3, ANCHOR_ROW_MISSING),
    "head moved without the key": (_move_head, 10, HEAD_MAC_MISMATCH),
    # the copy or the row itself comes first in seq order: either is a fault at seq 7
    "duplicate row in an older month": (_duplicate_in_last_year, 7, (SEQUENCE_GAP, COLUMNS_DIFFER)),
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_a_fault_after_the_anchor_is_reported_at_its_chain_and_row(chains, kind: str) -> None:
    a, b = chains["a"], chains["b"]
    action, index, reason = TAMPERS[kind]
    if kind.startswith("duplicate") and connection.vendor == "sqlite":
        pytest.skip("SQLite's table is not partitioned: (chain, seq) is unique in it")
    action(a[7])
    results = _by_chain()
    assert results[b[0].chain_id].ok and results[b[0].chain_id].rows == 6
    broken = results[a[0].chain_id]
    assert not broken.ok
    assert broken == audit_chain_verify(chain_id=a[0].chain_id)
    assert broken.reason.startswith(reason), broken.summary()
    seq = a[index].seq if index < len(a) else a[-1].seq + 1
    assert broken.broken_seq == seq
    assert _one_pass([a[0].chain_id, b[0].chain_id]) == {b[0].chain_id}


def test_an_old_row_edited_before_the_anchor_is_for_the_full_check(chains) -> None:
    a = chains["a"]
    tamper("UPDATE audit_auditevent SET actor_label = 'X' WHERE id = %s", [a[1].pk])
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [a[2].pk])
    assert all(r.ok for r in audit_verify_all())
    full = {r.chain_id: r for r in audit_verify_all(full=True)}[a[0].chain_id]
    assert (full.broken_seq, full.broken_id, full.reason) == (a[1].seq, a[1].pk, COLUMNS_DIFFER)


def test_a_chain_without_an_anchor_is_checked_from_its_start(chains, tenant_a) -> None:
    service = [record("audit.viewed", actor=None) for _ in range(3)]
    results = _by_chain()
    assert (results[0].ok, results[0].rows, results[0].from_seq) == (True, 3, None)
    tamper("UPDATE audit_auditevent SET via = 'task' WHERE id = %s", [service[1].pk])
    assert (_by_chain()[0].broken_id, _by_chain()[0].reason) == (service[1].pk, COLUMNS_DIFFER)


# --- values the database cannot write out unescaped, and edits made to look alike ---------------

AWKWARD = {
    "quote in a label": {"actor_label": 'O"Brien'},
    "backslash and newline": {"target_label": "line\\one\nline two"},
    "control character": {"target_label": "bell\u0007"},
    "non-ASCII": {"target_label": "Zoë 😀 Ångström"},
    "nested details": {"details": {"b": [1, {"c": None}], "a": "x"}},
    "float in details": {"details": {"ratio": 0.1, "big": 1e21}},
    "escaped details": {"details": {"q": 'say "hi"\\', "ü": "\u2028"}},
    "IPv6 address": {"ip_address": "2001:db8::1"},
    "IPv4 address": {"ip_address": "192.168.10.20"},
    "no address": {"ip_address": None},
}


def _resealed(chain: list[AuditEvent], values: dict[str, object]) -> AuditEvent:
    """A new last row of ``chain`` holding ``values`` in its columns and payload, sealed with
    the key (as record() would have written them, for fields record() does not take)."""
    event = record("audit.viewed", actor=None, school_id=chain[0].school_id, details={"n": 1})
    data = json.loads(event.payload)
    data.update(values)
    payload = canonical_json(data)
    new_hash = seal_hash(event.chain_id, event.prev_hash, payload)
    columns = {
        name: canonical_json(value) if name == "details" else value
        for name, value in values.items()
    }
    assignments = "".join(f"{name} = %s, " for name in columns)
    tamper(
        f"UPDATE audit_auditevent SET {assignments}payload = %s, hash = %s WHERE id = %s",
        [*columns.values(), payload, new_hash, event.pk],
    )
    tamper(
        "UPDATE audit_auditchainhead SET hash = %s, mac = %s WHERE id = %s",
        [new_hash, head_mac(event.chain_id, event.seq, new_hash), event.chain_id],
        table="audit_auditchainhead",
    )
    return event


@pytest.mark.parametrize("kind", list(AWKWARD))
def test_awkward_values_pass_the_database_check(chains, kind: str, monkeypatch) -> None:
    event = _resealed(chains["a"], AWKWARD[kind])

    def no_python(*args, **kwargs):
        raise AssertionError("Python compared a row")

    monkeypatch.setattr(verify._Checker, "_columns_match", no_python)
    monkeypatch.setattr(verify._Checker, "_row_matches", no_python)
    assert all(r.ok for r in audit_verify_all()), [r.summary() for r in audit_verify_all()]
    assert audit_chain_verify(chain_id=event.chain_id, full=True).ok


LOOKALIKES = {
    # (what the row really recorded, the column edited to a value whose raw text looks alike)
    "escaped quote": ({"actor_label": 'a"b'}, "actor_label", 'a\\"b'),
    "escaped newline": ({"target_label": "a\nb"}, "target_label", "a\\nb"),
    "escaped backslash": ({"target_label": "a\\b"}, "target_label", "a\\\\b"),
    "label absorbing the next member": ({"actor_label": "a"}, "actor_label", 'a","x":"'),
    "address widened to a network": ({}, "ip_address", "10.0.0.1/24"),
    "number as text in details": ({}, "details", '{"n": "1"}'),
    "details nested deeper": ({}, "details", '{"n": [1]}'),
    "empty text as null": ({}, "target_id", None),
}


@pytest.mark.parametrize("kind", list(LOOKALIKES))
def test_a_column_edited_to_look_alike_is_still_found(chains, kind: str) -> None:
    really, column, forged = LOOKALIKES[kind]
    event = _resealed(chains["a"], {"ip_address": "10.0.0.1", **really})
    assert audit_chain_verify(chain_id=event.chain_id).ok
    if connection.vendor == "sqlite" and (forged is None or column == "ip_address"):
        pytest.skip("SQLite keeps NOT NULL, and stores the address as text compared as text")
    if forged is None:
        tamper(f"ALTER TABLE audit_auditevent ALTER COLUMN {column} DROP NOT NULL")
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [forged, event.pk])
    result = _by_chain()[event.chain_id]
    assert (result.ok, result.broken_id, result.reason) == (False, event.pk, COLUMNS_DIFFER)


def test_postgresql_reads_the_common_row_without_parsing_its_payload(chains) -> None:
    """The text check covers every row record() writes here; a quote in a label falls to the
    typed record, which passes it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite rebuilds the payload with json_object()")
    from chaperone.audit.chain import PAYLOAD_FIELDS, PAYLOAD_VERSION

    joined, written = verify._pg_written(PAYLOAD_FIELDS, PAYLOAD_VERSION)
    quoted = _resealed(chains["a"], {"actor_label": 'O"Brien', "ip_address": "10.1.2.3"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id FROM audit_auditevent e {joined} "
            f"WHERE e.chain_id <> -1 AND NOT COALESCE({written}, false)"
        )
        assert [row[0] for row in cursor.fetchall()] == [quoted.pk]
    assert all(r.ok for r in audit_verify_all())
