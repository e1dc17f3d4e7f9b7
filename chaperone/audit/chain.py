"""The hash chains: how one audit row is serialised and sealed.

There is one chain per trust (a standalone school is a trust of one), a small service chain for
events outside any trust, and the closed legacy chain of rows written before chains were split
(ADR 0003). A row's ``payload`` is canonical JSON of every recorded field (sorted keys, compact
separators, UTF-8, timestamps as ISO 8601 in UTC with microseconds). Its ``hash`` is

* ``HMAC-SHA256(key, bytes.fromhex(prev_hash) + payload)`` in hex for the per-trust and service
  chains (payload format 2, which also names the chain), where ``key`` is
  ``settings.CHAPERONE_AUDIT_KEY``, kept outside the database: someone who can only write to the
  database cannot make a row that verifies;
* ``sha256(bytes.fromhex(prev_hash) + payload)`` for the legacy chain (format 1), as before.

``prev_hash`` is the previous row's ``hash`` in the same chain (:data:`GENESIS_HASH` for the
first). Each chain's head (last ``seq`` and ``hash``) carries a MAC of its own, so it cannot be
moved without the key either.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
PAYLOAD_VERSION = 2
LEGACY_PAYLOAD_VERSION = 1

#: Chain ids: a trust's chain has the trust's id; these two are not trusts.
SERVICE_CHAIN = 0
LEGACY_CHAIN = -1

#: The fields a legacy (format 1) payload holds, besides ``v``.
LEGACY_PAYLOAD_FIELDS = (
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
#: The fields a payload holds, besides ``v``: every stored column but the id, payload and hash.
PAYLOAD_FIELDS = ("chain_id", *LEGACY_PAYLOAD_FIELDS)


def chain_of(trust_id: int | None) -> int:
    """The chain an event of ``trust_id`` belongs to."""
    return SERVICE_CHAIN if trust_id is None else trust_id


def chain_label(chain_id: int) -> str:
    """How commands and reports name a chain: ``trust:5``, ``service`` or ``legacy``."""
    if chain_id == SERVICE_CHAIN:
        return "service"
    if chain_id == LEGACY_CHAIN:
        return "legacy"
    return f"trust:{chain_id}"


def parse_chain(value: str) -> int:
    """The chain id named by ``value`` (``trust:5``, ``5``, ``service`` or ``legacy``)."""
    text = value.strip().lower()
    named = {"service": SERVICE_CHAIN, "legacy": LEGACY_CHAIN}
    if text in named:
        return named[text]
    number = text.removeprefix("trust:")
    if number.isascii() and number.isdigit() and int(number) > 0:
        return int(number)
    raise ValueError(f"{value!r} is not a chain: use trust:ID, service or legacy")


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


def build_payload(fields: dict[str, Any], *, legacy: bool = False) -> str:
    """The canonical payload of a row from its field values (``occurred_at`` a datetime)."""
    names = LEGACY_PAYLOAD_FIELDS if legacy else PAYLOAD_FIELDS
    data = {name: fields[name] for name in names}
    data["occurred_at"] = timestamp(fields["occurred_at"])
    data["v"] = LEGACY_PAYLOAD_VERSION if legacy else PAYLOAD_VERSION
    return canonical_json(data)


#: The payload's members in the order canonical JSON writes them (sorted keys).
_PAYLOAD_KEYS = tuple(sorted((*PAYLOAD_FIELDS, "v")))
#: The members written from the row's own values, each by its type.
_VALUE_MEMBERS = tuple(name for name in PAYLOAD_FIELDS if name not in ("details", "occurred_at"))
#: The payload with a ``%(name)s`` slot for each member's JSON text; the version is fixed.
_PAYLOAD_TEMPLATE = (
    "{"
    + ",".join(
        json.dumps(name) + ":" + (str(PAYLOAD_VERSION) if name == "v" else f"%({name})s")
        for name in _PAYLOAD_KEYS
    )
    + "}"
)
_encode_string = json.encoder.encode_basestring  # the C encoder json.dumps uses (no ASCII escaping)


def payload_text(fields: dict[str, Any], details_json: str) -> str:
    """:func:`build_payload` for a per-trust or service chain row, byte for byte, with the
    row's ``details`` already written as ``canonical_json(details)``. Every audited action
    builds one, so the members' order is worked out once (a template) and each value is
    written by its type (text, integer, null); only what is none of these goes through
    ``json.dumps``. ``tests/audit/test_payload.py`` holds it to ``build_payload``."""
    members = {"details": details_json}
    for name in _VALUE_MEMBERS:
        value = fields[name]
        kind = type(value)
        if kind is str:
            members[name] = _encode_string(value)
        elif value is None:
            members[name] = "null"
        elif kind is int:
            members[name] = int.__repr__(value)
        else:
            members[name] = canonical_json(value)
    members["occurred_at"] = _encode_string(timestamp(fields["occurred_at"]))
    return _PAYLOAD_TEMPLATE % members


def plain_details(value: Mapping[str, Any]) -> dict[str, Any]:
    """``plain_json(value)`` for an event's details: a flat object of text, integers, booleans
    and nulls (what nearly every action records) is copied as it is, since the JSON round trip
    would give it back unchanged; anything else goes through :func:`plain_json`."""
    for key, item in value.items():
        if type(key) is not str or (item is not None and type(item) not in _PLAIN_TYPES):
            return dict(plain_json(dict(value)))
    return dict(value)


_PLAIN_TYPES = frozenset((str, int, bool))


def audit_key() -> bytes:
    key = settings.CHAPERONE_AUDIT_KEY
    if not key:
        # Sealing with an empty key would let anyone with database access forge rows.
        raise ImproperlyConfigured("CHAPERONE_AUDIT_KEY is not set: audit rows cannot be sealed.")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def link_hash(prev_hash: str, payload: str) -> str:
    """A legacy (format 1) row's hash: plain sha256, no key."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()


