"""audit_chain_verify() and ``chaperone audit verify``: tampering is found at the right chain and
row, including every tamper of the security review's table E."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chaperone.audit.anchors import Anchor, write_anchor
from chaperone.audit.chain import head_mac, link_hash, seal_hash
from chaperone.audit.log import record
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.verify import (
    ANCHOR_ROW_MISSING,
    COLUMNS_DIFFER,
    COLUMNS_UNREADABLE,
    EXPECTED_HEAD_DIFFERS,
    HEAD_MAC_MISMATCH,
    HEAD_MISSING,
    IDS_OUT_OF_ORDER,
    NOT_HEX,
    PAYLOAD_MISMATCH,
    PREV_HASH_UNLINKED,
    SEQUENCE_GAP,
    TAIL_MISSING,
    audit_chain_verify,
    audit_verify_all,
)
from tests.audit.helpers import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(tenant_a, settings, tmp_path) -> list[AuditEvent]:
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    trust = tenant_a.trust.pk
    return [record("audit.viewed", actor=None, trust_id=trust, details={"n": n}) for n in range(10)]


def _verify(chain: list[AuditEvent], **kwargs):
    return audit_chain_verify(chain_id=chain[0].chain_id, **kwargs)


def _command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _label(event: AuditEvent) -> str:
    return f"trust:{event.chain_id}"


def test_an_untouched_chain_verifies(chain) -> None:
    result = _verify(chain)
    assert result.ok
    assert result.rows == len(chain)
    assert (result.head_seq, result.head_hash) == (chain[-1].seq, chain[-1].hash)
    code, out = _command("verify")
    assert code == 0
    assert out.strip() == (
        f"OK {_label(chain[0])}: {len(chain)} rows verified, head {chain[-1].seq}:{chain[-1].hash}"
    )


def test_an_empty_log_verifies() -> None:
    assert audit_verify_all() == []
    assert _command("verify") == (0, "OK: the audit log is empty\n")


def test_an_edited_payload_breaks_the_chain_at_that_row(chain) -> None:
    victim = chain[4]
    forged = victim.payload.replace('"n":4', '"n":40')
    tamper("UPDATE audit_auditevent SET payload = %s WHERE id = %s", [forged, victim.pk])
    result = _verify(chain)
    assert (result.ok, result.broken_seq, result.broken_id) == (False, victim.seq, victim.pk)
    assert result.reason == PAYLOAD_MISMATCH
    code, out = _command("verify")
    assert code == 1
    assert out.strip() == (
        f"BROKEN {_label(victim)} at seq {victim.seq} (id {victim.pk}): payload hash mismatch"
    )


def test_a_tampered_row_in_one_chain_is_reported_with_its_chain_and_row(chain, tenant_b) -> None:
    other = [record("audit.viewed", actor=None, school_id=tenant_b.school.pk) for _ in range(3)]
    victim = chain[2]
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["ab" * 32, victim.pk])
    results = {r.chain_id: r for r in audit_verify_all()}
    assert results[other[0].chain_id].ok and results[other[0].chain_id].rows == 3
    broken = results[victim.chain_id]
    assert (broken.ok, broken.broken_seq, broken.broken_id) == (False, victim.seq, victim.pk)
    code, out = _command("verify")
    assert code == 1
    assert f"OK trust:{tenant_b.trust.pk}: 3 rows verified" in out
    assert f"BROKEN {_label(victim)} at seq {victim.seq} (id {victim.pk})" in out
    assert _command("verify", "--trust", str(tenant_b.trust.pk))[0] == 0


def test_a_payload_rehashed_without_the_key_does_not_verify(chain) -> None:
    """Plain sha256 was enough to forge a row before (t9 without the key)."""
    victim = chain[3]
    forged = victim.payload.replace('"n":3', '"n":33')
    tamper(
        "UPDATE audit_auditevent SET payload = %s, hash = %s WHERE id = %s",
        [forged, link_hash(victim.prev_hash, forged), victim.pk],
    )
    result = _verify(chain)
    assert (result.broken_seq, result.reason) == (victim.seq, PAYLOAD_MISMATCH)


def test_a_row_resealed_with_the_key_breaks_the_link_to_the_next_row(chain) -> None:
    victim = chain[3]
    forged = victim.payload.replace('"n":3', '"n":33')
    tamper(
        "UPDATE audit_auditevent SET payload = %s, hash = %s, details = %s WHERE id = %s",
        [forged, seal_hash(victim.chain_id, victim.prev_hash, forged), '{"n": 33}', victim.pk],
    )
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id) == (chain[4].seq, chain[4].pk)
    assert result.reason == PREV_HASH_UNLINKED


def test_a_deleted_row_in_the_middle_is_a_sequence_gap(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[5].pk])
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id) == (chain[6].seq, chain[6].pk)
    assert result.reason.startswith(SEQUENCE_GAP)


def test_rows_cut_off_the_end_are_noticed_through_the_head(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[8].seq])
    result = _verify(chain)
    assert (result.ok, result.broken_seq) == (False, chain[8].seq)
    assert result.reason.startswith(TAIL_MISSING)


def test_t2_a_column_edited_behind_the_payload_fails_the_default_check(chain) -> None:
    """Only --deep caught this before (MEDIUM 11, t2)."""
    victim = chain[2]
    tamper(
        "UPDATE audit_auditevent SET actor_label = %s, target_label = %s WHERE id = %s",
        ["Someone", "Something", victim.pk],
    )
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id, result.reason) == (
        victim.seq,
        victim.pk,
        COLUMNS_DIFFER,
    )
    assert _command("verify")[0] == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [("prev_hash", "cd" * 32), ("school_id", 999), ("chain_id_note", None)],
)
def test_every_stored_column_is_covered(chain, column: str, value: object) -> None:
    victim = chain[7]
    if column == "chain_id_note":
        # Moving a row into another chain leaves a gap in its own and a row the other cannot seal.
        tamper("UPDATE audit_auditevent SET chain_id = 0 WHERE id = %s", [victim.pk])
        assert _verify(chain).reason.startswith(SEQUENCE_GAP)
        assert not audit_chain_verify(chain_id=0).ok
        return
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, victim.pk])
    assert (_verify(chain).broken_seq, _verify(chain).reason) == (victim.seq, COLUMNS_DIFFER)


def test_t5_deleting_the_tail_and_the_head_is_caught(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[5].seq])
    tamper("DELETE FROM audit_auditchainhead", table="audit_auditchainhead")
    result = _verify(chain)
    assert (result.ok, result.broken_seq, result.reason) == (False, chain[4].seq, HEAD_MISSING)


def test_t5_with_a_rebuilt_head_is_caught_by_its_mac(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[5].seq])
    tamper(
        "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE id = %s",
        [chain[4].seq, chain[4].hash, chain[0].chain_id],
        table="audit_auditchainhead",
    )
    assert _verify(chain).reason == HEAD_MAC_MISMATCH


def test_t6_truncation_with_a_replayed_old_head_is_caught_by_the_anchor(chain) -> None:
    """An old head row (with its valid MAC) put back after cutting the tail: only an anchor
    kept outside the database can tell, and the daily anchor does."""
    old = (chain[4].seq, chain[4].hash, head_mac(chain[0].chain_id, chain[4].seq, chain[4].hash))
    assert _command("anchor")[0] == 0
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[5].seq])
    tamper("DELETE FROM audit_auditchainhead", table="audit_auditchainhead")
    tamper(
        "INSERT INTO audit_auditchainhead (id, seq, hash, mac) VALUES (%s, %s, %s, %s)",
        [chain[0].chain_id, *old],
        table="audit_auditchainhead",
    )
    result = _verify(chain)
    assert (result.ok, result.broken_seq) == (False, chain[-1].seq)
    assert result.reason.startswith(ANCHOR_ROW_MISSING)
    assert not _verify(chain, full=True).ok


def test_t7_swapped_ids_are_caught(chain) -> None:
    """LOW 18: the id order must agree with the seq order."""
    a, b = chain[5], chain[6]
    tamper("UPDATE audit_auditevent SET id = -1 WHERE id = %s", [a.pk])
    tamper("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    tamper("UPDATE audit_auditevent SET id = %s WHERE id = -1", [b.pk])
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id, result.reason) == (b.seq, a.pk, IDS_OUT_OF_ORDER)


def test_t10_a_forged_append_after_the_anchored_head_is_caught(chain) -> None:
    """Before, a row with a correct sha256 hash and a moved head passed even --expect."""
    assert _command("anchor")[0] == 0
    last = chain[-1]
    data = json.loads(last.payload)
    data.update(seq=last.seq + 1, prev_hash=last.hash, actor_label="Forger")
    forged = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    forged_hash = link_hash(last.hash, forged)
    tamper(
        "INSERT INTO audit_auditevent (chain_id, seq, occurred_at, action, actor_label, trust_id,"
        " target_type, target_id, target_label, user_agent, request_id, via, details, payload,"
        " prev_hash, hash) SELECT chain_id, seq + 1, occurred_at, action, 'Forger', trust_id,"
        " target_type, target_id, target_label, user_agent, request_id, via, details, %s,"
        " hash, %s FROM audit_auditevent WHERE id = %s",
        [forged, forged_hash, last.pk],
    )
    tamper(
        "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE id = %s",
        [last.seq + 1, forged_hash, last.chain_id],
        table="audit_auditchainhead",
    )
    result = _verify(chain, expect=(last.seq, last.hash))
    assert (result.ok, result.broken_seq, result.reason) == (False, last.seq + 1, PAYLOAD_MISMATCH)


def test_t11_a_non_hex_hash_before_from_seq_is_named_not_a_traceback(chain) -> None:
    """LOW 17: --from-seq after a row whose hash is not hex raised ValueError."""
    victim = chain[5]
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["zz" * 32, victim.pk])
    code, out = _command("verify", "--trust", str(victim.chain_id), "--from-seq", str(chain[6].seq))
    assert code == 1
    assert out.strip() == f"BROKEN {_label(victim)} at seq {victim.seq} (id {victim.pk}): {NOT_HEX}"
    assert _verify(chain).broken_seq == victim.seq


def _not_utf8(column: str, value_hex: str, event: AuditEvent) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL does not store text that is not UTF-8")
    sql = f"UPDATE audit_auditevent SET {column} = CAST(X'{value_hex}' AS TEXT) WHERE id = %s"
    tamper(sql, [event.pk])


def test_t12_a_payload_that_is_not_utf8_is_named_not_a_traceback(chain) -> None:
    """LOW 17: SQLite raised 'Could not decode to UTF-8'. PostgreSQL refuses such text. A later
    unreadable column must not hide the earlier fault."""
    victim = chain[6]
    _not_utf8("payload", "7b22ff227d", victim)
    _not_utf8("actor_label", "ff", chain[8])
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id, result.reason) == (
        victim.seq,
        victim.pk,
        PAYLOAD_MISMATCH,
    )
    assert _command("verify")[0] == 1


def test_a_column_that_is_not_utf8_is_named_not_a_traceback(chain) -> None:
    victim = chain[8]
    _not_utf8("actor_label", "ff", victim)
    result = _verify(chain)
    assert (result.broken_seq, result.broken_id, result.reason) == (
        victim.seq,
        victim.pk,
        COLUMNS_UNREADABLE,
    )


def test_the_nightly_check_starts_at_the_last_anchor(chain) -> None:
    assert _command("anchor")[0] == 0
    more = [record("audit.viewed", actor=None, trust_id=chain[0].chain_id) for _ in range(3)]
    result = _verify(chain)
    assert (result.ok, result.rows, result.from_seq) == (True, 3, chain[-1].seq + 1)
    assert result.head_seq == more[-1].seq
    # A column edited before the anchor is for the full check (weekly) to find.
    tamper("UPDATE audit_auditevent SET actor_label = 'X' WHERE id = %s", [chain[1].pk])
    assert _verify(chain).ok
    full = _verify(chain, full=True)
    assert (full.broken_seq, full.reason) == (chain[1].seq, COLUMNS_DIFFER)
    assert _command("verify", "--full")[0] == 1


def test_a_rewritten_and_resealed_tail_is_caught_by_the_anchor_and_by_expect(chain) -> None:
    """Someone with the key and past the triggers rewrites row 6 onwards and re-seals it all."""
    write_anchor(Anchor(chain[0].chain_id, chain[7].seq, chain[7].hash, at="2026-12-01"))
    prev = chain[5].hash
    for event in chain[6:]:
        forged = event.payload.replace(f'"prev_hash":"{event.prev_hash}"', f'"prev_hash":"{prev}"')
        forged = forged.replace('"actor_label":"System"', '"actor_label":"Someone Else"')
        new_hash = seal_hash(event.chain_id, prev, forged)
        tamper(
            "UPDATE audit_auditevent SET payload = %s, prev_hash = %s, hash = %s, actor_label = %s"
            " WHERE id = %s",
            [forged, prev, new_hash, "Someone Else", event.pk],
        )
        prev = new_hash
    chain_id = chain[0].chain_id
    tamper(
        "UPDATE audit_auditchainhead SET hash = %s, mac = %s WHERE id = %s",
        [prev, head_mac(chain_id, chain[-1].seq, prev), chain_id],
        table="audit_auditchainhead",
    )
    result = _verify(chain, full=True)
    assert (result.ok, result.broken_seq, result.broken_id) == (False, chain[7].seq, chain[7].pk)
    exported = f"{chain[8].seq}:{chain[8].hash}"
    code, out = _command("verify", "--chain", _label(chain[0]), "--full", "--expect", exported)
    assert code == 1
    assert EXPECTED_HEAD_DIFFERS in out or "anchored hash" in out


def test_from_seq_starts_partway_and_still_checks_the_link(chain) -> None:
    result = _verify(chain, from_seq=chain[5].seq)
    assert result.ok and result.rows == len(chain) - 5
    forged = chain[4].payload.replace('"n":4', '"n":44')
    tamper(
        "UPDATE audit_auditevent SET payload = %s, hash = %s WHERE id = %s",
        [forged, seal_hash(chain[4].chain_id, chain[4].prev_hash, forged), chain[4].pk],
    )
    result = _verify(chain, from_seq=chain[5].seq)
    assert (result.broken_seq, result.reason) == (chain[5].seq, PREV_HASH_UNLINKED)


def test_verification_crosses_chunk_boundaries(monkeypatch, chain) -> None:
    from chaperone.audit import verify

    monkeypatch.setattr(verify, "CHUNK_SIZE", 3)
    assert _verify(chain).rows == len(chain)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[6].pk])
    assert _verify(chain).broken_seq == chain[7].seq


def test_the_head_command_prints_each_chain_as_json(chain) -> None:
    service = record("audit.viewed", actor=None)
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(d["chain"], d["seq"], d["hash"]) for d in lines] == [
        ("service", service.seq, service.hash),
        (_label(chain[0]), chain[-1].seq, chain[-1].hash),
    ]
    out = io.StringIO()
    call_command("audit", "head", "--chain", "service", stdout=out)
    assert json.loads(out.getvalue())["hash"] == service.hash
    assert AuditChainHead.objects.count() == 2


def test_bad_command_input_is_a_message(chain) -> None:
    code, out = _command("verify", "--from-seq", "3")
    assert code == 2 and "--chain or --trust" in out
    with pytest.raises(CommandError, match="not a chain"):
        call_command("audit", "verify", "--chain", "trust:x")
    with pytest.raises(CommandError, match="trust's id"):
        call_command("audit", "verify", "--trust", "²")
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("audit", "verify", "--trust", "1", "--expect", "1:abc")


def test_partitions_on_sqlite_is_a_message() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has partitions (tests/audit/test_partitions.py)")
    code, out = _command("partitions", "ensure")
    assert code == 2 and "only on PostgreSQL" in out


def test_the_database_compares_the_columns_itself(chain, monkeypatch) -> None:
    """The column check runs as one query per chunk on both databases; Python compares a row
    only when that query finds a fault (to name it) or cannot read a payload."""
    from chaperone.audit import verify

    def no_python(*args, **kwargs):
        raise AssertionError("Python compared a row")

    monkeypatch.setattr(verify._Checker, "_columns_match", no_python)
    assert _verify(chain).ok
    monkeypatch.undo()
    tamper("UPDATE audit_auditevent SET via = 'task' WHERE id = %s", [chain[3].pk])
    assert (_verify(chain).broken_seq, _verify(chain).reason) == (chain[3].seq, COLUMNS_DIFFER)


def test_awkward_values_are_not_reported_by_the_database_check(chain, monkeypatch) -> None:
    """Escapes, non-ASCII text, nested keys out of order, numbers and a time on the whole
    second must read the same from the payload and the columns."""
    from django.utils import timezone

    from chaperone.audit import verify

    whole_second = timezone.now().replace(microsecond=0)
    monkeypatch.setattr("chaperone.audit.log.timezone.now", lambda: whole_second)
    details = {"z": [1, 2.5, None, True], "a": {"y": 'é\n\t"\\ \u0001 😀', "b": -0.0}}
    record("audit.viewed", actor=None, trust_id=chain[0].trust_id, details=details)
    monkeypatch.undo()

    def no_python(*args, **kwargs):
        raise AssertionError("Python compared a row")

    monkeypatch.setattr(verify._Checker, "_columns_match", no_python)
    assert _verify(chain, full=True).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "auth.login"),
        ("actor_user_id", 42),
        ("actor_staff_id", 42),
        ("actor_label", "Someone else"),
        ("trust_id", 999),
        ("school_id", 999),
        ("target_type", "people.pupil"),
        ("target_id", "7"),
        ("target_label", "Another pupil"),
        ("ip_address", "10.0.0.1"),
        ("user_agent", "curl/8.0"),
        ("request_id", "f" * 32),
        ("via", "task"),
        ("details", '{"n": 71}'),
        ("occurred_at", "one microsecond later"),
    ],
)
def test_each_column_edited_behind_the_seal_is_found_by_the_database(
    chain, column: str, value: object, monkeypatch
) -> None:
    """Every payload column, changed alone, is reported at its row; the database's own check
    finds it (Python is only asked about the row the database names)."""
    import datetime as dt

    from django.db import connection

    from chaperone.audit import verify

    victim = chain[5]
    if column == "occurred_at":
        later = victim.occurred_at + dt.timedelta(microseconds=1)
        value = connection.ops.adapt_datetimefield_value(later)
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, victim.pk])
    asked: list[int] = []
    row_matches = verify._Checker._row_matches

    def spy(self, seq: int) -> bool:
        asked.append(seq)
        return row_matches(self, seq)

    monkeypatch.setattr(verify._Checker, "_row_matches", spy)
    result = _verify(chain)
    assert (result.ok, result.broken_seq, result.broken_id, result.reason) == (
        False,
        victim.seq,
        victim.pk,
        COLUMNS_DIFFER,
    )
    assert asked == [victim.seq]


def test_details_rewritten_as_the_same_json_is_not_a_fault(chain) -> None:
    """The check compares meaning: the same details written with other spacing still verify."""
    victim = chain[6]
    tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{ "n" : 6 }', victim.pk])
    assert _verify(chain).ok
