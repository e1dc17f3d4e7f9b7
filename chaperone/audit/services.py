"""The daily job on the audit chains: anchoring every chain's head (verify, then write the
head outside the database and e-mail it). Partitions are in :mod:`chaperone.audit.partitions`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from chaperone.audit.anchors import Anchor, anchor_recipients, last_anchor, write_anchor
from chaperone.audit.chain import chain_label
from chaperone.audit.verify import ChainVerification, audit_chains_verify, chain_ids

logger = logging.getLogger(__name__)

ANCHORED = "anchored"
UNCHANGED = "unchanged"
BROKEN = "broken"


@dataclass(frozen=True)
class AnchorOutcome:
    chain_id: int
    status: str
    verification: ChainVerification
    anchor: Anchor | None = None
    recipients: tuple[str, ...] = ()

    def summary(self) -> str:
        line = self.verification.summary()
        if self.status == ANCHORED:
            sent = f", e-mailed to {len(self.recipients)}" if self.recipients else ""
            return f"{line} (anchored{sent})"
        return line if self.status == BROKEN else f"{line} (unchanged since the last anchor)"


def audit_chains_anchor(
    *, chains: Iterable[int] | None = None, using: str = DEFAULT_DB_ALIAS
) -> list[AnchorOutcome]:
    """Check each chain from its last anchor and, when it holds and has moved, append its head
    to the chain's anchor file and e-mail it to the chain's recipients. A broken chain is not
    anchored (that would bless the damage); its recipients are told instead."""
    outcomes = []
    checked = chain_ids(using=using) if chains is None else list(chains)
    for result in audit_chains_verify(checked, using=using):
        chain_id = result.chain_id
        recipients = tuple(anchor_recipients(chain_id))
        if not result.ok:
            logger.error("audit chain broken", extra={"summary": result.summary()})
            _mail(recipients, _broken_message(result))
            outcomes.append(AnchorOutcome(chain_id, BROKEN, result, None, recipients))
            continue
        previous = last_anchor(chain_id)
        if result.head_seq is None or (
            previous is not None
            and (previous.seq, previous.hash) == (result.head_seq, result.head_hash)
        ):
            outcomes.append(AnchorOutcome(chain_id, UNCHANGED, result))
            continue
        anchor = Anchor(
            chain_id=chain_id,
            seq=result.head_seq,
            hash=str(result.head_hash),
            at=timezone.now().isoformat(timespec="seconds"),
        )
        write_anchor(anchor)
        _mail(recipients, _anchor_message(anchor))
        outcomes.append(AnchorOutcome(chain_id, ANCHORED, result, anchor, recipients))
    return outcomes


def _mail(recipients: tuple[str, ...], message: tuple[str, str]) -> None:
    if recipients:
        send_mail(message[0], message[1], settings.DEFAULT_FROM_EMAIL, list(recipients))


def _anchor_message(anchor: Anchor) -> tuple[str, str]:
    chain = chain_label(anchor.chain_id)
    subject = f"Chaperone audit log: today's fingerprint for {chain}"
    body = (
        "Chaperone checked your audit log and it is intact. Please keep this e-mail: it records\n"
        "where the log stood today, somewhere the database cannot reach.\n\n"
        f"Chain:       {chain}\n"
        f"Entry:       {anchor.seq}\n"
        f"Fingerprint: {anchor.hash}\n"
        f"Checked at:  {anchor.at}\n\n"
        "If anyone ever needs to show that the log was not altered afterwards, your IT lead or\n"
        "data protection officer can run:\n\n"
        f"    chaperone audit verify --chain {chain} --full --expect {anchor.seq}:{anchor.hash}\n"
    )
    return subject, body


def _broken_message(result: ChainVerification) -> tuple[str, str]:
    subject = f"Chaperone audit log: the check of {result.chain} FAILED"
    body = (
        "Tonight's check of your audit log found a fault. Entries may have been changed or\n"
        "removed outside Chaperone. Please tell your IT lead or data protection officer today.\n\n"
        f"    {result.summary()}\n\n"
        "No new fingerprint was recorded. The IT lead can repeat the check with\n"
        f"'chaperone audit verify --chain {result.chain} --full'.\n"
    )
    return subject, body
