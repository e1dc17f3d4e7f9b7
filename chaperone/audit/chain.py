"""The hash chain: how one audit row is serialised and hashed.

A row's ``payload`` is canonical JSON of every recorded field (sorted keys, compact separators,
UTF-8, timestamps as ISO 8601 in UTC with microseconds). Its ``hash`` is
``sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8"))`` in hex, where ``prev_hash`` is the
previous row's ``hash`` (:data:`GENESIS_HASH` for the first row). Verification recomputes from the
stored bytes, so editing any payload or hash breaks the chain at that row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
PAYLOAD_VERSION = 1

#: The fields a payload holds, besides ``v`` (the payload format version).
PAYLOAD_FIELDS = (
    "seq",
    "occurred_at",
    "action",
    "actor_user_id",
    "actor_staff_id",
    "actor_label",
    "trust_id",
    "school_id",
    "target_type",
    "target_id",
    "target_label",
    "ip_address",
    "user_agent",
    "request_id",
    "via",
    "details",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def plain_json(value: Any) -> Any:
    """``value`` as plain JSON types (dates, UUIDs, decimals become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False))


def timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("Audit timestamps must be timezone-aware.")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def build_payload(fields: dict[str, Any]) -> str:
    """The canonical payload of a row from its field values (``occurred_at`` a datetime)."""
    data = {name: fields[name] for name in PAYLOAD_FIELDS}
    data["occurred_at"] = timestamp(fields["occurred_at"])
    data["v"] = PAYLOAD_VERSION
    return canonical_json(data)


def link_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()
