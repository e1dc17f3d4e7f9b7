"""The audit log: an append-only, hash-chained record of who did what, to what, when, from where.

Rows reference people, schools and records by id plus a label snapshot, never by foreign key, so
an audit row outlives whatever it describes. Rows are written only by
:func:`chaperone.audit.log.record`; they cannot be changed or deleted through Django, and database
triggers (see migration 0002) refuse UPDATE and DELETE underneath it. Each row belongs to one
chain (:mod:`chaperone.audit.chain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, Self

from django.db import models

from chaperone.audit.registry import describe
from chaperone.core.models import RefusesUpdate, RewriteRefused, WrittenOnce
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.scope import TenantScope

if TYPE_CHECKING:
    from chaperone.tenancy.policies import Actor


class AuditLogIsAppendOnly(RewriteRefused):
    """Someone tried to change or delete an audit row."""

    def __init__(self, what: str = "changed or deleted") -> None:
        super().__init__(f"Audit events are append-only: they cannot be {what}.")


class Via(models.TextChoices):
    WEB = "web", "Web"
    CLI = "cli", "Command line"
    TASK = "task", "Background task"


class AuditEventQuerySet(RefusesUpdate, ScopedQuerySet["AuditEvent"]):
    school_path = "school_id"

    def for_actor(self, actor: Actor, action: str) -> Self:
        """Events in schools where the actor may ``action``, and the trust-wide events (no
        school: sign-ins of trust staff, trust protocol uploads and the like) of the actor's
        trust, which concern every school of it, when they may ``action`` in one of them."""
        scoped = super().for_actor(actor, action)
        if actor.trust_id is not None and not actor.is_system and actor.can(action):
            trust_wide = self.filter(school_id__isnull=True, trust_id=actor.trust_id)
            return scoped | trust_wide
        return scoped

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("updated")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("written except through chaperone.audit.log.record()")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("updated")


class AuditEvent(WrittenOnce):
    chain_id = models.BigIntegerField(
        editable=False, help_text="The trust's id; 0 for the service chain, -1 for legacy rows."
    )
    seq = models.BigIntegerField(editable=False, help_text="Position in the chain.")
    occurred_at = models.DateTimeField(editable=False)
    action = models.CharField(max_length=100, editable=False)

    actor_user_id = models.BigIntegerField(null=True, editable=False)
    actor_staff_id = models.BigIntegerField(null=True, editable=False)
    actor_label = models.CharField(
        max_length=200, editable=False, help_text="Who it was, as named at the time."
    )

    trust_id = models.BigIntegerField(null=True, editable=False)
    school_id = models.BigIntegerField(null=True, editable=False)

    target_type = models.CharField(
        max_length=100, blank=True, editable=False, help_text="app_label.model, e.g. people.pupil"
    )
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    target_label = models.CharField(max_length=300, blank=True, editable=False)

    ip_address = models.GenericIPAddressField(null=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    via = models.CharField(max_length=10, choices=Via.choices, editable=False)
    details = models.JSONField(default=dict, editable=False)

    payload = models.TextField(editable=False, help_text="Canonical JSON of the fields above.")
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # The audit lists (chaperone.audit.selectors): newest first by time, then id, within
            # a school and its trust's trust-wide rows (school_id IS NULL), or a whole trust.
            models.Index(
                fields=["trust_id", "school_id", "-occurred_at", "-id"],
                name="audit_event_school_time",
            ),
            models.Index(fields=["trust_id", "-occurred_at", "-id"], name="audit_event_trust_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seq__gte=1),
                name="%(app_label)s_%(class)s_seq_positive",
                violation_error_message="Audit sequence numbers start at 1.",
            ),
            # On PostgreSQL the table is partitioned by month (migration 0004), and this
            # constraint also holds occurred_at, as partitioning requires.
            models.UniqueConstraint(fields=["chain_id", "seq"], name="audit_event_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise self.rewrite_refused()
        if not (self.payload and self.hash and self.prev_hash):
            raise AuditLogIsAppendOnly("written except through chaperone.audit.log.record()")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("deleted")

    @classmethod
    def rewrite_refused(cls) -> AuditLogIsAppendOnly:
        return AuditLogIsAppendOnly("updated")

    @property
    def description(self) -> str:
        return describe(self.action)

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=self.trust_id)


class AuditChainHead(models.Model):
    """One row per chain: its last sequence number and hash, and a MAC over both. Locking it
    serialises appends to that chain only, and comparing it with the chain's last row reveals
    rows cut off the end."""

    id = models.BigIntegerField(primary_key=True, editable=False, help_text="The chain id.")
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, blank=True, help_text="HMAC of chain, seq and hash.")

    def __str__(self) -> str:
        return f"audit head {self.pk} #{self.seq} {self.hash[:12]}"
