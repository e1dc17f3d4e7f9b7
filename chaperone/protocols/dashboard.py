"""The protocols app's dashboard card (see :mod:`chaperone.core.extensions`): a school whose
additions are out of step with the trust's protocol (for those who manage it), and a version in
force that the reader has not yet acknowledged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaperone.core.extensions import DashboardCard
from chaperone.core.http import ChaperoneRequest
from chaperone.protocols.selectors import dashboard_notices
from chaperone.tenancy.models import School


def notices(request: ChaperoneRequest, school: School | None) -> Mapping[str, Any] | None:
    if school is None:
        return None
    found = dashboard_notices(actor=request.actor, school=school)
    if not found:
        return None
    return {"out_of_step": found.out_of_step, "to_acknowledge": found.to_acknowledge}


CARDS = [DashboardCard("protocols/_dashboard_cards.html", notices, order=20)]
