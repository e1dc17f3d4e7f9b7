from __future__ import annotations

from typing import Any

from django.urls import reverse

from chaperone.core.http import AnyRequest
from chaperone.tenancy.schools import active_school, request_schools

#: Extra navigation entries, each shown only to people allowed the action in the active school.
NAV_ITEMS = (
    ("people.import", "people:import_start", "Import"),
    ("audit.view", "audit:event_list", "Audit log"),
)


def chaperone(request: AnyRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    actor = request.actor
    school = active_school(request)
    nav_items = [
        {"url": reverse(url_name), "label": label}
        for action, url_name, label in NAV_ITEMS
        if school is not None and actor.can(action, school.id)
    ]
    return {
        "actor": actor,
        "active_school": school,
        "visible_schools": request_schools(request),
        "nav_items": nav_items,
    }
