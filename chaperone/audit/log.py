"""Writing to the audit log: :func:`record` and :func:`record_read`.

Call ``record()`` inside the transaction of the change it describes, as late as you can: it locks
the chain head until that transaction ends, and if the transaction rolls back the audit row goes
with it. Who and from where (IP address, user agent, request id, web/cli/task) come from
:func:`chaperone.core.context.current_context`.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from chaperone.audit.chain import GENESIS_HASH, build_payload, link_hash, plain_json
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.audit.registry import check_action
from chaperone.core.context import current_context
from chaperone.tenancy.models import School
from chaperone.tenancy.scope import AuditScoped

if TYPE_CHECKING:
    from chaperone.tenancy.policies import Actor

SYSTEM_LABEL = "System"
HEAD_TABLE = AuditChainHead._meta.db_table

__all__ = ["SYSTEM_LABEL", "record", "record_read"]


def record(
    action: str,
    *,
    actor: Actor | None,
    target: models.Model | None = None,
    school_id: int | None = None,
    trust_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    ``actor`` is the acting person (``None`` for the system itself), named by ``actor.label``.
    ``school_id`` / ``trust_id`` default to the target's own (its ``audit_scope()``, see
    :class:`~chaperone.tenancy.scope.AuditScoped`), then to the school's trust and the actor's
    trust. Raises :class:`~chaperone.audit.registry.UnknownAuditAction` for an undeclared action,
    and ``TypeError`` for a target without ``audit_scope()``.
    """
    check_action(action)
    ctx = current_context()
    school_id, trust_id = _tenant_of(target, school_id, trust_id, actor)
    fields: dict[str, Any] = {
        "action": action,
        "actor_user_id": actor.user_id if actor is not None else None,
        "actor_staff_id": actor.staff_id if actor is not None else None,
        "actor_label": _actor_label(actor),
        "trust_id": trust_id,
        "school_id": school_id,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "target_label": str(target)[:300] if target is not None else "",
        "ip_address": _clean_ip(ctx.ip_address),
        "user_agent": ctx.user_agent[:300],
        "request_id": ctx.request_id[:64],
        "via": ctx.via,
        "details": plain_json(details or {}),
    }
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _lock_head()
        fields["seq"] = seq + 1
        fields["prev_hash"] = prev_hash
        fields["occurred_at"] = timezone.now()
        payload = build_payload(fields)
        event = AuditEvent(**fields, payload=payload, hash=link_hash(prev_hash, payload))
        event.save()
        _move_head(event.seq, event.hash)
    return event


def record_read(
    action: str,
    *,
    actor: Actor | None,
    target: models.Model,
    school_id: int | None = None,
    trust_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that someone looked at something sensitive (a pupil's record, a concern, a
    recording). The same as :func:`record`; the name says why it is called on a read."""
    return record(
        action,
        actor=actor,
        target=target,
        school_id=school_id,
        trust_id=trust_id,
        details=details,
    )


def _lock_head() -> tuple[int, str]:
    """The chain head's (seq, hash), locked until the end of the transaction (created on first
    use, or rebuilt from the last row if it has gone missing). Plain SQL: this runs on every
    audited action, and the ORM would double its cost."""
    connection = transaction.get_connection()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {HEAD_TABLE} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, last_hash = last if last is not None else (0, GENESIS_HASH)
    AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": seq, "hash": last_hash})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {HEAD_TABLE} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    return row[0], row[1]


def _move_head(seq: int, hash_: str) -> None:
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
            [seq, hash_],
        )


def _tenant_of(
    target: models.Model | None, school_id: int | None, trust_id: int | None, actor: Actor | None
) -> tuple[int | None, int | None]:
    if target is not None:
        if not isinstance(target, AuditScoped):
            raise TypeError(
                f"{target._meta.label} cannot be audited: it has no audit_scope() method."
            )
        scope = target.audit_scope()
        school_id = scope.school_id if school_id is None else school_id
        trust_id = scope.trust_id if trust_id is None else trust_id
    if trust_id is None and actor is not None and school_id in actor.visible_school_ids:
        trust_id = actor.trust_id  # the actor's own schools are all in the actor's trust
    if trust_id is None and school_id is not None:
        trust_id = School.objects.filter(pk=school_id).values_list("trust_id", flat=True).first()
    if trust_id is None and actor is not None:
        trust_id = actor.trust_id
    return school_id, trust_id


def _clean_ip(value: str | None) -> str | None:
    """The address as the database will store it (so the payload matches the column), or None
    for something that is not an IP address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _actor_label(actor: Actor | None) -> str:
    if actor is None or (actor.user_id is None and actor.staff_id is None):
        return SYSTEM_LABEL
    if actor.label:
        return actor.label[:200]
    return f"user {actor.user_id}" if actor.user_id is not None else f"staff {actor.staff_id}"
