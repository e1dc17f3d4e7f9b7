"""Monthly partitions on PostgreSQL: created ahead, retired after retention only when nothing in
them is still needed; a full check of what is left starts after the retired rows."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from chaperone.audit.anchors import RETAINED, last_anchor
from chaperone.audit.log import AuditEntry, record, record_many
from chaperone.audit.partitions import (
    DEFAULT_PARTITION,
    TABLE,
    PartitionRefused,
    create_partition_sql,
    is_partitioned,
    partition_name,
    partitions,
    partitions_ensure,
    partitions_retire,
)
from chaperone.audit.services import audit_chains_anchor
from chaperone.audit.verify import audit_chain_verify

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = dt.date(2015, 1, 1), dt.date(2015, 2, 1), dt.date(2015, 3, 1)


@pytest.fixture(autouse=True)
def postgres_only(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps one audit table")
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path


def _record_on(day: dt.date, monkeypatch, **kwargs):
    when = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: when)
        return record("audit.viewed", actor=None, **kwargs)


def test_the_table_is_partitioned_and_the_coming_months_exist() -> None:
    assert is_partitioned()
    today = dt.datetime.now(dt.UTC).date().replace(day=1)
    names = {p.name for p in partitions()}
    assert partition_name(today) in names
    assert partitions_ensure(months_ahead=2) == []
    created = partitions_ensure(months_ahead=6)
    assert len(created) == 3 and set(created) <= {p.name for p in partitions()}


def test_old_months_are_retired_only_when_nothing_in_them_is_needed(
    tenant_a, tenant_b, monkeypatch
) -> None:
    with connection.cursor() as cursor:
        for month in (JAN, FEB):
            cursor.execute(create_partition_sql(month))
    trust = tenant_a.trust.pk
    january = [_record_on(dt.date(2015, 1, 10), monkeypatch, trust_id=trust) for _ in range(3)]
    [_record_on(dt.date(2015, 2, 10), monkeypatch, trust_id=trust) for _ in range(2)]
    record("audit.viewed", actor=None, trust_id=trust)
    only_in_february = _record_on(dt.date(2015, 2, 11), monkeypatch, trust_id=tenant_b.trust.pk)

    with pytest.raises(PartitionRefused, match="Retention keeps 84 months"):
        partitions_retire(before=dt.datetime.now(dt.UTC).date())
    with pytest.raises(PartitionRefused, match="never anchored"):
        partitions_retire(before=FEB)

    audit_chains_anchor()
    assert partitions_retire(before=FEB, dry_run=True) == [partition_name(JAN)]
    assert partition_name(JAN) in {p.name for p in partitions()}
    assert partitions_retire(before=FEB) == [partition_name(JAN)]
    assert partition_name(JAN) not in {p.name for p in partitions()}
    retained = last_anchor(trust, kind=RETAINED)
    assert (retained.seq, retained.hash) == (january[-1].seq, january[-1].hash)
    result = audit_chain_verify(chain_id=trust, full=True)
    assert (result.ok, result.rows, result.from_seq) == (True, 3, january[-1].seq + 1)

    with pytest.raises(PartitionRefused, match=f"last entry of chain trust:{tenant_b.trust.pk}"):
        partitions_retire(before=MAR)
    assert last_anchor(only_in_february.chain_id).seq == only_in_february.seq


def test_the_partitions_command_reports_refusals_as_messages(tenant_a) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "partitions", "retire", "--before", "2999-01", stderr=out)
    assert exit_.value.code == 1 and "Refused: Retention keeps" in out.getvalue()


def _tables_with_school_trust_statistics() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.stxrelid::regclass::text FROM pg_statistic_ext s "
            "WHERE 'f' = ANY(s.stxkind) AND (SELECT array_agg(a.attname::text ORDER BY a.attname) "
            "FROM pg_attribute a WHERE a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)) "
            "= ARRAY['school_id', 'trust_id']"
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_partition_tells_the_planner_that_a_school_lies_in_one_trust() -> None:
    created = partitions_ensure(months_ahead=6)
    assert created
    tables = {TABLE, DEFAULT_PARTITION, *(p.name for p in partitions())}
    assert tables <= _tables_with_school_trust_statistics()


def test_the_planner_expects_a_schools_rows_however_many_schools_there_are() -> None:
    # 100 schools in 50 trusts, 40 rows each. Taking trust and school as independent, the
    # planner would expect 4,000 x 1/50 x 1/100 = 1 row of one school, and so sort a school's
    # whole history for a page of its log rather than read the page off the index.
    entries = [
        AuditEntry("audit.viewed", school_id=school, trust_id=10_000 + school // 2)
        for school in range(2, 102)
        for _ in range(40)
    ]
    month = record_many(entries, actor=None)[0].occurred_at.astimezone(dt.UTC).date()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT id FROM {partition_name(month)} "
            "WHERE trust_id = %s AND school_id = %s",
            [10_001, 2],
        )
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    assert plan[0]["Plan"]["Plan Rows"] >= 20
