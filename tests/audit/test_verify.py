"""audit_chain_verify() and ``chaperone audit verify``: tampering is found at the right row."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from chaperone.audit.log import record
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.services import (
    COLUMNS_DIFFER,
    PAYLOAD_MISMATCH,
    PREV_HASH_UNLINKED,
    SEQUENCE_GAP,
    TAIL_MISSING,
    audit_chain_verify,
)
from tests.audit.helpers import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain() -> list[AuditEvent]:
    return [record("audit.viewed", actor=None, details={"n": n}) for n in range(10)]


def _verify_command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_an_untouched_chain_verifies(chain) -> None:
    result = audit_chain_verify()
    assert result.ok
    assert result.rows == AuditEvent.objects.count()
    assert result.head_hash == chain[-1].hash
    code, out = _verify_command()
    assert code == 0
    assert out.strip() == f"OK: {result.rows} rows verified, head {chain[-1].hash}"


def test_an_empty_log_verifies() -> None:
    result = audit_chain_verify()
    assert result.ok and result.rows == 0


def test_an_edited_payload_breaks_the_chain_at_that_row(chain) -> None:
    victim = chain[4]
    forged = victim.payload.replace('"n":4', '"n":40')
    tamper("UPDATE audit_auditevent SET payload = %s WHERE id = %s", [forged, victim.pk])
    result = audit_chain_verify()
    assert (result.ok, result.broken_seq, result.broken_id) == (False, victim.seq, victim.pk)
    assert result.reason == PAYLOAD_MISMATCH
    code, out = _verify_command()
    assert code == 1
    assert out.strip() == f"BROKEN at seq {victim.seq} (id {victim.pk}): payload hash mismatch"


def test_an_edited_hash_breaks_the_chain_at_that_row(chain) -> None:
    victim = chain[6]
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["ab" * 32, victim.pk])
    result = audit_chain_verify()
    assert (result.broken_seq, result.reason) == (victim.seq, PAYLOAD_MISMATCH)


def test_a_rehashed_forgery_breaks_the_link_to_the_next_row(chain) -> None:
    from chaperone.audit.chain import link_hash

    victim = chain[3]
    forged = victim.payload.replace('"n":3', '"n":33')
    tamper(
        "UPDATE audit_auditevent SET payload = %s, hash = %s WHERE id = %s",
        [forged, link_hash(victim.prev_hash, forged), victim.pk],
    )
    result = audit_chain_verify()
    assert (result.broken_seq, result.broken_id) == (chain[4].seq, chain[4].pk)
    assert result.reason == PREV_HASH_UNLINKED
    code, out = _verify_command()
    assert "prev_hash does not link" in out and code == 1


def test_a_deleted_row_in_the_middle_is_a_sequence_gap(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[5].pk])
    result = audit_chain_verify()
    assert (result.broken_seq, result.broken_id) == (chain[6].seq, chain[6].pk)
    assert result.reason.startswith(SEQUENCE_GAP)
    _, out = _verify_command()
    assert out.startswith(f"BROKEN at seq {chain[6].seq} (id {chain[6].pk}): sequence gap")


def test_rows_cut_off_the_end_are_noticed_through_the_head(chain) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[8].seq])
    result = audit_chain_verify()
    assert not result.ok
    assert result.broken_seq == chain[8].seq
    assert result.reason.startswith(TAIL_MISSING)


def test_a_column_edited_behind_the_payload_is_caught_by_the_deep_check(chain) -> None:
    victim = chain[2]
    tamper("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["Someone", victim.pk])
    assert audit_chain_verify().ok
    deep = audit_chain_verify(deep=True)
    assert (deep.broken_seq, deep.reason) == (victim.seq, COLUMNS_DIFFER)
    code, _ = _verify_command("--deep")
    assert code == 1


def test_from_seq_starts_partway_and_still_checks_the_link(chain) -> None:
    result = audit_chain_verify(from_seq=chain[5].seq)
    assert result.ok and result.rows == len(chain) - 5
    code, out = _verify_command("--from-seq", str(chain[5].seq))
    assert code == 0 and out.startswith(f"OK: {len(chain) - 5} rows verified")
    forged = chain[4].payload.replace('"n":4', '"n":44')
    from chaperone.audit.chain import link_hash

    tamper(
        "UPDATE audit_auditevent SET payload = %s, hash = %s WHERE id = %s",
        [forged, link_hash(chain[4].prev_hash, forged), chain[4].pk],
    )
    result = audit_chain_verify(from_seq=chain[5].seq)
    assert (result.broken_seq, result.reason) == (chain[5].seq, PREV_HASH_UNLINKED)


def test_verification_crosses_chunk_boundaries(monkeypatch, chain) -> None:
    from chaperone.audit import services

    monkeypatch.setattr(services, "CHUNK_SIZE", 3)
    assert audit_chain_verify().rows == len(chain)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[6].pk])
    assert audit_chain_verify().broken_seq == chain[7].seq


def test_the_head_command_prints_the_head_as_json(chain) -> None:
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    data = json.loads(out.getvalue())
    head = AuditChainHead.objects.get()
    assert (data["seq"], data["hash"]) == (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)


def test_an_edited_prev_hash_column_is_caught_by_the_deep_check(chain) -> None:
    victim = chain[7]
    tamper("UPDATE audit_auditevent SET prev_hash = %s WHERE id = %s", ["cd" * 32, victim.pk])
    assert audit_chain_verify().ok
    deep = audit_chain_verify(deep=True)
    assert (deep.broken_seq, deep.broken_id, deep.reason) == (victim.seq, victim.pk, COLUMNS_DIFFER)


def test_a_rewritten_and_rehashed_tail_is_caught_by_an_exported_head(chain) -> None:
    """Someone past the triggers rewrites row 6 onwards and re-hashes everything after it."""
    from chaperone.audit.chain import link_hash

    exported = (chain[7].seq, chain[7].hash)
    prev = chain[5].hash
    for event in chain[6:]:
        forged = event.payload.replace(f'"prev_hash":"{event.prev_hash}"', f'"prev_hash":"{prev}"')
        label = event.actor_label
        if event is chain[6]:
            label = "Someone Else"
            forged = forged.replace('"actor_label":"System"', f'"actor_label":"{label}"')
        new_hash = link_hash(prev, forged)
        tamper(
            "UPDATE audit_auditevent SET payload = %s, prev_hash = %s, hash = %s, actor_label = %s"
            " WHERE id = %s",
            [forged, prev, new_hash, label, event.pk],
        )
        prev = new_hash
    tamper("UPDATE audit_auditchainhead SET hash = %s", [prev], table="audit_auditchainhead")
    assert audit_chain_verify(deep=True).ok
    result = audit_chain_verify(expect=exported)
    assert (result.ok, result.broken_seq, result.broken_id) == (False, chain[7].seq, chain[7].pk)
    code, out = _verify_command("--expect", f"{exported[0]}:{exported[1]}")
    assert code == 1
    assert out.startswith(f"BROKEN at seq {chain[7].seq} (id {chain[7].pk}): does not carry")
    assert audit_chain_verify(expect=(chain[3].seq, chain[3].hash)).ok
