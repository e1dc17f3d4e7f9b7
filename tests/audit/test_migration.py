"""Migrating a log written as one chain (before migration audit.0003) keeps all of it
verifiable: the old rows become the closed legacy chain, new rows go to per-trust chains."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chaperone.audit.chain import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    LEGACY_PAYLOAD_FIELDS,
    build_payload,
    canonical_json,
    link_hash,
)
from chaperone.audit.log import record
from chaperone.audit.partitions import DEFAULT_PARTITION, partitions
from chaperone.audit.verify import PAYLOAD_MISMATCH, _Checker, audit_chain_verify, audit_verify_all
from tests.audit.helpers import tamper

BEFORE = [("audit", "0002_append_only_triggers")]
ROWS = 25


def _write_one_chain_log(rows: int) -> list[tuple[int, str]]:
    """Rows exactly as the single-chain record() wrote them: format 1, sha256, head id 1."""
    start = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
    prev, written = GENESIS_HASH, []
    columns = (*LEGACY_PAYLOAD_FIELDS, "payload", "hash")
    sql = (
        f"INSERT INTO audit_auditevent ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for seq in range(1, rows + 1):
            fields = {
                "seq": seq,
                "occurred_at": start + dt.timedelta(days=seq * 3, microseconds=seq),
                "action": "pupil.viewed",
                "actor_user_id": seq,
                "actor_staff_id": seq,
                "actor_label": f"Staff {seq}",
                "trust_id": 1 + seq % 2,
                "school_id": seq % 3 or None,
                "target_type": "people.pupil",
                "target_id": str(seq),
                "target_label": f"Pupil {seq}",
                "ip_address": "192.0.2.1",
                "user_agent": "UA/1",
                "request_id": f"r-{seq}",
                "via": "web",
                "details": {"tab": "contacts"},
                "prev_hash": prev,
            }
            payload = build_payload(fields, legacy=True)
            row_hash = link_hash(prev, payload)
            values = [fields[name] for name in LEGACY_PAYLOAD_FIELDS]
            values[1] = connection.ops.adapt_datetimefield_value(fields["occurred_at"])
            values[15] = canonical_json(fields["details"])
            cursor.execute(sql, [*values, payload, row_hash])
            written.append((seq, row_hash))
            prev = row_hash
        cursor.execute(
            "INSERT INTO audit_auditchainhead (id, seq, hash) VALUES (1, %s, %s)", [rows, prev]
        )
    return written


@pytest.mark.django_db(transaction=True)
def test_migrating_one_chain_keeps_the_whole_history_verifiable(
    tenant_a, settings, tmp_path, monkeypatch
):
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "audit"]
    executor.migrate(BEFORE)
    try:
        written = _write_one_chain_log(ROWS)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    # The database checks the legacy rows' columns itself (format 1 has its own key set).
    def no_python(*args, **kwargs):
        raise AssertionError("Python compared a row")

    with monkeypatch.context() as patched:
        patched.setattr(_Checker, "_columns_match", no_python)
        legacy = audit_chain_verify(chain_id=LEGACY_CHAIN, full=True)
    assert (legacy.ok, legacy.rows, legacy.head_hash) == (True, ROWS, written[-1][1])
    if connection.vendor == "postgresql":
        # The old rows now sit in monthly partitions, none in the default one.
        assert partitions()[0].month == dt.date(2026, 9, 1)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {DEFAULT_PARTITION}")
            assert cursor.fetchone()[0] == 0

    # New events go to their trust's chain and number on after the legacy rows, so a school's
    # events stay in seq order across the migration.
    event = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    assert (event.chain_id, event.seq) == (tenant_a.trust.pk, ROWS + 1)
    assert all(result.ok for result in audit_verify_all(full=True))

    tamper(
        "UPDATE audit_auditevent SET payload = replace(payload, 'Staff 7', 'Staff 8') "
        "WHERE chain_id = %s AND seq = 7",
        [LEGACY_CHAIN],
    )
    broken = audit_chain_verify(chain_id=LEGACY_CHAIN, full=True)
    assert (broken.ok, broken.broken_seq, broken.reason) == (False, 7, PAYLOAD_MISMATCH)
    assert "legacy at seq 7" in broken.summary()