def sealer(chain_id: int) -> Callable[[bytes], bytes]:
    """The function from ``prev digest + payload bytes`` to a row's digest in ``chain_id``: HMAC
    with the audit key (prepared once, then copied per row), or sha256 for the legacy chain."""
    if chain_id == LEGACY_CHAIN:
        return lambda data: hashlib.sha256(data).digest()
    prepared = _keyed(audit_key())

    def seal(data: bytes) -> bytes:
        mac = prepared.copy()
        mac.update(data)
        return mac.digest()

    return seal


class Sealing(Protocol):
    """A started digest: copy it, feed it the previous digest and the payload, read the seal."""

    def copy(self) -> Sealing: ...
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


def prepared_sealer(chain_id: int) -> Sealing:
    """The digest :func:`sealer` uses, keyed and ready, for a loop that seals many rows: one
    ``copy()``, two ``update()`` calls and ``digest()`` per row, the same bytes as ``sealer``.
    The HMAC is OpenSSL's own object where the standard library has one (its Python wrapper
    costs a fifth of a row's check)."""
    if chain_id == LEGACY_CHAIN:
        return hashlib.sha256()
    return _keyed(audit_key()).copy()


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> Sealing:
    """HMAC-SHA256 started with ``key``, kept for copying: starting one hashes the key twice,
    which cost as much as the rest of an append's two MACs. Never updated itself."""
    prepared = hmac.new(key, digestmod=hashlib.sha256)
    inner = getattr(prepared, "_hmac", None)
    return inner if inner is not None else prepared


def seal_hash(chain_id: int, prev_hash: str, payload: str) -> str:
    """The ``hash`` of a row whose predecessor has ``prev_hash``."""
    return sealer(chain_id)(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hex()


def head_mac(chain_id: int, seq: int, hash_: str) -> str:
    """The MAC a chain head carries over its chain, ``seq`` and ``hash``."""
    mac = _keyed(audit_key()).copy()
    mac.update(f"audit-head:{chain_id}:{seq}:{hash_}".encode())
    return mac.hexdigest()
