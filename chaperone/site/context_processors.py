from __future__ import annotations

from typing import Any

from django.urls import reverse

from chaperone.core.extensions import NavItem, declared
from chaperone.core.http import AnyRequest
from chaperone.tenancy.schools import active_school, request_schools


def nav_items(request: AnyRequest) -> list[dict[str, Any]]:
    """The main navigation: every app's :class:`NavItem` that the actor may use in the active
    school, in order."""
    actor = request.actor
    school = active_school(request)
    match = request.resolver_match
    view_name = match.view_name if match is not None else ""
    items = sorted(declared("nav", "NAV", NavItem), key=lambda item: item.order)
    return [
        {"url": reverse(item.url_name), "label": item.label, "current": item.is_current(view_name)}
        for item in items
        if item.action is None or (school is not None and actor.can(item.action, school.id))
    ]


def chaperone(request: AnyRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    return {
        "actor": request.actor,
        "active_school": active_school(request),
        "visible_schools": request_schools(request),
        "nav_items": nav_items(request),
    }
