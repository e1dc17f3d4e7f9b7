"""Which school and trust a record belongs to, as the audit log files it.

A model that can be the target of an audit event says so explicitly with ``audit_scope()``;
the audit log never guesses from attribute names.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable


class TenantScope(NamedTuple):
    """The school (None for a trust-wide record) and trust (None when unknown) of a record."""

    school_id: int | None
    trust_id: int | None


@runtime_checkable
class AuditScoped(Protocol):
    """A record that can be the target of an audit event."""

    def audit_scope(self) -> TenantScope: ...
