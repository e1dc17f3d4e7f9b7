"""Anchors: each chain's head as it stood when last checked, kept outside the database.

``chaperone audit anchor`` (daily) appends one JSON line per chain that moved to
``<CHAPERONE_AUDIT_ANCHOR_DIR>/chain-<label>.jsonl`` and e-mails it to the people who answer for
that chain (for a trust: its schools' DSLs, through :func:`register_anchor_recipients`; for the
service and legacy chains: ``CHAPERONE_AUDIT_ANCHOR_EMAILS``). ``verify`` starts each chain from
its last anchor and fails if the anchored row no longer carries the anchored hash, so rows cut
off the end, or a chain rewritten and re-sealed, show up even to someone who lost the e-mail.

Lines of kind ``retained`` mark where retention dropped a chain's oldest rows (the last dropped
row): a full check of that chain starts after it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from chaperone.audit.chain import SERVICE_CHAIN, chain_label, parse_chain

ANCHOR = "anchor"
RETAINED = "retained"

#: trust id -> e-mail addresses of the people to send that trust's anchors to
AnchorRecipients = Callable[[int], Iterable[str]]
_recipients: list[AnchorRecipients] = []


class AnchorUnreadable(ValueError):
    """An anchor file exists but its last line is not an anchor."""


@dataclass(frozen=True)
class Anchor:
    chain_id: int
    seq: int
    hash: str
    at: str
    kind: str = ANCHOR

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def anchor_dir() -> Path:
    return Path(settings.CHAPERONE_AUDIT_ANCHOR_DIR)


def _path(chain_id: int) -> Path:
    return anchor_dir() / f"chain-{chain_label(chain_id).replace(':', '-')}.jsonl"


def last_anchor(chain_id: int, *, kind: str = ANCHOR) -> Anchor | None:
    """The newest line of ``kind`` for the chain, or None if there is none."""
    path = _path(chain_id)
    if not path.exists():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorUnreadable(f"{path} cannot be read: {exc}") from exc
    for number in range(len(lines), 0, -1):
        text = lines[number - 1].strip()
        if not text:
            continue
        try:
            data = json.loads(text)
            anchor = Anchor(
                chain_id=int(data["chain_id"]),
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                at=str(data["at"]),
                kind=str(data.get("kind", ANCHOR)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorUnreadable(f"{path} line {number} is not an anchor") from exc
        if anchor.chain_id != chain_id:
            raise AnchorUnreadable(f"{path} line {number} belongs to another chain")
        if anchor.kind == kind:
            return anchor
    return None


def write_anchor(anchor: Anchor) -> Path:
    """Append ``anchor`` to its chain's file and flush it to disk."""
    path = _path(anchor.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(anchor.line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def anchored_chain_ids() -> set[int]:
    """Chains with an anchor file (so a chain deleted from the database is still checked)."""
    folder = anchor_dir()
    if not folder.is_dir():
        return set()
    ids = set()
    for path in folder.glob("chain-*.jsonl"):
        try:
            ids.add(parse_chain(path.stem.removeprefix("chain-").replace("-", ":")))
        except ValueError:
            continue
    return ids


def register_anchor_recipients(provider: AnchorRecipients) -> None:
    """Let an app above the audit log say who receives a trust's anchors (the people app
    registers the DSLs of the trust's schools)."""
    if provider not in _recipients:
        _recipients.append(provider)


def anchor_recipients(chain_id: int) -> list[str]:
    if chain_id <= SERVICE_CHAIN:
        addresses: Iterable[str] = settings.CHAPERONE_AUDIT_ANCHOR_EMAILS
    else:
        addresses = (a for provider in _recipients for a in provider(chain_id))
    return sorted({a.strip() for a in addresses if a and a.strip()})
