"""``chaperone audit anchor``: each chain's checked head goes to a file outside the database and
to the DSLs of the trust's schools; a broken chain is reported, not anchored."""

from __future__ import annotations

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command

from chaperone.audit.anchors import ANCHOR, RETAINED, anchor_dir, last_anchor
from chaperone.audit.log import record
from chaperone.audit.services import ANCHORED, BROKEN, UNCHANGED, audit_chains_anchor
from chaperone.people.models import Role
from tests.audit.helpers import tamper
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchors(settings, tmp_path):
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    settings.CHAPERONE_AUDIT_ANCHOR_EMAILS = ["dpo@service.example"]
    return tmp_path / "anchors"


def _dsl(school, email: str):
    return make_staff(school, Role.DSL, email=email)


def test_each_chain_is_anchored_to_a_file_and_emailed_to_its_dsls(tenant_a, tenant_b) -> None:
    _dsl(tenant_a.school, "dsl.one@alpha.example")
    _dsl(tenant_a.other_school, "dsl.two@alpha.example")
    _dsl(tenant_b.school, "dsl@beta.example")
    a = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    b = record("audit.viewed", actor=None, school_id=tenant_b.school.pk)
    service = record("audit.viewed", actor=None)
    mail.outbox.clear()

    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)

    assert out.getvalue().count("(anchored, e-mailed to") == 3
    lines = (anchor_dir() / f"chain-trust-{a.chain_id}.jsonl").read_text().splitlines()
    assert [(d["seq"], d["hash"], d["kind"]) for d in map(json.loads, lines)] == [
        (a.seq, a.hash, ANCHOR)
    ]
    assert last_anchor(b.chain_id).hash == b.hash
    assert last_anchor(service.chain_id).hash == service.hash
    sent = {tuple(m.to): m for m in mail.outbox}
    assert set(sent) == {
        ("dsl.one@alpha.example", "dsl.two@alpha.example"),
        ("dsl@beta.example",),
        ("dpo@service.example",),
    }
    body = sent[("dsl@beta.example",)].body
    assert f"trust:{b.chain_id}" in body and b.hash in body and "Entry:       1" in body


def test_an_unchanged_chain_is_not_anchored_or_emailed_again(tenant_a) -> None:
    _dsl(tenant_a.school, "dsl@alpha.example")
    record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    assert [o.status for o in audit_chains_anchor()] == [ANCHORED]
    mail.outbox.clear()
    assert [o.status for o in audit_chains_anchor()] == [UNCHANGED]
    assert mail.outbox == []
    later = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    assert [o.status for o in audit_chains_anchor()] == [ANCHORED]
    assert last_anchor(later.chain_id).seq == later.seq


def test_a_broken_chain_is_not_anchored_and_its_dsls_are_told(tenant_a) -> None:
    _dsl(tenant_a.school, "dsl@alpha.example")
    first = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    tamper("UPDATE audit_auditevent SET action = 'auth.login' WHERE id = %s", [first.pk])
    mail.outbox.clear()

    code = 0
    out = io.StringIO()
    try:
        call_command("audit", "anchor", stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)

    assert code == 1
    assert f"BROKEN trust:{first.chain_id} at seq {first.seq} (id {first.pk})" in out.getvalue()
    assert last_anchor(first.chain_id) is None
    (message,) = mail.outbox
    assert message.to == ["dsl@alpha.example"] and "FAILED" in message.subject


def test_an_unreadable_anchor_file_is_a_broken_chain_not_a_traceback(tenant_a) -> None:
    event = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    anchor_dir().mkdir(parents=True)
    (anchor_dir() / f"chain-trust-{event.chain_id}.jsonl").write_bytes(b"\xff{not json\n")
    (outcome,) = audit_chains_anchor()
    assert outcome.status == BROKEN
    assert "anchor file cannot be read" in outcome.verification.reason


def test_retained_lines_do_not_count_as_anchors(tenant_a) -> None:
    from chaperone.audit.anchors import Anchor, write_anchor

    event = record("audit.viewed", actor=None, school_id=tenant_a.school.pk)
    write_anchor(Anchor(event.chain_id, event.seq, event.hash, at="x", kind=RETAINED))
    assert last_anchor(event.chain_id) is None
    assert last_anchor(event.chain_id, kind=RETAINED).seq == event.seq
