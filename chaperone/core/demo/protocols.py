"""Hook for loading the three shipped protocols into the demo tenants."""

from __future__ import annotations

from collections.abc import Sequence

from chaperone.tenancy.models import School, Trust


def load_demo_protocols(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """Give each demo trust (and its schools) the shipped protocols.

    Called by :func:`chaperone.core.demo.services.demo_load` inside its transaction, after every
    trust, school and staff member exists, with ``[(trust, [school, ...]), ...]``.
    """
    # TODO(#4): store the three shipped protocol versions for each demo trust once the protocols
    # app has its models; until then the demo has no protocols loaded.
    return None


def delete_demo_protocols(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    """Delete the demo trusts' and schools' protocol rows before ``demo load --reset`` deletes them.

    Called first by the reset, inside its transaction: protocol rows point at trusts and schools
    with PROTECT, so they must go before the schools and trusts do.
    """
    # TODO(#4): delete the demo tenants' protocols, versions, decisions and acknowledgements here
    # once load_demo_protocols stores them.
    return None
