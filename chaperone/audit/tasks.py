"""Background tasks of the audit app (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def anchor_chains() -> list[str]:
    """The daily anchor: on PostgreSQL make sure the coming months' partitions exist, then
    verify each chain from its last anchor and anchor (write and e-mail) the heads that held."""
    from chaperone.audit.partitions import is_partitioned, partitions_ensure
    from chaperone.audit.services import audit_chains_anchor

    with use_context(RequestContext(via="task")):
        if is_partitioned():
            partitions_ensure()
        return [outcome.summary() for outcome in audit_chains_anchor()]
