"""Hook for loading the three shipped protocols into the demo tenants."""

from __future__ import annotations

from collections.abc import Sequence

from chaperone.tenancy.models import School, Trust


def load_demo_protocols(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """Give each demo trust (and its schools) the shipped protocols.

    Called by :func:`chaperone.core.demo.services.demo_load` inside its transaction, after every
    trust, school and staff member exists, with ``[(trust, [school, ...]), ...]``.
    """
    from chaperone.protocols.demo import load_for_demo_tenants

    load_for_demo_tenants(trust_and_schools)


def delete_demo_protocols(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """Delete the demo trusts' and schools' protocol rows before ``demo load --reset`` deletes them.

    Called first by the reset, inside its transaction: protocol rows point at trusts and schools
    with PROTECT, so they must go before the schools and trusts do.
    """
    from chaperone.protocols.demo import delete_for_demo_tenants

    delete_for_demo_tenants(trust_and_schools)
